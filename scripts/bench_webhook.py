"""Benchmark: the webhook under gunicorn, against a bare Flask endpoint, on SQLite and PostgreSQL.

Serves the skill with the deployment's gunicorn settings (infra/gunicorn.conf.py: gthread,
GUNICORN_THREADS threads, keep-alive) on 2 workers at 127.0.0.1, and drives it with wrk at 8
and 32 connections through a realistic mix of signed or unsigned Alexa requests per person:
launch, log a glimmer, read one, this week, start a practice, AudioPlayer.PlaybackStarted and
PlaybackStopped with the practice's token. A bare Flask endpoint that answers a constant Alexa
response runs under the same settings in the same run. The skill runs once with verification
off and once on (a locally generated root, intermediate and echo-api leaf; every body signed
with the leaf key; the chain served by a local stand-in for s3.amazonaws.com and cached by the
verifier after the first request). The three servers run side by side and are measured in
turn, round after round, so that the drift of a shared machine falls on all of them alike;
each row is the median of its rounds, with the range of req/s beside it. Prints req/s and
p50/p99, the ratios and whether each target is met; asserts nothing.

    .venv/bin/python scripts/bench_webhook.py [--duration 8] [--rounds 3] [--users 200]

Needs wrk (apt-get install wrk): a C load generator, so the client's own overhead stays small;
a Python client would saturate well below the bare endpoint. Bodies and signatures are
generated just before each run (timestamps must be within 150 s) and replayed round-robin from
a Lua table. PostgreSQL runs when GLIMMERS_TEST_POSTGRES_URL is set, in a private schema.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from scripts.bench_app import bare_app  # noqa: E402
from skill import create_app  # noqa: E402
from skill.alexa.verify import HttpCertFetcher, RequestVerifier  # noqa: E402
from skill.store.db import Database  # noqa: E402
from skill.store.migrate import upgrade  # noqa: E402
from tests.support.alexa import DEVICE_ID, AlexaActions, Device  # noqa: E402
from tests.support.cert_server import CertServer  # noqa: E402
from tests.support.certs import VALID, Pki, build_pki, sign  # noqa: E402
from tests.support.gunicorn import HttpClient, app_env, postgres_url, served  # noqa: E402
from tests.support.settings_api import SettingsApi, settings_api_server  # noqa: E402

WORKERS = 2
CONNECTIONS = (8, 32)
AUDIO_DIR = ROOT / "audio" / "build"
GUNICORN_ARGS = ("-c", str(ROOT / "infra" / "gunicorn.conf.py"),
                 # Worker recycling (max_requests=1000) would restart workers mid-run; a
                 # restart costs a full app build and would be measured as the skill's latency.
                 "--max-requests", "0")
MOMENTS = ["the warm mug in my hands", "birdsong at dawn", "the smell of rain on the street",
           "my friend's laugh on the phone", "sun on my face", "a soft blanket on the sofa"]


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    label: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def now() -> datetime:
    """The current time, for fresh envelope timestamps."""
    return datetime.now(UTC)


def one_shot(actions: AlexaActions, name: str, **slots: str) -> dict[str, Any]:
    """A one-shot IntentRequest envelope."""
    intent = {"name": name, "confirmationStatus": "NONE",
              "slots": {slot: {"name": slot, "value": value, "confirmationStatus": "NONE"}
                        for slot, value in slots.items()}}
    return actions.envelope({"type": "IntentRequest", "intent": intent}, new=True)


def mix(users: int, token: str, settings_api: SettingsApi, run: str) -> list[dict[str, Any]]:
    """Seven requests per person: launch, log, read one, this week, practice, started, stopped."""
    bodies: list[dict[str, Any]] = []
    for user in range(users):
        device = Device(api_endpoint=settings_api.url, api_token=settings_api.token)
        actions = AlexaActions(client=None, clock=now, device=device,
                               user_id=f"amzn1.ask.account.BENCH{run}{user:05d}")
        bodies.append(actions.envelope({"type": "LaunchRequest"}, new=True))
        moment = f"{MOMENTS[user % len(MOMENTS)]} {user}"
        bodies.append(one_shot(actions, "LogGlimmerIntent", moment=moment))
        bodies.append(one_shot(actions, "ReadGlimmerIntent"))
        bodies.append(one_shot(actions, "RecallPeriodIntent", period="this week"))
        bodies.append(one_shot(actions, "StartPracticeIntent", topic="sound"))
        for kind, offset in (("PlaybackStarted", 0), ("PlaybackStopped", 42_000)):
            actions.device.player_token = token
            actions.device.player_offset_ms = offset
            bodies.append(actions.envelope({"type": f"AudioPlayer.{kind}", "token": token,
                                            "offsetInMilliseconds": offset}, in_session=False))
    return bodies


def lua_string(value: str) -> str:
    """A Lua string literal for ASCII text."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_script(path: Path, bodies: list[dict[str, Any]], pki: Pki | None) -> None:
    """A wrk script replaying the bodies round-robin (each thread from its own start)."""
    rows = []
    for body in bodies:
        data = json.dumps(body).encode("ascii")
        headers = {"Content-Type": "application/json"}
        if pki is not None:
            headers.update(sign(data, pki.leaf_key))
        lua_headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        rows.append(f"  {{ {{{lua_headers}}}, {lua_string(data.decode())} }},")
    path.write_text(
        "local bodies = {\n" + "\n".join(rows) + "\n}\n"
        "local requests = {}\nlocal next_index = 0\n"
        "function init(args)\n"
        "  for i, row in ipairs(bodies) do\n"
        '    requests[i] = wrk.format("POST", "/alexa", row[1], row[2])\n'
        "  end\n"
        "  next_index = math.random(#requests)\n"
        "end\n"
        "function request()\n"
        "  next_index = next_index % #requests + 1\n"
        "  return requests[next_index]\n"
        "end\n"
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, script: Path, connections: int, duration: float) -> tuple[float, float, float,
                                                                              int]:
    """Runs wrk; returns req/s, p50 ms, p99 ms and failed requests (non-2xx and socket errors)."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
         "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}/alexa"],
        capture_output=True, text=True, check=True,
    ).stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no {percent}% latency in wrk output:\n{output}")
        return float(found.group(1)) * _UNITS[found.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    if socket is not None:
        errors += sum(int(n) for n in socket.groups())
    return float(rps.group(1)), latency("50"), latency("99"), errors


def check(client: HttpClient, bodies: list[dict[str, Any]], pki: Pki | None) -> str:
    """Sends one person's requests once and checks they are really answered; returns the token."""
    token = ""
    for body in bodies:
        data = json.dumps(body).encode("ascii")
        response = client.post("/alexa", data, sign(data, pki.leaf_key) if pki else {})
        answer = response.get_json()
        if response.status_code != 200:
            raise RuntimeError(f"{body['request']['type']} answered {response.status_code}: "
                               f"{answer}")
        if body["request"].get("intent", {}).get("name") == "LogGlimmerIntent":
            said = answer["response"]["outputSpeech"]["ssml"]
            if "Saved:" not in said:
                raise RuntimeError(f"LogGlimmerIntent was not saved: {said}")
        for directive in answer.get("response", {}).get("directives") or []:
            token = directive.get("audioItem", {}).get("stream", {}).get("token", token)
    return token


@dataclass(frozen=True)
class Server:
    """One served app under test, with the request bodies it is driven with."""

    label: str
    port: int
    pki: Pki | None
    token: str


@dataclass
class Bench:
    """Runs every endpoint at every connection count and prints the results."""

    duration: float
    warmup: float
    users: int
    rounds: int
    work: Path
    pki: Pki
    root_pem: Path
    cert_base: str
    settings_api: SettingsApi
    results: list[Result]

    def serve(self, stack: ExitStack, label: str, env: dict[str, str], target: str,
              signed: bool) -> Server:
        """Starts one app under gunicorn and checks it answers the mix for real."""
        server = stack.enter_context(served(env, self.work / "logs", target=target,
                                            workers=WORKERS, args=GUNICORN_ARGS, cwd=ROOT))
        pki = self.pki if signed else None
        token = "sound-practice@unknown"
        if "skill" in target:
            run = uuid.uuid4().hex[:6]
            token = check(server.client, mix(1, token, self.settings_api, run), pki) or token
        return Server(label, server.port, pki, token)

    def script(self, server: Server, people: str) -> Path:
        """The wrk script for one server's people, with fresh timestamps (and signatures):
        Alexa's limit, and so the verifier's, is 150 s, shorter than a whole row's rounds."""
        path = self.work / f"mix-{people}.lua"
        write_script(path, mix(self.users, server.token, self.settings_api, people), server.pki)
        return path

    def measure(self, servers: list[Server]) -> None:
        """Each connection count: rounds of one wrk run per server, interleaved, so that the
        machine's drift (this is a shared 2-core VM) falls on every server alike; each row is
        the median of its rounds."""
        for connections in CONNECTIONS:
            people = {server.label: uuid.uuid4().hex[:6] for server in servers}
            for server in servers:
                wrk(server.port, self.script(server, people[server.label]), connections,
                    self.warmup)
            runs: dict[str, list[tuple[float, float, float, int]]] = {s.label: [] for s in servers}
            for _ in range(self.rounds):
                for server in servers:
                    runs[server.label].append(wrk(server.port,
                                                  self.script(server, people[server.label]),
                                                  connections, self.duration))
            for server in servers:
                rows = runs[server.label]
                result = Result(server.label, connections,
                                rps=statistics.median(r[0] for r in rows),
                                p50_ms=statistics.median(r[1] for r in rows),
                                p99_ms=statistics.median(r[2] for r in rows),
                                errors=sum(r[3] for r in rows))
                self.results.append(result)
                spread = f"{min(r[0] for r in rows):.0f}-{max(r[0] for r in rows):.0f}"
                print(f"    {result.label:34} {connections:5d} {result.rps:9.0f} {spread:>11} "
                      f"{result.p50_ms:8.2f} {result.p99_ms:8.2f} {result.errors:7d}", flush=True)

    def backend(self, name: str, url: str) -> None:
        """The bare endpoint, then the skill with verification off and on, on one database."""
        database = Database(url)
        upgrade(database)
        database.dispose()
        print(f"\n{name}\n    {'endpoint':34} {'conns':>5} {'req/s':>9} {'(range)':>11} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        self.results = []
        env = app_env(url, AUDIO_DIR, WEB_CONCURRENCY=str(WORKERS))
        verified = {**env, "GLIMMERS_VERIFY_REQUESTS": "1", "BENCH_TRUST_ROOT": str(self.root_pem),
                    "BENCH_CERT_BASE": self.cert_base}
        with ExitStack() as stack:
            servers = [
                self.serve(stack, "bare Flask endpoint", env, "scripts.bench_app:bare_app()",
                           signed=False),
                self.serve(stack, "skill mix, verification off", env,
                           "scripts.bench_app:skill_app()", signed=False),
                self.serve(stack, "skill mix, verification on (cached)", verified,
                           "scripts.bench_app:skill_app()", signed=True),
            ]
            self.measure(servers)
        self.verdicts()
        self.in_process(url)

    def in_process(self, url: str, rounds: int = 3) -> None:
        """Verification's own cost next to a whole request's, in one thread, without HTTP noise.

        The wrk rows above swing by more than 10% from run to run on 2 busy cores; this times
        the verifier itself (chain cached, fetched once through the real HttpCertFetcher)
        against the skill's whole WSGI request (Flask included, the HTTP server and client not),
        for the same 50 people as they come back (round 0, their first visit, is not counted),
        and the bare endpoint's WSGI request beside it.
        """
        skill = create_app({**app_env(url, AUDIO_DIR)})
        bare = bare_app()
        verifier = RequestVerifier(skill_id=app_env(url, AUDIO_DIR)["GLIMMERS_SKILL_ID"],
                                   fetch=HttpCertFetcher(timeout=2, resolve=self.resolve),
                                   trust_roots=[self.pki.root], clock=now)
        request_s = verify_s = bare_s = 0.0
        counted = 0
        people = uuid.uuid4().hex[:6]
        for round_ in range(rounds + 1):
            bodies = mix(50, "sound-practice@unknown", self.settings_api, people)
            encoded = [json.dumps(body).encode("ascii") for body in bodies]
            headers = [sign(data, self.pki.leaf_key) for data in encoded]
            environs = [EnvironBuilder("/alexa", method="POST", data=data,
                                       content_type="application/json").get_environ()
                        for data in encoded * 2]
            start = time.perf_counter()
            for body, data, extra in zip(bodies, encoded, headers, strict=True):
                verifier.verify(extra, data, body)
            verified = time.perf_counter()
            for environ in environs[:len(encoded)]:
                status = wsgi_status(skill, environ)
                if status != 200:
                    raise RuntimeError(f"the skill answered {status}")
            answered = time.perf_counter()
            for environ in environs[len(encoded):]:
                wsgi_status(bare, environ)
            if round_:
                verify_s += verified - start
                request_s += answered - verified
                bare_s += time.perf_counter() - answered
                counted += len(bodies)
        cost = verify_s / request_s
        print(f"    in-process, 1 thread, WSGI: a request of the mix takes "
              f"{request_s / counted * 1000:.2f} ms (bare endpoint {bare_s / counted * 1000:.2f} "
              f"ms); verifying it (chain cached) {verify_s / counted * 1e6:.0f} us\n"
              f"    target: verification (chain cached) costs <= 10% (in-process): +{cost:.1%} "
              f"-> {'met' if cost <= 0.10 else 'NOT met'}")

    def resolve(self, url: str) -> str:
        """Maps a public chain URL onto the local certificate stand-in."""
        return self.cert_base + urlsplit(url).path

    def verdicts(self) -> None:
        """Prints each target and whether this run met it."""
        by = {(r.label, r.connections): r for r in self.results}
        for connections in CONNECTIONS:
            bare = by[("bare Flask endpoint", connections)]
            skill = by[("skill mix, verification off", connections)]
            share = skill.rps / bare.rps
            print(f"    target: mix at >= 50% of bare throughput at {connections} connections: "
                  f"{share:.0%} -> {'met' if share >= 0.5 else 'NOT met'}")
        skill8 = by[("skill mix, verification off", 8)]
        print(f"    target: p99 <= 25 ms at 8 connections: {skill8.p99_ms:.1f} ms -> "
              f"{'met' if skill8.p99_ms <= 25 else 'NOT met'}")
        for connections in CONNECTIONS:
            off = by[("skill mix, verification off", connections)]
            on = by[("skill mix, verification on (cached)", connections)]
            cost = off.rps / on.rps - 1
            print(f"    target: verification (chain cached) costs <= 10% at {connections} "
                  f"connections: {cost:+.1%} time per request (HTTP, noisy) -> "
                  f"{'met' if cost <= 0.10 else 'NOT met'}")
        failed = sum(r.errors for r in self.results)
        print(f"    failed requests (non-2xx or socket errors): {failed}")


def wsgi_status(app: Flask, environ: dict[str, Any]) -> int:
    """Runs one WSGI request to the end; returns its status code."""
    statuses: list[int] = []

    def start_response(status: str, _headers: list[tuple[str, str]], _exc: Any = None) -> None:
        statuses.append(int(status.split(maxsplit=1)[0]))

    b"".join(app(environ, start_response))
    return statuses[0]


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A private schema, dropped afterwards; yields the app's URL for it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_url(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    """Parses options, sets up the stand-ins and runs both backends."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    parser.add_argument("--users", type=int, default=200, help="people in the request mix")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measured runs per row, interleaved across servers (median shown)")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    started = time.monotonic()
    manifest = AUDIO_DIR / "manifest.json"
    threads = runpy.run_path(str(ROOT / "infra" / "gunicorn.conf.py"))["threads"]
    print(f"Glimmers webhook benchmark: {os.cpu_count()} cores; gunicorn {WORKERS} workers, "
          f"infra/gunicorn.conf.py (gthread, {threads} thread(s), keep-alive), no worker "
          f"recycling;\nwrk, 1 thread, {options.warmup:g} s warm-up, then {options.rounds} x "
          f"{options.duration:g} s per row, interleaved across the three servers; "
          f"{options.users} people x 7 requests (launch, log, read one, this week,\n"
          "start practice, PlaybackStarted, PlaybackStopped), replayed round-robin.\n"
          "Note: wrk, gunicorn and the database share the same cores, so every number here "
          "includes the\nload generator's competition for CPU (and PostgreSQL's own processes).")
    if not manifest.exists():
        print(f"Note: {manifest} is missing (run `glimmers render`): the library is empty, so "
              "'start practice' answers with speech and playback events carry a made-up token.")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        pki = build_pki(now())
        root_pem = work / "root.pem"
        root_pem.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
        certs = CertServer(chains={VALID: pki.chains[VALID]}).start()
        stack.callback(certs.stop)
        settings_api = stack.enter_context(settings_api_server())
        settings_api.zones[DEVICE_ID] = "Europe/Berlin"
        bench = Bench(options.duration, options.warmup, options.users, options.rounds, work, pki,
                      root_pem, f"http://127.0.0.1:{certs.port}", settings_api, [])
        bench.backend("SQLite", f"sqlite:///{work / 'bench.db'}")
        postgres = os.environ.get("GLIMMERS_TEST_POSTGRES_URL")
        if postgres:
            with postgres_schema(postgres) as url:
                bench.backend("PostgreSQL", url)
        else:
            print("\n(PostgreSQL skipped: set GLIMMERS_TEST_POSTGRES_URL)")
        print(f"\nchain downloads by the verifier: {certs.count(VALID)} "
              f"(once per worker and run: the chain is cached)")
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
