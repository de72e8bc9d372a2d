"""Narration sources: parse and validate the audio library (text, pause markers, metadata)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

Kind = Literal["practice", "lesson", "clip"]

KINDS: Final = ("practice", "lesson", "clip")
SENSES: Final = ("sight", "sound", "touch", "smell", "taste", "body", "connection")
SOURCE_SUFFIX: Final = ".txt"
FRONT_MATTER: Final = "+++"
WORDS_PER_MINUTE: Final = 150
# A blank line between paragraphs is a short breath in the narration, not a silence to notice in.
PARAGRAPH_PAUSE_SECONDS: Final = 1.0
MAX_PAUSE_SECONDS: Final = 120.0
# Alexa plays at most 240 s of <audio> inside one speech response.
CLIP_MAX_SECONDS: Final = 240.0

REQUIRED_FIELDS: Final = ("id", "title", "kind", "senses", "target_seconds")
OPTIONAL_FIELDS: Final = ("order", "content_note", "sources")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MARKER = re.compile(r"\[([^\[\]]*)\]")
_PAUSE = re.compile(r"^pause\s+(\d+(?:\.\d+)?)\s*s$")
_SPOKEN = re.compile(r"[^\W_]")  # something a voice can say: a letter or a digit
_WORD = re.compile(r"[\w']+")


class LibraryError(Exception):
    """A narration source is malformed; the message names the file and line."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Narration:
    """Words for the voice to speak, as one segment."""

    text: str
    line: int


@dataclass(frozen=True)
class Pause:
    """Real silence, in seconds, where the listener is invited to notice."""

    seconds: float
    line: int


Segment = Narration | Pause


@dataclass(frozen=True)
class Item:
    """One practice, lesson or clip of the audio library, as written in its source file."""

    id: str
    title: str
    kind: Kind
    senses: tuple[str, ...]
    target_seconds: int
    order: int | None
    content_note: bool
    sources: tuple[str, ...]
    segments: tuple[Segment, ...]
    path: Path

    @property
    def transcript(self) -> str:
        """Plain text of the narration, pause markers removed, one paragraph per segment."""
        return "\n\n".join(s.text for s in self.segments if isinstance(s, Narration))

    @property
    def word_count(self) -> int:
        """Words spoken in the narration."""
        return len(_WORD.findall(self.transcript))

    @property
    def pause_seconds(self) -> float:
        """Total silence in the item, in seconds."""
        return sum(s.seconds for s in self.segments if isinstance(s, Pause))

    @property
    def estimated_seconds(self) -> float:
        """Length estimated from the words at 150 a minute plus the pauses."""
        return self.word_count * 60 / WORDS_PER_MINUTE + self.pause_seconds


@dataclass(frozen=True)
class Library:
    """Every item of the audio library, validated as a whole."""

    items: tuple[Item, ...]

    def get(self, item_id: str) -> Item:
        """The item with this id, or KeyError."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def load_library(source: Path) -> Library:
    """Parse and validate every narration source under `source`, or raise LibraryError."""
    if not source.is_dir():
        raise LibraryError(source, None, "the narration source folder does not exist")
    paths = sorted(p for p in source.rglob(f"*{SOURCE_SUFFIX}") if not _is_generated(p, source))
    if not paths:
        raise LibraryError(source, None, f"no narration sources (*{SOURCE_SUFFIX}) found")
    items = [parse_item(p) for p in paths]
    _check_unique(items)
    return Library(items=tuple(sorted(items, key=_sort_key)))


def _is_generated(path: Path, source: Path) -> bool:
    # build/ and .cache/ hold output, never sources, even when they live under the source folder.
    parts = path.relative_to(source).parts
    return any(part in ("build",) or part.startswith(".") for part in parts[:-1])


def _sort_key(item: Item) -> tuple[int, int, str]:
    return (KINDS.index(item.kind), item.order or 0, item.id)


def _check_unique(items: Iterable[Item]) -> None:
    seen: dict[str, Item] = {}
    orders: dict[int, Item] = {}
    for item in items:
        if item.id in seen:
            raise LibraryError(
                item.path, _field_line(item.path, "id"),
                f"duplicate id {item.id!r} (also in {seen[item.id].path})",
            )
        seen[item.id] = item
        if item.order is not None:
            if item.order in orders:
                raise LibraryError(
                    item.path, _field_line(item.path, "order"),
                    f"duplicate lesson order {item.order} (also in {orders[item.order].path})",
                )
            orders[item.order] = item
    if orders and sorted(orders) != list(range(1, len(orders) + 1)):
        first = orders[max(orders)]
        raise LibraryError(
            first.path, _field_line(first.path, "order"),
            f"lesson orders must run 1..{len(orders)} without gaps, found {sorted(orders)}",
        )


def parse_item(path: Path) -> Item:
    """Parse one narration source file into an Item, or raise LibraryError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError(path, None, f"not UTF-8 text ({exc.reason})") from exc
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise LibraryError(path, 1, f"a source starts with a {FRONT_MATTER} metadata header")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER)
    except StopIteration:
        raise LibraryError(
            path, 1, f"the metadata header is not closed with {FRONT_MATTER}"
        ) from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]) + "\n")
    except tomllib.TOMLDecodeError as exc:
        # tomllib reports "(at line N, column M)" relative to the header; shift it to the file.
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) + 1 if found else end
        raise LibraryError(path, line, f"metadata is not valid TOML: {exc}") from exc
    segments = parse_body(path, lines[end + 1 :], first_line=end + 2)
    return _build_item(path, meta, segments)


def _field_line(path: Path, field: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
        if number > 1 and line.strip() == FRONT_MATTER:
            break
    return None


def _build_item(path: Path, meta: dict[str, object], segments: tuple[Segment, ...]) -> Item:
    check = _Fields(path, meta)
    check.known_and_present()
    item_id = check.slug()
    kind = check.kind()
    item = Item(
        id=item_id, title=check.text("title"), kind=kind, senses=check.senses(),
        target_seconds=check.positive_int("target_seconds"), order=check.order(kind),
        content_note=check.flag("content_note"), sources=check.sources(kind),
        segments=segments, path=path,
    )
    if not any(isinstance(s, Narration) for s in segments):
        raise LibraryError(path, None, "missing transcript: the source has no narration")
    if kind == "clip" and item.estimated_seconds > CLIP_MAX_SECONDS:
        raise check.fail("kind", f"a clip plays inside a speech response and must stay under "
                                 f"{CLIP_MAX_SECONDS:.0f} s (estimated "
                                 f"{item.estimated_seconds:.0f} s)")
    return item


@dataclass(frozen=True)
class _Fields:
    """Typed access to one source's metadata, failing with the file and line of the field."""

    path: Path
    meta: dict[str, object]

    def fail(self, field: str | None, message: str) -> LibraryError:
        line = _field_line(self.path, field) if field else None
        return LibraryError(self.path, line if line is not None else 1, message)

    def known_and_present(self) -> None:
        known = REQUIRED_FIELDS + OPTIONAL_FIELDS
        for field in self.meta:
            if field not in known:
                raise self.fail(field, f"unknown metadata field {field!r} "
                                       f"(known: {', '.join(known)})")
        for field in REQUIRED_FIELDS:
            if field not in self.meta:
                raise self.fail(None, f"missing metadata field {field!r}")

    def slug(self) -> str:
        value = self.meta["id"]
        if not isinstance(value, str) or not _SLUG.match(value):
            raise self.fail("id", "id must be a slug of lowercase letters, digits and hyphens")
        if value != self.path.stem:
            raise self.fail("id", f"id {value!r} does not match the file name {self.path.name!r}")
        return value

    def text(self, field: str) -> str:
        value = self.meta[field]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"{field} must be a non-empty string")
        return value.strip()

    def kind(self) -> Kind:
        value = self.meta["kind"]
        # Spelled out (not `in KINDS`) so mypy narrows the value to the Kind literal.
        if value == "practice" or value == "lesson" or value == "clip":  # noqa: PLR1714
            return value
        raise self.fail("kind", f"kind must be one of {', '.join(KINDS)}, not {value!r}")

    def senses(self) -> tuple[str, ...]:
        value = self.meta["senses"]
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise self.fail("senses", "senses must be a list of strings")
        unknown = [s for s in value if s not in SENSES]
        if unknown:
            raise self.fail("senses", f"unknown sense {unknown[0]!r} (known: {', '.join(SENSES)})")
        return tuple(value)

    def positive_int(self, field: str) -> int:
        value = self.meta.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(field, f"{field} must be a whole number from 1")
        return value

    def order(self, kind: Kind) -> int | None:
        if kind != "lesson":
            if "order" in self.meta:
                raise self.fail("order", "only lessons have an order")
            return None
        if "order" not in self.meta:
            raise self.fail(None, "missing metadata field 'order' (every lesson has one)")
        return self.positive_int("order")

    def flag(self, field: str) -> bool:
        value = self.meta.get(field, False)
        if not isinstance(value, bool):
            raise self.fail(field, f"{field} must be true or false")
        return value

    def sources(self, kind: Kind) -> tuple[str, ...]:
        value = self.meta.get("sources", [])
        if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
            raise self.fail("sources", "sources must be a list of non-empty strings")
        if kind == "lesson" and not value:
            raise self.fail(None, "missing metadata field 'sources' (every lesson cites them)")
        return tuple(value)


def parse_body(path: Path, lines: list[str], first_line: int) -> tuple[Segment, ...]:
    """Split body lines into narration paragraphs and pauses, naming the line of any error."""
    segments: list[Segment] = []
    paragraph: list[str] = []
    paragraph_line = first_line

    def add(text: str, number: int) -> None:
        nonlocal paragraph_line
        if "[" in text or "]" in text:
            raise LibraryError(path, number, "unbalanced [ or ] (markers look like [pause 8s])")
        if text.strip():
            if not paragraph:
                paragraph_line = number
            paragraph.append(text.strip())

    def flush() -> None:
        if not paragraph:
            return
        text = " ".join(" ".join(paragraph).split())
        if not _SPOKEN.search(text):
            raise LibraryError(path, paragraph_line, f"empty segment: nothing to say in {text!r}")
        # Paragraphs get a short breath between them; explicit markers replace it.
        if segments and isinstance(segments[-1], Narration):
            segments.append(Pause(PARAGRAPH_PAUSE_SECONDS, paragraph_line))
        segments.append(Narration(text, paragraph_line))
        paragraph.clear()

    for number, raw in enumerate(lines, start=first_line):
        if raw.lstrip().startswith("#"):
            continue  # an author's note, never spoken
        if not raw.strip():
            flush()
            continue
        position = 0
        for match in _MARKER.finditer(raw):
            add(raw[position : match.start()], number)
            flush()
            position = match.end()
            pause = _PAUSE.match(match.group(1).strip())
            if not pause:
                raise LibraryError(
                    path, number, f"unknown marker {match.group(0)!r} (known: [pause Ns])"
                )
            seconds = float(pause.group(1))
            if not 0 < seconds <= MAX_PAUSE_SECONDS:
                raise LibraryError(
                    path, number,
                    f"a pause lasts more than 0 and at most {MAX_PAUSE_SECONDS:.0f} s",
                )
            if not segments:
                raise LibraryError(path, number, "empty segment: the narration opens with a pause")
            # Implicit breaths always sit before a narration, so a trailing pause is explicit.
            if isinstance(segments[-1], Pause):
                raise LibraryError(
                    path, number, "empty segment: two pauses with nothing said between them"
                )
            segments.append(Pause(seconds, number))
        add(raw[position:], number)
    flush()
    return tuple(segments)
