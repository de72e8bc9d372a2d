"""WSGI factories for scripts/bench_webhook.py: the skill with a local certificate chain, and a
bare Flask endpoint to compare it with.

    gunicorn "scripts.bench_app:skill_app()"  # BENCH_TRUST_ROOT=root.pem BENCH_CERT_BASE=http://...
    gunicorn "scripts.bench_app:bare_app()"

With BENCH_TRUST_ROOT and BENCH_CERT_BASE set, the skill trusts only that root and fetches
SignatureCertChainUrl's path from BENCH_CERT_BASE (a local stand-in for s3.amazonaws.com) with
its real HttpCertFetcher; everything else comes from the GLIMMERS_* environment as usual.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from flask import Flask, Response, jsonify, request

from skill import create_app
from skill.alexa.verify import HttpCertFetcher

BARE_ANSWER = {
    "version": "1.0",
    "response": {
        "outputSpeech": {"type": "SSML", "ssml": "<speak>Saved: a constant answer.</speak>"},
        "reprompt": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Anything else?</speak>"}},
        "shouldEndSession": False,
    },
}


def skill_app() -> Flask:
    """The real app, pointed at a local certificate chain when the bench provides one."""
    config: dict[str, Any] = {}
    root = os.environ.get("BENCH_TRUST_ROOT")
    if root:
        base = os.environ["BENCH_CERT_BASE"].rstrip("/")
        config["trust_roots"] = [x509.load_pem_x509_certificate(Path(root).read_bytes())]
        config["cert_fetcher"] = HttpCertFetcher(
            timeout=2, resolve=lambda url: base + urlsplit(url).path
        )
    return create_app(config)


def bare_app() -> Flask:
    """POST /alexa reads the body and answers a constant Alexa response; nothing else."""
    app = Flask(__name__)

    @app.post("/alexa")
    def alexa() -> Response:
        request.get_data()
        return jsonify(BARE_ANSWER)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app
