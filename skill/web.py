"""Flask routes: POST /alexa, GET /healthz, GET /audio/<file>."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    request,
    send_from_directory,
)

from skill.alexa.builder import AlexaSkill
from skill.alexa.envelope import MAX_BODY_BYTES, Envelope, EnvelopeError, decode, to_model
from skill.alexa.skill_events import SkillEvents
from skill.alexa.verify import RequestRefusedError, RequestVerifier, check_skill_id
from skill.speech import speech_for
from skill.store.db import Database, StorageError
from skill.store.migrate import is_current

log = logging.getLogger(__name__)

bp = Blueprint("glimmers", __name__)


@dataclass(frozen=True)
class Webhook:
    """What POST /alexa needs, built by create_app."""

    skill: AlexaSkill
    verifier: RequestVerifier | None
    skill_id: str | None
    events: SkillEvents
    database: Database
    audio_dir: Path

    def answer(self, body: bytes, headers: Mapping[str, str]) -> tuple[dict[str, Any], int]:
        """Verifies, parses and runs one request; returns the JSON answer and status."""
        try:
            raw = decode(body)
        except EnvelopeError as error:
            log.info("request refused: %s", error)
            return {"error": str(error)}, 400
        try:
            if self.verifier is not None:
                self.verifier.verify(headers, body, raw)
            elif self.skill_id:
                check_skill_id(self.skill_id, raw)
        except RequestRefusedError as error:
            log.warning("request refused: %s", error.reason)
            return {"error": error.reason}, 400
        try:
            envelope = to_model(raw)
        except EnvelopeError as error:
            log.info("request refused: %s", error)
            return {"error": str(error)}, 400
        try:
            return self._run(envelope), 200
        except StorageError:
            return {"error": "storage unavailable"}, 503

    def _run(self, envelope: Envelope) -> dict[str, Any]:
        if envelope.request_type.startswith("AlexaSkillEvent."):
            self.events.handle(envelope.raw)  # StorageError: answered 503 so Alexa retries
            return empty_response()
        if envelope.model is None:
            log.info("unknown request type answered generically: %.80r", envelope.request_type)
            return unknown_response(envelope)
        try:
            return self.skill.answer(envelope.model)
        except Exception:  # the SDK re-raises when no exception handler answers
            log.exception("skill failed on %.80r", envelope.request_type)
            return unknown_response(envelope)


def empty_response() -> dict[str, Any]:
    """An answer with nothing in it, which every request type accepts."""
    return {"version": "1.0", "response": {}}


def unknown_response(envelope: Envelope) -> dict[str, Any]:
    """A polite generic answer; silent for player, controller and system requests."""
    kind = envelope.request_type
    # Only a new top-level request may be spoken to; a namespaced one ("Foo.Bar") is an
    # event or a player request, and an ended session takes no speech.
    if "." in kind or kind.startswith("SessionEnded"):
        return empty_response()
    locale = envelope.raw["request"].get("locale")
    text = speech_for(locale if isinstance(locale, str) else None)("unknown_request")
    return {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": f"<speak>{text}</speak>"},
            "shouldEndSession": True,
        },
    }


def webhook() -> Webhook:
    """The app's webhook."""
    hook: Webhook = current_app.extensions["glimmers.webhook"]
    return hook


@bp.post("/alexa")
def alexa() -> tuple[Response, int]:
    """Answers one Alexa request."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return jsonify(error="body too large"), 400
    body = request.get_data(cache=False)
    answer, status = webhook().answer(body, dict(request.headers.items()))
    return jsonify(answer), status


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 otherwise."""
    database = webhook().database
    reachable = database.ping()
    migrated = reachable and is_current(database)
    ok = reachable and migrated
    return (
        jsonify(status="ok" if ok else "unavailable", database=reachable, schema=migrated),
        200 if ok else 503,
    )


AUDIO_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.mp3$")
AUDIO_MAX_AGE = 365 * 24 * 3600  # file names carry the content hash, so they never change


@bp.get("/audio/<file>")
def audio(file: str) -> Response:
    """Serves a rendered MP3 with Range support, an ETag and long-lived caching."""
    if not AUDIO_FILE.match(file) or ".." in file:
        abort(404)
    directory = webhook().audio_dir.resolve()
    response = send_from_directory(
        directory, file, mimetype="audio/mpeg", conditional=True, max_age=AUDIO_MAX_AGE
    )
    response.headers["Accept-Ranges"] = "bytes"
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def init_app(app: Flask, hook: Webhook) -> None:
    """Registers the routes and the webhook on the app."""
    app.extensions["glimmers.webhook"] = hook
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES * 4
    app.register_blueprint(bp)

    @app.errorhandler(413)
    def too_large(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="body too large"), 400

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="method not allowed"), 405

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[Response, int]:
        return jsonify(error="internal error"), 500
