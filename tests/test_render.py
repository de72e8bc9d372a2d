"""The render pipeline end to end: real espeak-ng, real pydub/ffmpeg, measured with ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from skill.render.build import Builder
from skill.render.check import check_build
from skill.render.cli import render
from skill.render.content import load_library
from skill.render.engines import EngineError, EspeakEngine
from skill.render.probe import decode_errors, probe

FIXTURE = Path(__file__).parent / "data" / "render"
FIELDS = {"id", "kind", "title", "senses", "order", "duration_seconds", "file", "hash",
          "version", "transcript", "content_note", "sources"}


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A private copy of the tiny fixture library."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "audio"))


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    """The output folder for a render."""
    return tmp_path / "audio" / "build"


def run(source: Path, out: Path, *args: str) -> Result:
    """Invoke `glimmers render` the way a person would, offline."""
    return CliRunner().invoke(
        render, ["--source", str(source), "--out", str(out), "--no-progress", *args]
    )


def espeak(source: Path, out: Path, *args: str) -> Result:
    """Render with espeak-ng (the offline engine) and require success."""
    result = run(source, out, "--engine", "espeak", *args)
    assert result.exit_code == 0, result.output
    return result


def manifest(out: Path) -> dict[str, object]:
    """The manifest as JSON."""
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def mp3s(out: Path) -> dict[str, float]:
    """Rendered files and their modification times."""
    return {p.name: p.stat().st_mtime for p in out.glob("*.mp3")}


class FailingEngine(EspeakEngine):
    """espeak-ng that breaks (with `error`) once it has spoken `after` segments."""

    def __init__(self, after: int, error: BaseException) -> None:
        super().__init__()
        self.after, self.error, self.calls = after, error, 0

    def synthesize(self, text: str, dest: Path) -> None:
        """Speak, or raise once the budget is spent (after writing a few bytes, like a crash)."""
        self.calls += 1
        if self.calls > self.after:
            dest.write_bytes(b"RIFF partial")
            raise self.error
        super().synthesize(text, dest)


def test_render_writes_alexa_ready_mp3s_and_the_manifest(source: Path, out: Path) -> None:
    """A render makes 24 kHz, 48 kbps CBR MPEG-2 layer III files and a manifest describing them."""
    result = espeak(source, out)
    assert "rendered 3, reused 0, failed 0" in result.output
    data = manifest(out)
    assert data["schema"] == 1 and data["locale"] == "en-US"
    items = {e["id"]: e for e in data["items"]}  # type: ignore[attr-defined]
    assert set(items) == {"tiny-listening", "tiny-lesson", "tiny-linger"}
    for entry in items.values():
        assert set(entry) >= FIELDS
        facts = probe(out / entry["file"])
        assert (facts.codec, facts.sample_rate, facts.bit_rate) == ("mp3", 24_000, 48_000)
        assert (facts.mpeg_version, facts.mpeg_layer) == ("2", 3) and facts.constant_bitrate
        assert abs(facts.duration - entry["duration_seconds"]) < 0.15
        assert entry["file"] == f"{entry['id']}-{entry['hash'][:8]}.mp3"
        assert entry["version"] == entry["hash"][:8] and "[" not in entry["transcript"]
        assert decode_errors(out / entry["file"]) == ""
    assert items["tiny-lesson"]["order"] == 1 and items["tiny-listening"]["order"] is None
    assert items["tiny-lesson"]["sources"] == ["Dana 2018"]
    assert items["tiny-linger"]["kind"] == "clip"
    # The 1.5 s pause is real silence: the practice outlasts its two spoken sentences by it.
    assert items["tiny-listening"]["duration_seconds"] > 1.5
    assert run(source, out, "--check").exit_code == 0


def test_second_run_renders_nothing(source: Path, out: Path) -> None:
    """An unchanged library re-renders nothing and leaves every file untouched."""
    espeak(source, out)
    before, segments = mp3s(out), sorted((out / ".cache").rglob("*.wav"))
    result = espeak(source, out)
    assert "rendered 0, reused 3, failed 0" in result.output
    assert mp3s(out) == before
    assert sorted((out / ".cache").rglob("*.wav")) == segments


def test_an_edit_rerenders_only_that_item_and_retires_its_old_file(
    source: Path, out: Path
) -> None:
    """Changing one item's words renders that item alone and removes its previous version."""
    espeak(source, out)
    old = {e["id"]: e["file"] for e in manifest(out)["items"]}  # type: ignore[attr-defined]
    path = source / "clips" / "tiny-linger.txt"
    path.write_text(path.read_text().replace("Let it land.", "Let it land, gently."))
    result = espeak(source, out)
    assert "rendered 1, reused 2, failed 0" in result.output
    new = {e["id"]: e["file"] for e in manifest(out)["items"]}  # type: ignore[attr-defined]
    assert new["tiny-linger"] != old["tiny-linger"] and new["tiny-lesson"] == old["tiny-lesson"]
    assert not (out / old["tiny-linger"]).exists()
    assert run(source, out, "--check").exit_code == 0


def test_a_title_change_rewrites_the_manifest_but_not_the_audio(source: Path, out: Path) -> None:
    """Metadata that does not change the sound updates the manifest without re-rendering."""
    espeak(source, out)
    path = source / "practices" / "tiny-listening.txt"
    path.write_text(path.read_text().replace('title = "Listening"', 'title = "Sounds"'))
    assert "rendered 0, reused 3" in espeak(source, out).output
    titles = [e["title"] for e in manifest(out)["items"]]  # type: ignore[attr-defined]
    assert "Sounds" in titles


def test_engine_failure_midway_leaves_no_partial_file_and_the_next_run_resumes(
    source: Path, out: Path
) -> None:
    """When the engine breaks mid-run, finished files stay whole, nothing is half-written, and
    the next run renders only what is left."""
    library = load_library(source)
    broken = FailingEngine(after=3, error=EngineError("engine crashed"))
    report = Builder(library=library, engine=broken, out=out, jobs=1).run()
    assert report.failed and not report.ok
    assert not (out / "manifest.json").exists()
    assert not list(out.rglob("*.part*"))
    for path in out.glob("*.mp3"):
        assert decode_errors(path) == "" and probe(path).sample_rate == 24_000
    finished = len(report.rendered)

    resumed = Builder(library=library, engine=EspeakEngine(), out=out, jobs=2).run()
    assert resumed.ok and len(resumed.reused) == finished
    assert len(resumed.rendered) == 3 - finished
    assert check_build(out, library) == []


def test_an_interrupt_leaves_no_broken_file(source: Path, out: Path) -> None:
    """Ctrl-C in the middle of a render leaves only complete files, and a re-run completes."""
    library = load_library(source)
    with pytest.raises(KeyboardInterrupt):
        Builder(library=library, engine=FailingEngine(1, KeyboardInterrupt()), out=out).run()
    assert not list(out.rglob("*.part*"))
    assert not list((out / ".cache").rglob("*.wav"))[1:]  # at most the one finished segment
    assert Builder(library=library, engine=EspeakEngine(), out=out).run().ok
    assert check_build(out, library) == []


def test_check_catches_a_file_in_the_wrong_format(source: Path, out: Path) -> None:
    """`--check` measures the audio itself and names a 44.1 kHz, 128 kbps file."""
    espeak(source, out)
    entry = manifest(out)["items"][0]  # type: ignore[index]
    target = out / entry["file"]
    wrong = out / "wrong.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(target), "-ar", "44100",
                    "-b:a", "128k", str(wrong)], check=True)
    wrong.replace(target)
    result = run(source, out, "--check")
    assert result.exit_code == 1
    assert f"{target}: sample rate 44100 Hz" in result.output
    assert f"{target}: bit rate 128 kbps" in result.output
    assert f"{target}: MPEG-1" in result.output


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("duration", "manifest says"),
        ("unlisted", "not listed in the manifest"),
        ("missing", "listed in the manifest but missing"),
        ("hash", "file name and version do not match the hash"),
    ],
)
def test_check_catches_a_manifest_that_disagrees_with_the_files(
    source: Path, out: Path, damage: str, expected: str
) -> None:
    """`--check` exits non-zero naming the file when manifest and files disagree."""
    espeak(source, out)
    data = manifest(out)
    entry = data["items"][0]  # type: ignore[index]
    if damage == "duration":
        entry["duration_seconds"] += 3
    elif damage == "unlisted":
        shutil.copy(out / entry["file"], out / "stray.mp3")
    elif damage == "missing":
        (out / entry["file"]).unlink()
    else:
        entry["hash"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(data))
    result = run(source, out, "--check")
    assert result.exit_code == 1
    assert expected in result.output
    named = "stray.mp3" if damage == "unlisted" else entry["file"]
    assert named in result.output or "manifest.json" in result.output


def test_check_reports_sources_changed_since_the_render(source: Path, out: Path) -> None:
    """`--check` notices narration edited after the last render."""
    espeak(source, out)
    path = source / "lessons" / "tiny-lesson.txt"
    path.write_text(path.read_text().replace("feels okay", "feels okay, or even neutral"))
    result = run(source, out, "--check")
    assert result.exit_code == 1 and f"{path}: changed since the last render" in result.output


BAD_SOURCES = {
    "unknown marker": ("[breathe 4s]", "tiny-linger.txt:8: unknown marker '[breathe 4s]'"),
    "empty segment": ("[pause 1s] ... [pause 2s]", "tiny-linger.txt:8: empty segment"),
    "two pauses": ("Hello. [pause 1s] [pause 2s] Bye.", "tiny-linger.txt:8: empty segment"),
    "missing transcript": ("# nothing to say", "tiny-linger.txt: missing transcript"),
    "unbalanced bracket": ("Hello [pause 2s", "tiny-linger.txt:8: unbalanced"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_bad_narration_stops_the_run_naming_file_and_line(
    source: Path, out: Path, case: str
) -> None:
    """A malformed body stops the render before any audio is written, naming file and line."""
    body, message = BAD_SOURCES[case]
    path = source / "clips" / "tiny-linger.txt"
    header = path.read_text().split("+++")[1]
    path.write_text(f"+++{header}+++\n{body}\n")
    result = run(source, out, "--engine", "espeak")
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists() or not list(out.rglob("*.*"))


BAD_HEADERS = {
    "missing field": ('title = "Staying a moment"\n', "", "tiny-linger.txt:1: missing "
                      "metadata field 'title'"),
    "unknown field": ('kind = "clip"\n', 'kind = "clip"\nmood = "calm"\n',
                      "tiny-linger.txt:5: unknown metadata field 'mood'"),
    "unknown kind": ('kind = "clip"', 'kind = "song"', "tiny-linger.txt:4: kind must be"),
    "unknown sense": ('["body"]', '["hearing"]', "tiny-linger.txt:5: unknown sense 'hearing'"),
    "id and file differ": ('id = "tiny-linger"', 'id = "linger"', "tiny-linger.txt:2: id "),
    "bad toml": ('target_seconds = 5', 'target_seconds = ', "tiny-linger.txt:6: metadata is"),
}


@pytest.mark.parametrize("case", sorted(BAD_HEADERS))
def test_bad_metadata_stops_the_run_naming_file_and_line(
    source: Path, out: Path, case: str
) -> None:
    """A missing, unknown or mistyped metadata field stops the render, naming file and line."""
    old, new, message = BAD_HEADERS[case]
    path = source / "clips" / "tiny-linger.txt"
    path.write_text(path.read_text().replace(old, new, 1))
    result = run(source, out, "--engine", "espeak")
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()


def test_a_duplicate_id_names_both_files(source: Path, out: Path) -> None:
    """Two sources with the same id stop the render and name both files."""
    (source / "extra").mkdir()
    shutil.copy(source / "clips" / "tiny-linger.txt", source / "extra" / "tiny-linger.txt")
    result = run(source, out, "--engine", "espeak")
    assert result.exit_code == 1
    assert "duplicate id 'tiny-linger'" in result.output
    assert "extra/tiny-linger.txt:2" in result.output or "clips/tiny-linger.txt:2" in result.output
    assert not out.exists()


def test_a_clip_longer_than_alexa_allows_is_refused(source: Path, out: Path) -> None:
    """A clip over 240 s (Alexa's limit inside a speech response) is refused before rendering."""
    path = source / "clips" / "tiny-linger.txt"
    path.write_text(path.read_text().replace(
        "[pause 1s]", "[pause 120s] Still here. [pause 120s] And here. [pause 10s]"))
    result = run(source, out, "--engine", "espeak")
    assert result.exit_code == 1 and "must stay under 240 s" in result.output
    assert not out.exists()


def test_the_running_skill_accepts_the_manifest(source: Path, out: Path) -> None:
    """The manifest is the contract: the skill's own reader loads it with every item intact."""
    from skill.guide.library import load_library as load_catalog

    espeak(source, out)
    catalog = load_catalog(out)
    assert catalog.available and {item.id for item in catalog.items} == {
        "tiny-listening", "tiny-lesson", "tiny-linger"
    }
    lesson = catalog.get("tiny-lesson")
    assert lesson is not None and lesson.order == 1 and lesson.sources == ("Dana 2018",)
    assert all((out / item.file).is_file() for item in catalog.items)


def test_check_works_on_a_host_without_sources(source: Path, out: Path, tmp_path: Path) -> None:
    """`--check` verifies a copied build folder on its own when no sources are present."""
    espeak(source, out)
    served = Path(shutil.copytree(out, tmp_path / "served"))
    result = run(tmp_path / "no-sources", served, "--check")
    assert result.exit_code == 0, result.output
    assert "without comparing it to sources" in result.output
    (served / "manifest.json").unlink()
    assert run(tmp_path / "no-sources", served, "--check").exit_code == 1
