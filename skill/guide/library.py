"""The practice and lesson catalog, read once from the render pipeline's manifest.json."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KINDS = frozenset({"practice", "lesson", "clip"})
SCHEMA = 1
MAX_SPEECH_CLIP_SECONDS = 240.0


class LibraryError(ValueError):
    """The manifest is unreadable or inconsistent; the app refuses to start with it."""


@dataclass(frozen=True)
class Item:
    """One rendered practice, lesson or clip."""

    id: str
    kind: str
    title: str
    senses: tuple[str, ...]
    order: int | None
    duration_seconds: float
    file: str
    version: str
    transcript: str
    content_note: bool = False
    sources: tuple[str, ...] = ()

    @property
    def token(self) -> str:
        """The stable AudioPlayer token: content id and version, never a URL or position."""
        return f"{self.id}@{self.version}"

    @property
    def minutes(self) -> int:
        """Length rounded to whole minutes, at least one."""
        return max(1, round(self.duration_seconds / 60))


@dataclass(frozen=True)
class Library:
    """Every item of one locale's manifest, indexed by id."""

    items: tuple[Item, ...] = ()
    available: bool = True

    def get(self, item_id: str) -> Item | None:
        """The item with this id."""
        return next((item for item in self.items if item.id == item_id), None)

    def from_token(self, token: str | None) -> Item | None:
        """The item an AudioPlayer token names, whatever version it was played at."""
        if not token:
            return None
        item_id, _, _version = token.partition("@")
        return self.get(item_id)

    @property
    def practices(self) -> tuple[Item, ...]:
        """Practices, shortest first."""
        return tuple(
            sorted(
                (item for item in self.items if item.kind == "practice"),
                key=lambda item: (item.duration_seconds, item.id),
            )
        )

    @property
    def lessons(self) -> tuple[Item, ...]:
        """Lessons in their teaching order."""
        return tuple(
            sorted(
                (item for item in self.items if item.kind == "lesson"),
                key=lambda item: (item.order or 0, item.id),
            )
        )


def _item(entry: Any, where: str) -> Item:
    if not isinstance(entry, dict):
        raise LibraryError(f"{where}: an item must be an object")
    missing = {"id", "kind", "title", "duration_seconds", "file", "version", "transcript"} - set(
        entry
    )
    if missing:
        raise LibraryError(f"{where}: missing {', '.join(sorted(missing))}")
    if entry["kind"] not in KINDS:
        raise LibraryError(f"{where}: unknown kind {entry['kind']!r}")
    file = str(entry["file"])
    if "/" in file or "\\" in file or file.startswith("."):
        raise LibraryError(f"{where}: file must be a plain file name, got {file!r}")
    item = Item(
        id=str(entry["id"]),
        kind=str(entry["kind"]),
        title=str(entry["title"]),
        senses=tuple(str(sense) for sense in entry.get("senses") or ()),
        order=int(entry["order"]) if entry.get("order") is not None else None,
        duration_seconds=float(entry["duration_seconds"]),
        file=file,
        version=str(entry["version"]),
        transcript=str(entry["transcript"]),
        content_note=bool(entry.get("content_note", False)),
        sources=tuple(str(source) for source in entry.get("sources") or ()),
    )
    if item.kind == "clip" and item.duration_seconds > MAX_SPEECH_CLIP_SECONDS:
        raise LibraryError(f"{where}: clip {item.id} is longer than {MAX_SPEECH_CLIP_SECONDS} s")
    if item.kind == "lesson" and item.order is None:
        raise LibraryError(f"{where}: lesson {item.id} has no order")
    return item


def parse_manifest(data: Any, where: str = "manifest.json") -> Library:
    """Validates a decoded manifest and builds the library."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise LibraryError(f"{where}: expected an object with schema {SCHEMA}")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise LibraryError(f"{where}: items must be a list")
    items = tuple(_item(entry, f"{where} item {index}") for index, entry in enumerate(entries))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise LibraryError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
    return Library(items=items)


def load_library(directory: Path) -> Library:
    """Reads directory/manifest.json; a missing manifest gives an empty, unavailable library."""
    path = directory / "manifest.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("no audio manifest at %s: practices and lessons are off until rendered", path)
        return Library(items=(), available=False)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryError(f"{path}: not valid JSON ({error})") from None
    return parse_manifest(data, str(path))
