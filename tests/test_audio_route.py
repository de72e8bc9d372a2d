"""GET /audio/<file>: ranges, caching, refusing path tricks, and the public audio base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill import create_app
from skill.config import ConfigError
from skill.guide.library import Library
from skill.store.db import Database

AUDIO = bytes(range(256)) * 40  # 10,240 bytes standing in for an MP3
FILE = "sound-practice-aaaa1111.mp3"


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    """The app's audio directory with one rendered file, and a secret file beside it."""
    directory = tmp_path / "audio"
    directory.mkdir()
    (directory / FILE).write_bytes(AUDIO)
    (directory / "notes.txt").write_text("not audio")
    (tmp_path / "secret.mp3").write_bytes(b"outside the audio directory")
    return directory


@pytest.fixture
def client(app: Flask, audio_dir: Path) -> FlaskClient:
    """A test client on the app, whose GLIMMERS_AUDIO_DIR is audio_dir."""
    return app.test_client()


def test_a_file_is_served_as_audio_with_long_lived_caching(client: FlaskClient) -> None:
    """A whole file comes back as audio/mpeg with an ETag, byte ranges and a year of caching."""
    response = client.get(f"/audio/{FILE}")
    assert response.status_code == 200
    assert response.data == AUDIO
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"]
    cache = response.cache_control
    assert cache.public and cache.max_age == 365 * 24 * 3600 and cache.immutable


def test_a_range_request_gets_206_with_content_range(client: FlaskClient) -> None:
    """Range requests, as Echo devices make when seeking, get just those bytes."""
    response = client.get(f"/audio/{FILE}", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert response.data == AUDIO[100:200]
    assert response.mimetype == "audio/mpeg"


def test_an_open_ended_and_a_suffix_range(client: FlaskClient) -> None:
    """'bytes=N-' and 'bytes=-N' are honoured too."""
    tail = client.get(f"/audio/{FILE}", headers={"Range": "bytes=10000-"})
    assert tail.status_code == 206 and tail.data == AUDIO[10000:]
    last = client.get(f"/audio/{FILE}", headers={"Range": "bytes=-16"})
    assert last.status_code == 206 and last.data == AUDIO[-16:]


def test_a_range_past_the_end_is_416(client: FlaskClient) -> None:
    """A range that cannot be satisfied says so."""
    response = client.get(f"/audio/{FILE}", headers={"Range": f"bytes={len(AUDIO) + 10}-"})
    assert response.status_code == 416


def test_a_matching_etag_gets_304(client: FlaskClient) -> None:
    """If-None-Match with the file's ETag is answered 304 with no body."""
    etag = client.get(f"/audio/{FILE}").headers["ETag"]
    response = client.get(f"/audio/{FILE}", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_head_gives_the_length_without_the_body(client: FlaskClient) -> None:
    """HEAD answers with the size, as players check before streaming."""
    response = client.head(f"/audio/{FILE}")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(AUDIO))


@pytest.mark.parametrize("path", [
    "/audio/..%2Fsecret.mp3",
    "/audio/%2e%2e%2Fsecret.mp3",
    "/audio/%2e%2e%2fsecret.mp3",
    "/audio/..%5Csecret.mp3",
    "/audio/..\\secret.mp3",
    "/audio/%2Fetc%2Fpasswd",
    "/audio//etc/passwd",
    "/audio/../secret.mp3",
    "/audio/%2e%2e",
    "/audio/..",
    "/audio/.hidden.mp3",
    "/audio/notes.txt",
    "/audio/sound-practice-aaaa1111.MP3",
    "/audio/sound-practice-aaaa1111.wav",
    "/audio/missing-0000.mp3",
    "/audio/a%00.mp3",
])
def test_path_tricks_and_other_files_are_404(client: FlaskClient, path: str) -> None:
    """Traversal, encoded separators, backslashes, absolute paths and non-MP3s are not found."""
    response = client.get(path)
    assert response.status_code == 404
    assert b"outside the audio directory" not in response.data
    assert b"root:" not in response.data


def test_production_refuses_an_audio_base_that_is_not_https(
        database: Database, library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production mode the app will not start unless audio is served over HTTPS."""
    for name in ("GLIMMERS_AUDIO_BASE_URL", "GLIMMERS_VERIFY_REQUESTS", "GLIMMERS_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    production: dict[str, Any] = {
        "GLIMMERS_PRODUCTION": "1",
        "GLIMMERS_SKILL_ID": "amzn1.ask.skill.prod",
        "GLIMMERS_SECRET_KEY": "x" * 40,
        "database": database,
        "library": library,
    }
    with pytest.raises(ConfigError, match="GLIMMERS_AUDIO_BASE_URL"):
        create_app({**production, "GLIMMERS_AUDIO_BASE_URL": "http://cdn.example.org/audio"})
    with pytest.raises(ConfigError, match="GLIMMERS_AUDIO_BASE_URL"):
        create_app(production)
    app = create_app({**production, "GLIMMERS_AUDIO_BASE_URL": "https://cdn.example.org/audio"})
    assert app.config["GLIMMERS_SETTINGS"].audio_base_url == "https://cdn.example.org/audio/"
