"""Shared fixtures: databases on SQLite and PostgreSQL, the app, and an Alexa actions helper."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from skill import create_app
from skill.guide.library import Library, parse_manifest
from skill.store.db import Database
from skill.store.migrate import upgrade
from tests.support.alexa import SKILL_ID, AlexaActions
from tests.support.clock import FrozenClock
from tests.support.settings_api import SettingsApi, settings_api_server

POSTGRES_URL = os.environ.get("GLIMMERS_TEST_POSTGRES_URL", "")


def _postgres_required() -> bool:
    return bool(os.environ.get("CI")) or bool(POSTGRES_URL)


def sqlite_database(directory: Path) -> Database:
    """A migrated SQLite database in a fresh file."""
    database = Database(f"sqlite:///{directory / 'glimmers.db'}")
    upgrade(database)
    return database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """One migrated SQLite database, for tests whose subject does not depend on the store."""
    database = sqlite_database(tmp_path)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A private schema in the test PostgreSQL database, dropped afterwards; yields the URL."""
    if not POSTGRES_URL:
        if _postgres_required():
            pytest.fail("GLIMMERS_TEST_POSTGRES_URL must be set in CI: PostgreSQL tests can't skip")
        pytest.skip("GLIMMERS_TEST_POSTGRES_URL is not set (./scripts/test sets it)")
    schema = f"glimmers_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_database(schema: str) -> Database:
    """A migrated database living in its own PostgreSQL schema."""
    database = Database(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}
    )
    upgrade(database)
    return database


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        db = sqlite_database(tmp_path)
    else:
        schema = request.getfixturevalue("postgres_schema")
        db = postgres_database(schema)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock held at 2026-11-26 15:00 UTC."""
    return FrozenClock()


LIBRARY_MANIFEST: dict[str, Any] = {
    "schema": 1,
    "locale": "en-US",
    "items": [
        {"id": "sound-practice", "kind": "practice", "title": "Listening", "senses": ["sound"],
         "duration_seconds": 182.0, "file": "sound-practice-aaaa1111.mp3", "version": "aaaa1111",
         "transcript": "This is a three-minute sound practice."},
        {"id": "touch-practice", "kind": "practice", "title": "Textures", "senses": ["touch"],
         "duration_seconds": 150.0, "file": "touch-practice-bbbb2222.mp3", "version": "bbbb2222",
         "transcript": "This is a short touch practice."},
        {"id": "grounding-practice", "kind": "practice", "title": "Feet and seat",
         "senses": ["body", "sound"], "duration_seconds": 120.0,
         "file": "grounding-practice-cccc3333.mp3", "version": "cccc3333",
         "transcript": "This is a two-minute grounding practice."},
        {"id": "five-senses", "kind": "practice", "title": "Five senses", "senses":
         ["sight", "sound", "touch", "smell", "taste"], "duration_seconds": 540.0,
         "file": "five-senses-dddd4444.mp3", "version": "dddd4444",
         "transcript": "A longer walk through the senses."},
        {"id": "lesson-what-are-glimmers", "kind": "lesson", "title": "What glimmers are",
         "order": 1, "duration_seconds": 200.0, "file": "lesson-1-eeee5555.mp3",
         "version": "eeee5555", "transcript": "Glimmers are small moments.",
         "sources": ["Dana 2018"]},
        {"id": "lesson-neuroception", "kind": "lesson", "title": "Neuroception", "order": 2,
         "duration_seconds": 240.0, "file": "lesson-2-ffff6666.mp3", "version": "ffff6666",
         "transcript": "Neuroception is...", "sources": ["Porges 2011"]},
        {"id": "lesson-after-trauma", "kind": "lesson", "title": "Why glimmers matter",
         "order": 3, "duration_seconds": 260.0, "file": "lesson-3-abab7777.mp3",
         "version": "abab7777", "transcript": "A content note...", "content_note": True},
        {"id": "linger", "kind": "clip", "title": "Lingering", "senses": ["body"],
         "duration_seconds": 18.0, "file": "linger-cdcd8888.mp3", "version": "cdcd8888",
         "transcript": "Stay with it."},
        {"id": "grounding-minute", "kind": "clip", "title": "One minute of grounding",
         "senses": ["body", "sound"], "duration_seconds": 62.0,
         "file": "grounding-minute-efef9999.mp3", "version": "efef9999",
         "transcript": "Feet on the floor."},
    ],
}


@pytest.fixture
def library() -> Library:
    """A small practice and lesson catalog in the manifest's real shape."""
    return parse_manifest(LIBRARY_MANIFEST)


@pytest.fixture(scope="session")
def settings_api() -> Iterator[SettingsApi]:
    """A local Settings API stand-in; devices in tests point their apiEndpoint at it."""
    with settings_api_server() as api:
        yield api


@pytest.fixture
def time_zones(settings_api: SettingsApi) -> Iterator[SettingsApi]:
    """The Settings API stand-in, reset for each test."""
    settings_api.zones.clear()
    settings_api.calls = 0
    settings_api.status = 200
    yield settings_api


@pytest.fixture
def make_app(clock: FrozenClock, library: Library, tmp_path: Path) -> Any:
    """Builds an app on a given database with verification off, unless overridden."""

    def make(database: Database, **overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "GLIMMERS_VERIFY_REQUESTS": "0",
            "GLIMMERS_SKILL_ID": SKILL_ID,
            "GLIMMERS_SECRET_KEY": "test-secret-key-of-enough-length-000000",
            "GLIMMERS_AUDIO_DIR": str(tmp_path / "audio"),
            "database": database,
            "clock": clock,
            "library": library,
        }
        config.update(overrides)
        app = create_app(config)
        app.testing = True
        return app

    return make


@pytest.fixture
def app(make_app: Any, database: Database) -> Flask:
    """The app on a migrated database (SQLite and PostgreSQL)."""
    flask_app: Flask = make_app(database)
    return flask_app


@pytest.fixture
def alexa(app: Flask, clock: FrozenClock, time_zones: SettingsApi) -> AlexaActions:
    """An Alexa stand-in talking to the app through POST /alexa."""
    actions = AlexaActions(client=app.test_client(), clock=clock)
    actions.device.api_endpoint = time_zones.url
    actions.device.api_token = time_zones.token
    return actions
