"""The gTTS engine through gTTS's own HTTP code, answered by a local stand-in for Google."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from gtts import gTTS
from render_support import PROXY_VARIABLES, StandIn, stand_in

from skill.render.cli import render
from skill.render.engines import EngineError, GttsEngine, pack_chunks, prepare_text
from skill.render.probe import probe

FIXTURE = Path(__file__).parent / "data" / "render"
PROSE = (
    "You might notice a sound nearby. It could be soft, or far away, or very ordinary. "
    "If it feels okay, you could stay with it for a moment. There is nothing to get right here. "
    "Whenever you are ready, you might let your attention move to your hands, resting wherever "
    "they are, and notice whether they feel warm, cool, or something in between."
)


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    """One stand-in for the module (its MP3 is made once, for real, by espeak-ng and ffmpeg)."""
    with stand_in() as running:
        yield running


@pytest.fixture()
def google(server: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """Route gTTS to the stand-in through the standard proxy variable, with a fresh script."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, server.proxy_url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server.script.clear()
    server.texts.clear()
    return server


def engine(**overrides: object) -> GttsEngine:
    """A gTTS engine with test-sized waits (the same code, tiny delays)."""
    settings: dict[str, object] = {"backoff": 0.01, "max_backoff": 0.05, "min_interval": 0.0,
                                   "timeout": (2.0, 0.5), "retries": 3}
    settings.update(overrides)
    return GttsEngine(**settings)  # type: ignore[arg-type]


def closed_port() -> str:
    """A proxy address where nothing listens, so every connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_text_is_packed_into_few_requests_of_at_most_100_characters(
    google: StandIn, tmp_path: Path
) -> None:
    """gTTS sends exactly our sentence-packed chunks, fewer than its own comma splitting would."""
    dest = tmp_path / "prose.mp3"
    engine().synthesize(PROSE, dest)
    assert google.texts == pack_chunks(prepare_text(PROSE))
    assert all(len(text) <= 100 for text in google.texts)
    assert " ".join(google.texts) == " ".join(PROSE.split())
    default = gTTS(PROSE, lang_check=False).get_bodies()
    assert len(google.texts) < len(default)
    assert probe(dest).codec == "mp3"


def test_packing_keeps_sentences_whole_where_they_fit() -> None:
    """Short sentences share a request; a long one breaks at a comma, not mid-phrase."""
    chunks = pack_chunks("One. Two. Three. " + "word " * 30 + ", and then the rest of it.")
    assert chunks[0] == "One. Two. Three."
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert chunks[-1].endswith("and then the rest of it.")


def test_busy_and_failing_answers_are_retried(google: StandIn, tmp_path: Path) -> None:
    """A 429 and a 500 are retried with backoff, and the third answer's audio is kept."""
    google.script.extend(["429", "500"])
    tts = engine()
    tts.synthesize("You might notice one sound.", tmp_path / "a.mp3")
    assert google.texts == ["You might notice one sound."] * 3
    assert tts.requests_sent == 3
    assert probe(tmp_path / "a.mp3").duration > 0


def test_backoff_grows_and_stays_bounded(google: StandIn, tmp_path: Path) -> None:
    """Waits between retries double from the base and never exceed the ceiling."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    google.script.extend(["500"] * 4)
    engine(backoff=0.01, max_backoff=0.03, retries=4, sleep=sleep).synthesize(
        "Hello there.", tmp_path / "b.mp3"
    )
    assert len(waits) == 4
    assert waits[0] < waits[1] and all(0.01 <= w <= 0.03 for w in waits)


def test_an_empty_answer_is_an_error(google: StandIn, tmp_path: Path) -> None:
    """A 200 without audio is never taken as silence: it is retried, then reported."""
    google.script.extend(["empty"] * 4)
    with pytest.raises(EngineError, match="empty answer"):
        engine(retries=3).synthesize("Hello.", tmp_path / "c.mp3")
    assert len(google.texts) == 4
    assert not (tmp_path / "c.mp3").exists()


def test_a_timeout_does_not_hang(google: StandIn, tmp_path: Path) -> None:
    """A server that stalls past the read timeout becomes a retried, then reported, error."""
    google.slow_seconds = 3.0
    google.script.extend(["slow", "slow"])
    with pytest.raises(EngineError, match="gave up after 2 attempt"):
        engine(retries=1, timeout=(2.0, 0.3)).synthesize("Hello.", tmp_path / "d.mp3")


def test_gtts_renders_the_library_through_the_cli(google: StandIn, tmp_path: Path) -> None:
    """`--engine auto` uses gTTS when it answers, and the result passes `--check`."""
    source = Path(shutil.copytree(FIXTURE, tmp_path / "audio"))
    out = tmp_path / "build"
    args = ["--source", str(source), "--out", str(out), "--no-progress", "--locale", "en-GB"]
    result = CliRunner().invoke(render, [*args, "--engine", "auto"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "manifest.json").read_text())
    assert data["engine"]["engine"] == "gtts" and data["engine"]["tld"] == "co.uk"
    assert data["locale"] == "en-GB"
    assert google.hosts[-1] == "translate.google.co.uk:443"
    assert CliRunner().invoke(render, [*args, "--check"]).exit_code == 0


def test_auto_falls_back_to_espeak_when_gtts_cannot_connect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With Google unreachable, auto says so plainly and renders offline with espeak-ng."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, closed_port())
    source = Path(shutil.copytree(FIXTURE, tmp_path / "audio"))
    out = tmp_path / "build"
    result = CliRunner().invoke(
        render, ["--source", str(source), "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "gTTS cannot reach its service" in result.output
    assert "falling back to espeak-ng" in result.output
    data = json.loads((out / "manifest.json").read_text())
    assert data["engine"]["engine"] == "espeak-ng"


def test_choosing_gtts_when_it_cannot_connect_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`--engine gtts` with Google unreachable stops before writing anything, saying why."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, closed_port())
    out = tmp_path / "build"
    result = CliRunner().invoke(
        render, ["--source", str(FIXTURE), "--out", str(out), "--engine", "gtts"]
    )
    assert result.exit_code == 1
    assert "the gtts engine is unavailable" in result.output
    assert "Failed to connect" in result.output
    assert not out.exists()
