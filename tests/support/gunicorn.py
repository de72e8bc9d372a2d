"""Runs the app under real gunicorn on a free 127.0.0.1 port, and talks to it over HTTP.

`served()` starts gunicorn with `-b 127.0.0.1:0` (the arbiter picks the port and logs it, so
two runs never race for one), waits until /healthz answers 200, and always stops the arbiter
and its workers afterwards, even when the test fails. `HttpClient` gives `AlexaActions` the
small part of Flask's test client it uses, over a real socket, so the same envelopes reach
the served app.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SKILL_TARGET = "skill:create_app()"
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclass
class HttpResponse:
    """What came back: the status and the body, read like a Flask test response."""

    status_code: int
    data: bytes

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body, as bytes or decoded text."""
        return self.data.decode("utf-8", "replace") if as_text else self.data

    def get_json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.data)


@dataclass(frozen=True)
class HttpClient:
    """POSTs to a served app with http.client, one connection per request (as Alexa does)."""

    port: int
    timeout: float = 15.0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> HttpResponse:
        """Sends one request and reads the whole answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return HttpResponse(response.status, response.read())
        finally:
            connection.close()

    def post(self, path: str, data: bytes | str = b"", headers: Mapping[str, str] | None = None,
             content_type: str = "application/json") -> HttpResponse:
        """The subset of FlaskClient.post that AlexaActions uses."""
        body = data.encode("utf-8") if isinstance(data, str) else data
        return self.request("POST", path, body, {**(headers or {}), "Content-Type": content_type})

    def get(self, path: str) -> HttpResponse:
        """A plain GET."""
        return self.request("GET", path)


@dataclass
class Gunicorn:
    """A running gunicorn arbiter: its port, its log, and its workers."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def client(self) -> HttpClient:
        """An HTTP client for this server."""
        return HttpClient(self.port)

    def worker_pids(self) -> set[int]:
        """The pids of the arbiter's live worker processes (Linux /proc)."""
        pids: set[int] = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.add(int(stat.parent.name))
        return pids

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the log, for failure messages."""
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self) -> None:
        """Stops the arbiter gracefully (it stops its workers), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def app_env(database_url: str, audio_dir: Path, **extra: str) -> dict[str, str]:
    """The environment the skill reads, with verification off, for one test's database."""
    return {
        "GLIMMERS_VERIFY_REQUESTS": "0",
        "GLIMMERS_SKILL_ID": "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
        "GLIMMERS_SECRET_KEY": "test-secret-key-of-enough-length-000000",
        "GLIMMERS_DATABASE_URL": database_url,
        "GLIMMERS_AUDIO_DIR": str(audio_dir),
        **extra,
    }


def postgres_url(base: str, schema: str, *, port: int | None = None,
                 connect_timeout: int | None = None) -> str:
    """`base` with libpq's search_path set to `schema` (and another port or a timeout)."""
    url = make_url(base)
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    query = f"options={quote(f'-csearch_path={schema}', safe='')}"
    if connect_timeout is not None:
        query += f"&connect_timeout={connect_timeout}"
    rendered = url.set(query={}).render_as_string(hide_password=False)
    return f"{rendered}?{query}"


@contextmanager
def served(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    target: str = SKILL_TARGET,
    workers: int = 4,
    args: Sequence[str] = (),
    cwd: Path = ROOT,
    ready_path: str = "/healthz",
    startup_timeout: float = 60.0,
) -> Iterator[Gunicorn]:
    """Serves `target` under gunicorn on 127.0.0.1 until the block ends; yields it when ready.

    The environment is this process's without any GLIMMERS_* setting, plus `env`, so a
    developer's own settings cannot leak into the test.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GLIMMERS_")}
    environment.update(env)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"gunicorn-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", "127.0.0.1:0",
               "--graceful-timeout", "10", *args, target]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process=process, port=0, log_path=log_path)
    try:
        _wait_ready(server, ready_path, startup_timeout)
        yield server
    finally:
        server.stop()


def _wait_ready(server: Gunicorn, path: str, timeout: float) -> None:
    """Waits for the port in the log, then for `path` to answer 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.process.returncode}):\n"
                               f"{server.log_tail()}")
        if not server.port and (found := _LISTENING.search(server.log())):
            server.port = int(found.group(1))
        if server.port:
            try:
                if server.client.get(path).status_code == 200:
                    return
            except OSError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn was not ready within {timeout:.0f} s:\n{server.log_tail()}")
