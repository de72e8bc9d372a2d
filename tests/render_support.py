"""Test support for the render pipeline: a local stand-in for Google Translate's TTS endpoint.

gTTS always talks HTTPS to translate.google.<tld>, through whatever proxy the standard
`https_proxy` variable names (it passes `urllib.request.getproxies()` to requests). The stand-in
is that proxy: it accepts CONNECT, terminates TLS with a throwaway self-signed certificate (gTTS
sends with verify=False) and answers the batchexecute RPC in Google's wire format, with MP3 made
for real by espeak-ng and ffmpeg. So gTTS's own HTTP code runs unchanged, and nothing of ours is
patched: only the environment says where "Google" is.
"""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

RPC_ID = "jQ1olc"
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY")


def make_mp3(text: str, seconds: float | None = None) -> bytes:
    """Speak `text` with espeak-ng and encode it as Google does (MP3, 24 kHz mono, 32 kbps)."""
    with tempfile.TemporaryDirectory() as folder:
        wav, mp3 = Path(folder) / "a.wav", Path(folder) / "a.mp3"
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
        trim = ["-t", str(seconds)] if seconds else []
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(wav), *trim, "-ar", "24000", "-ac", "1",
             "-b:a", "32k", "-f", "mp3", str(mp3)],
            check=True, capture_output=True,
        )
        return mp3.read_bytes()


def envelope(mp3: bytes) -> bytes:
    """A batchexecute answer carrying `mp3`, shaped like Google's (XSSI guard, length lines)."""
    compact = {"separators": (",", ":")}
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")], **compact)
    body = json.dumps([["wrb.fr", RPC_ID, payload, None, None, None, "generic"],
                       ["di", 57], ["af.httprm", 56, "-1", 1]], **compact)
    tail = json.dumps([["e", 4, None, None, len(body)]], **compact)
    return f")]}}'\n\n{len(body)}\n{body}\n{len(tail)}\n{tail}\n".encode()


def empty_envelope() -> bytes:
    """A 200 answer with the RPC envelope but no audio line at all (what "empty" looks like)."""
    body = json.dumps([["di", 57], ["af.httprm", 56, "-1", 1]])
    return f")]}}'\n\n{len(body)}\n{body}\n".encode()


def _tls_context(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "translate.google.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class StandIn(ThreadingHTTPServer):
    """The stand-in server: records every TTS request and answers from a script of behaviours.

    `script` holds behaviours consumed one per request: "ok", "429", "500", "empty" (200, no
    audio) or "slow" (waits `slow_seconds`, then answers). When it is empty, requests get "ok".
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self, audio: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self._folder = tempfile.TemporaryDirectory()
        self.tls = _tls_context(Path(self._folder.name))
        self.audio = audio
        self.script: deque[str] = deque()
        self.texts: list[str] = []
        self.hosts: list[str] = []
        self.slow_seconds = 2.0
        self.lock = threading.Lock()

    @property
    def proxy_url(self) -> str:
        """The value for `https_proxy` that routes gTTS here."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def next_behaviour(self) -> str:
        """Pop the next scripted behaviour ("ok" when the script has run out)."""
        with self.lock:
            return self.script.popleft() if self.script else "ok"

    def server_close(self) -> None:
        """Close the socket and remove the certificate."""
        super().server_close()
        self._folder.cleanup()


class _ProxyHandler(BaseHTTPRequestHandler):
    server: StandIn

    def do_CONNECT(self) -> None:
        self.server.hosts.append(self.path)
        self.send_response(200, "Connection Established")
        self.end_headers()
        tls = self.server.tls.wrap_socket(self.connection, server_side=True)
        # Serve the tunnelled HTTPS request on the decrypted socket.
        _TranslateHandler(tls, self.client_address, self.server)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _TranslateHandler(BaseHTTPRequestHandler):
    server: StandIn
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
        rpc = json.loads(form["f.req"][0])
        text = json.loads(rpc[0][0][1])[0]
        with self.server.lock:
            self.server.texts.append(text)
        behaviour = self.server.next_behaviour()
        if behaviour == "slow":
            time.sleep(self.server.slow_seconds)
        if behaviour in ("429", "500"):
            self._answer(int(behaviour), b"busy", {"Retry-After": "0"})
        elif behaviour == "empty":
            self._answer(200, empty_envelope())
        else:
            self._answer(200, envelope(self.server.audio))

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (a timeout test); nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@contextmanager
def stand_in(audio: bytes | None = None) -> Iterator[StandIn]:
    """Run a stand-in in a thread for the duration of the block."""
    server = StandIn(audio if audio is not None else make_mp3("Hello.", seconds=0.5))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
