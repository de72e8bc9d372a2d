"""`--check`: measure rendered files against Alexa's rules, and the manifest against the files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from skill.render.build import MANIFEST, SCHEMA, file_name, item_hash, read_manifest, sha256_file
from skill.render.content import CLIP_MAX_SECONDS, KINDS, SENSES, Library
from skill.render.probe import AudioFacts, ProbeError, decode_errors, probe

SAMPLE_RATE: Final = 24_000
BIT_RATE: Final = 48_000
DURATION_TOLERANCE: Final = 0.15  # seconds; ffprobe's estimate and ours may differ by a frame
FIELDS: Final[Mapping[str, type | tuple[type, ...]]] = {
    "id": str, "kind": str, "title": str, "senses": list, "order": (int, type(None)),
    "duration_seconds": (int, float), "file": str, "hash": str, "version": str,
    "transcript": str, "content_note": bool, "sources": list,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the build, naming the offending file."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_build(out: Path, library: Library | None = None) -> list[Problem]:
    """Every problem with the files and manifest in `out` (and staleness against `library`)."""
    manifest_path = out / MANIFEST
    manifest = read_manifest(out)
    if manifest is None:
        return [Problem(manifest_path, "missing or not valid JSON; run `glimmers render`")]
    problems = list(_check_manifest(out, manifest_path, manifest))
    if library is not None:
        problems.extend(_check_sources(manifest_path, manifest, library))
    return problems


def _check_manifest(out: Path, path: Path, manifest: Mapping[str, object]) -> Iterator[Problem]:
    if manifest.get("schema") != SCHEMA:
        yield Problem(path, f"schema is {manifest.get('schema')!r}, expected {SCHEMA}")
    items = manifest.get("items")
    if not isinstance(items, list):
        yield Problem(path, "`items` is not a list")
        return
    listed: set[str] = set()
    seen: set[str] = set()
    for index, entry in enumerate(items):
        if not isinstance(entry, dict):
            yield Problem(path, f"items[{index}] is not an object")
            continue
        bad = [k for k, t in FIELDS.items() if not isinstance(entry.get(k), t)
               or (t is int and isinstance(entry.get(k), bool))]
        if bad:
            yield Problem(path, f"items[{index}] has missing or mistyped field(s) {bad}")
            continue
        if entry["id"] in seen:
            yield Problem(path, f"duplicate id {entry['id']!r}")
        seen.add(entry["id"])
        listed.add(entry["file"])
        yield from _check_entry(out, path, entry)
    for stray in sorted(out.glob("*.mp3")):
        if stray.name not in listed:
            yield Problem(stray, "not listed in the manifest")


def _check_entry(out: Path, manifest: Path, entry: Mapping[str, object]) -> Iterator[Problem]:
    name, digest, kind = str(entry["file"]), str(entry["hash"]), entry["kind"]
    if kind not in KINDS:
        yield Problem(manifest, f"{entry['id']}: kind {kind!r} is not one of {KINDS}")
    if (kind == "lesson") != isinstance(entry["order"], int):
        yield Problem(manifest, f"{entry['id']}: only lessons have an integer order")
    senses = entry["senses"]
    unknown = [s for s in senses if s not in SENSES] if isinstance(senses, list) else []
    if unknown:
        yield Problem(manifest, f"{entry['id']}: unknown senses {unknown}")
    if name != file_name(str(entry["id"]), digest) or entry["version"] != digest[:8]:
        yield Problem(manifest, f"{entry['id']}: file name and version do not match the hash")
    path = out / name
    if not path.is_file():
        yield Problem(path, "listed in the manifest but missing")
        return
    if "file_sha256" in entry and entry["file_sha256"] != sha256_file(path):
        yield Problem(path, "content differs from the manifest's file_sha256")
    try:
        facts = probe(path)
    except ProbeError as exc:
        yield Problem(path, f"unreadable: {exc}")
        return
    yield from _format_problems(path, facts)
    duration = float(str(entry["duration_seconds"]))
    if abs(facts.duration - duration) > DURATION_TOLERANCE:
        yield Problem(path, f"lasts {facts.duration:.2f} s, manifest says {duration:.2f} s")
    if kind == "clip" and facts.duration > CLIP_MAX_SECONDS:
        yield Problem(path, f"clip lasts {facts.duration:.1f} s, over {CLIP_MAX_SECONDS:.0f} s")
    errors = decode_errors(path)
    if errors:
        yield Problem(path, f"does not decode cleanly: {errors.splitlines()[0]}")


def _format_problems(path: Path, facts: AudioFacts) -> Iterator[Problem]:
    """Alexa's rules: MP3, MPEG-2 layer III, 24 kHz, 48 kbps constant bit rate."""
    if facts.codec != "mp3" or "mp3" not in facts.format_name:
        yield Problem(path, f"codec {facts.codec!r} in {facts.format_name!r}, expected mp3")
    if (facts.mpeg_version, facts.mpeg_layer) != ("2", 3):
        yield Problem(path, f"MPEG-{facts.mpeg_version} layer {facts.mpeg_layer}, "
                            "expected MPEG-2 layer III")
    if facts.sample_rate != SAMPLE_RATE:
        yield Problem(path, f"sample rate {facts.sample_rate} Hz, expected {SAMPLE_RATE}")
    if facts.bit_rate != BIT_RATE:
        yield Problem(path, f"bit rate {facts.bit_rate // 1000} kbps, expected 48")
    if not facts.constant_bitrate:
        yield Problem(path, f"variable bit rate (frame sizes {sorted(facts.packet_sizes)[:5]}…)")


def _check_sources(path: Path, manifest: Mapping[str, object],
                   library: Library) -> Iterator[Problem]:
    engine, mix, locale = manifest.get("engine"), manifest.get("mix"), manifest.get("locale")
    items = manifest.get("items")
    if not isinstance(engine, dict) or not isinstance(mix, dict) or not isinstance(items, list):
        return
    by_id = {str(e.get("id")): e for e in items if isinstance(e, dict)}
    for item in library.items:
        entry = by_id.get(item.id)
        if entry is None:
            yield Problem(item.path, "not in the manifest; run `glimmers render`")
        elif entry.get("hash") != item_hash(item, engine, mix, str(locale)):
            yield Problem(item.path, "changed since the last render; run `glimmers render`")
    known = {item.id for item in library.items}
    for item_id in sorted(set(by_id) - known):
        yield Problem(path, f"lists {item_id!r}, which has no source")
