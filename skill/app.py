"""The app factory's body: the only place that builds things.

Settings, database, verifier, catalog and skill are made here and passed to whoever
needs them. `skill.create_app` imports this lazily, so build-time tools in the `skill`
package (the renderer) do not load the web app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from flask import Flask

from skill.alexa.builder import build_skill
from skill.alexa.settings_api import TimeZoneFetcher
from skill.alexa.skill_events import SkillEvents
from skill.alexa.verify import CertFetcher, HttpCertFetcher, RequestVerifier, default_trust_roots
from skill.clock import Clock, system_clock
from skill.config import DEV_SECRET_KEY, Settings
from skill.guide.library import Library, load_library
from skill.identity import PersonKeys
from skill.journal import safety, senses
from skill.services import Services
from skill.speech import validate as validate_speech
from skill.store.db import Database
from skill.web import Webhook, init_app

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Builds the Flask app from the environment, overridden by `config`.

    Besides GLIMMERS_* settings, `config` may carry collaborators for tests:
    `database` (a Database), `clock` (a Clock), `cert_fetcher` (url -> PEM bytes),
    `trust_roots` (a list of x509 certificates), `library` (a Library) and
    `time_zone_fetcher` ((endpoint, token, device id) -> zone name or None).
    """
    config = dict(config or {})
    collaborators = {
        name: config.pop(name)
        for name in ("database", "clock", "cert_fetcher", "trust_roots", "library",
                     "time_zone_fetcher")
        if name in config
    }
    settings = Settings.load(config)
    validate_speech()
    safety.load()  # a broken crisis lexicon must stop the app, not fail a person in crisis
    senses.load()

    clock: Clock = collaborators.get("clock", system_clock)
    database: Database = collaborators.get("database") or Database(settings.database_url)
    library: Library = collaborators.get("library") or load_library(settings.audio_dir)
    keys = PersonKeys(settings.secret_key)

    verifier: RequestVerifier | None = None
    if settings.verify_requests:
        fetcher: CertFetcher = collaborators.get("cert_fetcher") or HttpCertFetcher(
            timeout=settings.cert_timeout_seconds
        )
        roots: list[x509.Certificate] = collaborators.get("trust_roots") or default_trust_roots()
        verifier = RequestVerifier(
            skill_id=settings.skill_id,
            fetch=fetcher,
            trust_roots=roots,
            clock=clock,
            cache_seconds=settings.cert_cache_seconds,
        )
        if not settings.skill_id:
            log.warning("GLIMMERS_SKILL_ID is not set: every request will be refused")
        if settings.secret_key == DEV_SECRET_KEY:
            log.warning(
                "GLIMMERS_SECRET_KEY is not set: people are keyed with the public development "
                "key. Set a real key before anyone uses this server; changing it later "
                "separates people from their journals (docs/deploy.md)."
            )
    else:
        log.warning(
            "!!! Alexa request verification is OFF (GLIMMERS_VERIFY_REQUESTS=0). "
            "Anyone can send requests to this server. Use this only for local development. !!!"
        )

    time_zone_fetcher: Callable[[str, str, str], str | None] = collaborators.get(
        "time_zone_fetcher"
    ) or TimeZoneFetcher(timeout=settings.settings_api_timeout_seconds)
    services = Services(
        db=database,
        clock=clock,
        keys=keys,
        library=library,
        audio_url=_audio_url(settings.audio_base_url),
        time_zone_fetcher=time_zone_fetcher,
    )

    app = Flask(__name__, static_folder=None)
    app.config["GLIMMERS_SETTINGS"] = settings
    init_app(
        app,
        Webhook(
            skill=build_skill(services),
            verifier=verifier,
            skill_id=settings.skill_id,
            events=SkillEvents(db=database, keys=keys),
            database=database,
            audio_dir=settings.audio_dir,
        ),
    )
    return app


def _audio_url(base: str | None) -> Callable[[str], str]:
    """Builds public audio URLs from the configured base, or from this app's /audio/ route."""

    def url(file: str) -> str:
        if base is not None:
            return base + file
        from flask import has_request_context, url_for

        if has_request_context():
            return url_for("glimmers.audio", file=file, _external=True)
        return f"/audio/{file}"

    return url
