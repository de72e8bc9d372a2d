"""The incremental build: sources + engine → cached segments → MP3 files + manifest.json."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tqdm import tqdm

from skill.render.assemble import MixSettings, assemble, export_mp3
from skill.render.content import CLIP_MAX_SECONDS, Item, Library, Narration
from skill.render.engines import Engine, EngineError
from skill.render.probe import ProbeError, probe

SCHEMA: Final = 1
MANIFEST: Final = "manifest.json"
# Bump when the pipeline changes the sound in a way no setting captures.
PIPELINE_VERSION: Final = 1
CACHE_DIR: Final = ".cache"


class RenderError(Exception):
    """One item could not be rendered."""


@dataclass
class BuildReport:
    """What a build did: item ids by outcome, audio length and wall time."""

    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    total_seconds: float = 0.0
    elapsed: float = 0.0
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every item was rendered or reused and the manifest was written."""
        return not self.failed and self.manifest is not None


def segment_key(engine: Mapping[str, object], text: str) -> str:
    """Cache key of one narration segment: its text and every engine setting."""
    return _digest({"engine": engine, "text": text})


def item_hash(item: Item, engine: Mapping[str, object], settings: Mapping[str, object],
              locale: str) -> str:
    """sha256 of everything that changes an item's sound (not its title or metadata)."""
    parts = [["say", s.text] if isinstance(s, Narration) else ["pause", s.seconds]
             for s in item.segments]
    return _digest({"pipeline": PIPELINE_VERSION, "engine": engine, "mix": settings,
                    "locale": locale, "parts": parts})


def file_name(item_id: str, digest: str) -> str:
    """Output file name: stable id plus a version, so caches and CDNs never serve stale audio."""
    return f"{item_id}-{digest[:8]}.mp3"


def _digest(value: object) -> str:
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(out: Path) -> dict[str, object] | None:
    """The manifest in `out`, or None if there is none or it is unreadable."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class Builder:
    """Renders a validated library with one engine into one output folder."""

    library: Library
    engine: Engine
    out: Path
    locale: str = "en-US"
    jobs: int = 1
    settings: MixSettings = field(default_factory=MixSettings)
    progress: bool = False
    log: Callable[[str], None] = lambda message: None

    def __post_init__(self) -> None:
        self.cache = self.out / CACHE_DIR / "segments"
        self._engine_fp = dict(self.engine.fingerprint())
        self._mix_fp = dict(self.settings.fingerprint())

    def run(self) -> BuildReport:
        """Render what changed, reuse the rest, then write the manifest if nothing failed."""
        started = time.monotonic()
        self.cache.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(self.out)
        _remove_leftovers(self.cache)
        previous = _entries_by_hash(read_manifest(self.out))
        report = BuildReport()
        entries: dict[str, dict[str, object]] = {}
        todo: list[tuple[Item, str]] = []
        for item in self.library.items:
            digest = item_hash(item, self._engine_fp, self._mix_fp, self.locale)
            existing = self.out / file_name(item.id, digest)
            if existing.exists():
                entries[item.id] = self._entry(item, digest, existing, previous.get(digest))
                report.reused.append(item.id)
            else:
                todo.append((item, digest))

        bar = tqdm(total=len(self.library.items), initial=len(report.reused), unit="item",
                   desc="Rendering", disable=not self.progress, dynamic_ncols=True)
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
                futures: dict[Future[dict[str, object]], Item] = {
                    pool.submit(self._render, item, digest): item for item, digest in todo
                }
                try:
                    for future in as_completed(futures):
                        item = futures[future]
                        try:
                            entries[item.id] = future.result()
                            report.rendered.append(item.id)
                        except (RenderError, EngineError, ProbeError, OSError) as exc:
                            report.failed[item.id] = str(exc)
                            self.log(f"{item.path}: {exc}")
                        bar.update(1)
                except BaseException:
                    # Ctrl-C: drop queued work; files already written are complete and kept.
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        finally:
            bar.close()

        report.total_seconds = sum(float(str(e["duration_seconds"])) for e in entries.values())
        if not report.failed:
            ordered = [entries[item.id] for item in self.library.items]
            report.manifest = self._write_manifest(ordered)
            _prune(self.out, {str(e["file"]) for e in ordered})
        report.elapsed = time.monotonic() - started
        return report

    def _render(self, item: Item, digest: str) -> dict[str, object]:
        parts: list[Path | float] = []
        for segment in item.segments:
            if isinstance(segment, Narration):
                try:
                    parts.append(self._segment(segment.text))
                except EngineError as exc:
                    raise RenderError(f"line {segment.line}: {exc}") from exc
            else:
                parts.append(float(segment.seconds))
        audio = assemble(parts, self.settings)
        seconds = len(audio) / 1000
        if item.kind == "clip" and seconds > CLIP_MAX_SECONDS:
            raise RenderError(f"clip is {seconds:.1f} s; speech responses take at most "
                              f"{CLIP_MAX_SECONDS:.0f} s of audio")
        dest = self.out / file_name(item.id, digest)
        export_mp3(audio, dest, self.settings)
        return self._entry(item, digest, dest, None)

    def _segment(self, text: str) -> Path:
        path = self.cache / f"{segment_key(self._engine_fp, text)}{self.engine.suffix}"
        if path.exists():
            return path
        temp = self.cache / f".{path.stem}.{os.getpid()}.{threading.get_ident()}.part{path.suffix}"
        try:
            self.engine.synthesize(text, temp)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        return path

    def _entry(self, item: Item, digest: str, path: Path,
               previous: Mapping[str, object] | None) -> dict[str, object]:
        sha = sha256_file(path)
        if previous is not None and previous.get("file_sha256") == sha:
            duration = float(str(previous["duration_seconds"]))
        else:
            duration = round(probe(path).duration, 2)
        return {
            "id": item.id, "kind": item.kind, "title": item.title, "senses": list(item.senses),
            "order": item.order, "duration_seconds": duration, "file": path.name,
            "hash": digest, "version": digest[:8], "transcript": item.transcript,
            "content_note": item.content_note, "sources": list(item.sources),
            "bytes": path.stat().st_size, "file_sha256": sha,
        }

    def _write_manifest(self, entries: list[dict[str, object]]) -> Path:
        manifest = {
            "schema": SCHEMA, "locale": self.locale, "engine": self._engine_fp,
            "mix": self._mix_fp, "items": entries,
        }
        path = self.out / MANIFEST
        temp = self.out / f".{MANIFEST}.{os.getpid()}.part"
        temp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        os.replace(temp, path)
        return path


def _entries_by_hash(manifest: Mapping[str, object] | None) -> dict[str, Mapping[str, object]]:
    items = manifest.get("items") if manifest else None
    if not isinstance(items, list):
        return {}
    return {str(e["hash"]): e for e in items if isinstance(e, dict) and "hash" in e}


def _remove_leftovers(folder: Path) -> None:
    # Temporary files of an interrupted run are never complete; the run that made them is gone.
    for temp in folder.glob(".*.part*"):
        temp.unlink(missing_ok=True)


def _prune(out: Path, keep: set[str]) -> None:
    # Older versions of an item are only removed once a complete manifest no longer names them.
    for old in out.glob("*.mp3"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
