"""Playback decisions: which practice or lesson to play, from where, and what comes next.

Pure functions over frozen dataclasses. Nothing here knows about Alexa envelopes, SQL or
Flask: handlers read the request, turn stored progress into `Position`s, call a function
here and render the `Outcome` it returns with the speech catalog.

Progress rules, in one place:
- A stored position is *resumable* while it has an offset or the item was never finished.
  Finishing stores offset 0 and marks the item complete, so "resume" never replays a finished
  item and "next lesson" moves on.
- Lessons pick up where they were left (nothing heard twice unless asked: "start over");
  practices start from the beginning unless the person says "resume".
- An offset is only reused for the exact version it was recorded against (the token carries
  the content version): a re-rendered file starts from the beginning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from skill.guide.library import Item, Library

LONG_SECONDS = 300.0  # past five minutes a practice is "the longer one", offered, never default
SHORT_SECONDS = 210.0  # "a short practice": up to about three and a half minutes
MAX_CHOICES = 3  # CARE.md: at most three choices per turn
CARD_LIMIT = 6000  # Alexa allows 8000 characters per card; leave room for the title and sources
PLAYING = frozenset({"PLAYING", "BUFFER_UNDERRUN"})


class Length(Enum):
    """How long a practice the person asked for (the LENGTH slot's ids)."""

    SHORT = "SHORT"
    LONG = "LONG"


@dataclass(frozen=True)
class Topic:
    """One value of the PRACTICE_TOPIC slot, and how to recognise items that fit it.

    An item fits when a word of its id is one of `keywords` (strongest), or when it trains
    one of `senses` (strongest when that is its only sense).
    """

    id: str
    label: str
    senses: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()  # what people say, for slots that did not resolve


def _topic(
    id: str, label: str, senses: str = "", keywords: str = "", words: str = ""
) -> Topic:
    return Topic(
        id=id,
        label=label,
        senses=frozenset(senses.split()),
        keywords=frozenset(keywords.split()),
        words=frozenset(word.strip() for word in words.split(",") if word.strip()),
    )


# The PRACTICE_TOPIC slot type's ids, matched to manifest items by sense and by id words,
# so a newly rendered practice is found without code changes.
TOPICS: tuple[Topic, ...] = (
    _topic("sound", "sound", "sound", "sound listening", "sound, sounds, listening, hearing"),
    _topic("sight", "sight", "sight", "sight looking", "sight, sights, seeing, looking"),
    _topic("touch", "touch", "touch", "touch textures", "touch, texture, touching, hands"),
    _topic("smell", "smell", "smell", "smell scent", "smell, scent, smelling"),
    _topic("taste", "taste", "taste", "taste", "taste, tasting, eating"),
    _topic("body", "body", "body", "body", "body, bodily shifts, body scan, body tracking"),
    _topic("grounding", "grounding", "", "grounding", "grounding, feet, hard moment"),
    _topic("linger", "lingering", "", "linger lingering",
           "linger, lingering, savoring, savouring, letting it land"),
    _topic("shift", "shifting the question", "", "shifting question",
           "shift, shifting the question, neutral, slightly okay, what feels okay"),
    _topic("five-senses", "five senses", "", "five",
           "five senses, five sense, all the senses, senses walk through"),
)
TOPICS_BY_ID: Mapping[str, Topic] = {topic.id: topic for topic in TOPICS}
DEFAULT_TOPIC = "sound"  # "start a practice": listening, eyes open, not the breath (CARE.md §2)
CLIP_TOPIC = "grounding"  # the clip a device without AudioPlayer offers when none was named

ORDINALS: Mapping[str, int] = {
    word: number
    for number, word in enumerate(
        ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
         "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
         "seventeenth", "eighteenth", "nineteenth", "twentieth"),
        start=1,
    )
}
_DIGITS = re.compile(r"\d+")


# --- State passed in --------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where a person stands in one item: a plain copy of a stored progress row."""

    content_id: str
    token: str
    offset_ms: int
    completed: bool

    @property
    def resumable(self) -> bool:
        """Partway through, or started and never finished."""
        return self.offset_ms > 0 or not self.completed


@dataclass(frozen=True)
class Player:
    """What the device reports in context.AudioPlayer."""

    token: str | None = None
    offset_ms: int = 0
    activity: str = "IDLE"

    @property
    def playing(self) -> bool:
        """Whether audio is coming out of the speaker right now."""
        return self.activity in PLAYING


# --- What to do -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Play:
    """Play one item through AudioPlayer from an offset, with a spoken intro and a card."""

    item: Item
    offset_ms: int = 0
    topic: str | None = None  # the spoken topic label of a practice
    number: int | None = None  # the position of a lesson in the series

    @property
    def resumed(self) -> bool:
        """Whether this picks up partway through."""
        return self.offset_ms > 0


@dataclass(frozen=True)
class Clip:
    """A short clip played inside speech, for devices without AudioPlayer."""

    item: Item


@dataclass(frozen=True)
class Say:
    """Speak one catalog line; `choices` are listed with it, at most three."""

    key: str
    values: Mapping[str, str | int] = field(default_factory=dict)
    choices: tuple[Item, ...] = ()
    listen: bool = False  # keep the session open for an answer
    card: Item | None = None  # an item whose transcript goes on a card, for reading instead


Outcome = Play | Clip | Say


@dataclass(frozen=True)
class Record:
    """What to store for one AudioPlayer event."""

    offset_ms: int
    completed: bool


# --- Topics and lengths -----------------------------------------------------------------------
def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def topic_for(value: str | None) -> Topic | None:
    """The topic a slot id or spoken value names; None for nothing or something unknown."""
    if not value:
        return None
    if value in TOPICS_BY_ID:
        return TOPICS_BY_ID[value]
    spoken = _normal(value).removesuffix(" practice")
    return next(
        (topic for topic in TOPICS if spoken == topic.label or spoken in topic.words), None
    )


def length_for(value: str | None) -> Length | None:
    """The length a slot id or spoken value names."""
    if not value:
        return None
    words = {"SHORT": Length.SHORT, "LONG": Length.LONG, "short": Length.SHORT,
             "quick": Length.SHORT, "brief": Length.SHORT, "little": Length.SHORT,
             "one minute": Length.SHORT, "long": Length.LONG, "longer": Length.LONG,
             "longest": Length.LONG, "full": Length.LONG}
    return words.get(value.strip()) or words.get(_normal(value))


def _id_words(item: Item) -> frozenset[str]:
    return frozenset(item.id.lower().split("-"))


def fit(item: Item, topic: Topic) -> int:
    """How well an item fits a topic: 0 not at all; id words count most, a sole sense next."""
    score = 4 if _id_words(item) & topic.keywords else 0
    shared = topic.senses & set(item.senses)
    if shared:
        score += 2 if set(item.senses) <= topic.senses else 1
    return score


def topic_of(item: Item) -> Topic | None:
    """The topic that fits an item best (ties: the order of TOPICS)."""
    best = max(TOPICS, key=lambda topic: fit(item, topic))
    return best if fit(item, best) > 0 else None


def _is_long(item: Item) -> bool:
    return item.duration_seconds > LONG_SECONDS


def _ranked(items: Sequence[Item], topic: Topic | None, length: Length | None) -> list[Item]:
    """Items that fit, best first: the length asked for, then fit, then duration."""
    scored = [(fit(item, topic) if topic else 1, item) for item in items]
    matching = [(score, item) for score, item in scored if score > 0]

    def key(entry: tuple[int, Item]) -> tuple[bool, int, float, str]:
        score, item = entry
        if length is Length.SHORT:
            return (item.duration_seconds > SHORT_SECONDS, -score, item.duration_seconds, item.id)
        if length is Length.LONG:
            return (not _is_long(item), -score, -item.duration_seconds, item.id)
        return (_is_long(item), -score, item.duration_seconds, item.id)

    return [item for _, item in sorted(matching, key=key)]


def choose_practice(library: Library, topic: Topic | None, length: Length | None) -> Item | None:
    """The practice for a topic and length; a clip only when no practice fits the topic."""
    if topic is None and length is None:
        topic = TOPICS_BY_ID[DEFAULT_TOPIC]
    found = _ranked(library.practices, topic, length)
    if not found and topic is not None:
        found = _ranked(_clips(library), topic, length)
    return found[0] if found else None


def practice_choices(library: Library) -> tuple[Item, ...]:
    """At most three practices to offer, varied by sense and length: the longer one last.

    Everyday practices come in the order of TOPICS (listening first, the breath never first).
    """
    rank = {topic.id: index for index, topic in enumerate(TOPICS)}

    def place(item: Item) -> tuple[int, float]:
        topic = topic_of(item)
        return (rank[topic.id] if topic else len(rank), item.duration_seconds)

    everyday = sorted((item for item in library.practices if not _is_long(item)), key=place)
    longer = [item for item in library.practices if _is_long(item)]
    varied: list[Item] = []
    seen: set[str | None] = set()
    for item in everyday:
        topic = topic_of(item)
        label = topic.id if topic else item.id
        if label not in seen:
            seen.add(label)
            varied.append(item)
    rest = [item for item in everyday if item not in varied]
    if longer:
        varied.insert(min(len(varied), MAX_CHOICES - 1), longer[0])
    ordered = varied + rest + longer[1:]
    return tuple(ordered[:MAX_CHOICES])


def _clips(library: Library) -> list[Item]:
    return [item for item in library.items if item.kind == "clip"]


def choose_clip(library: Library, topic: Topic | None) -> Item | None:
    """The clip a device without AudioPlayer gets for a topic (grounding when none was named)."""
    wanted = topic or TOPICS_BY_ID[CLIP_TOPIC]
    found = _ranked(_clips(library), wanted, None)
    return found[0] if found else None


# --- Starting things --------------------------------------------------------------------------
def _latest(progress: Sequence[Position], item: Item) -> Position | None:
    return next((row for row in progress if row.content_id == item.id), None)


def offset_in(item: Item, position: Position | None) -> int:
    """A stored offset still valid for this item's current version and length, else 0."""
    if position is None or position.token != item.token or not position.resumable:
        return 0
    if position.offset_ms >= item.duration_seconds * 1000:
        return 0
    return position.offset_ms


def lesson_number(library: Library, item: Item) -> int | None:
    """A lesson's place in the series, counting from 1."""
    return next(
        (number for number, lesson in enumerate(library.lessons, start=1) if lesson == item),
        None,
    )


def plan(library: Library, item: Item, progress: Sequence[Position], *,
         resume: bool | None = None) -> Play:
    """Play an item: lessons (or anything, with resume=True) from where they were left."""
    picks_up = item.kind == "lesson" if resume is None else resume
    topic = topic_of(item)
    return Play(
        item=item,
        offset_ms=offset_in(item, _latest(progress, item)) if picks_up else 0,
        topic=topic.label if topic else None,
        number=lesson_number(library, item),
    )


def _unavailable(library: Library, kind: str) -> Say | None:
    if not library.available or not any(item.kind == kind for item in library.items):
        return Say("practice_none" if kind == "practice" else "lesson_none")
    return None


def start_practice(
    library: Library,
    topic: Topic | None,
    length: Length | None,
    *,
    named: bool,
    audio_player: bool,
) -> Outcome:
    """'Start a sound practice': play it, offer a clip, or say what is possible instead.

    `named` says a topic was asked for at all: one that resolved to nothing is answered with
    choices rather than a surprise practice.
    """
    if (missing := _unavailable(library, "practice")) is not None:
        return missing
    if named and topic is None:
        return Say("practice_unknown", choices=practice_choices(library), listen=True)
    if not audio_player:
        clip = choose_clip(library, topic)
        return Clip(clip) if clip is not None else Say("no_audio_player_plain")
    item = choose_practice(library, topic, length)
    if item is None:
        return Say("practice_unknown", choices=practice_choices(library), listen=True)
    return plan(library, item, (), resume=False)


def list_practices(library: Library) -> Say:
    """'What practices are there': up to three, varied by sense and length."""
    if (missing := _unavailable(library, "practice")) is not None:
        return missing
    return Say("practice_list", {"count": len(library.practices)},
               choices=practice_choices(library), listen=True)


def requested_number(number: str | None, ordinal: str | None, count: int) -> int | None:
    """The lesson number from a NUMBER or an Ordinal slot ('2', '2nd', 'second', 'last')."""
    for value in (number, ordinal):
        if not value:
            continue
        spoken = _normal(value)
        if spoken in {"last", "final"}:
            return count
        if spoken in ORDINALS:
            return ORDINALS[spoken]
        digits = _DIGITS.search(spoken)
        if digits:
            return int(digits.group())
    return None


def play_lesson(library: Library, progress: Sequence[Position], number: int | None) -> Outcome:
    """'Play lesson 2' or 'play the first lesson'; no number means the next one."""
    if (missing := _unavailable(library, "lesson")) is not None:
        return missing
    lessons = library.lessons
    if number is None:
        return next_lesson_outcome(library, progress)
    if not 1 <= number <= len(lessons):
        return Say("lesson_unknown", {"number": number, "count": len(lessons)}, listen=True)
    return plan(library, lessons[number - 1], progress)


def next_lesson(progress: Sequence[Position], library: Library) -> Item | None:
    """The first lesson, in teaching order, that the person has not finished."""
    finished = {row.content_id for row in progress if row.completed}
    return next((lesson for lesson in library.lessons if lesson.id not in finished), None)


def next_lesson_outcome(library: Library, progress: Sequence[Position]) -> Outcome:
    """'Next lesson': the first unfinished one, from where it was left."""
    if (missing := _unavailable(library, "lesson")) is not None:
        return missing
    lesson = next_lesson(progress, library)
    if lesson is None:
        return Say("lesson_all_done", {"count": len(library.lessons)}, listen=True)
    return plan(library, lesson, progress)


def lesson_in_progress(progress: Sequence[Position], library: Library) -> Item | None:
    """The most recently touched lesson still partway through, if any."""
    for row in progress:
        item = library.get(row.content_id)
        if item is not None and item.kind == "lesson" and row.resumable:
            return item
    return None


def lesson_to_continue(progress: Sequence[Position], library: Library) -> Item | None:
    """The most recently touched lesson still partway through, else the next unfinished one."""
    return lesson_in_progress(progress, library) or next_lesson(progress, library)


def continue_lesson(library: Library, progress: Sequence[Position]) -> Outcome:
    """'Continue my lesson': the most recent unfinished lesson at its offset."""
    if (missing := _unavailable(library, "lesson")) is not None:
        return missing
    lesson = lesson_to_continue(progress, library)
    if lesson is None:
        return Say("lesson_all_done", {"count": len(library.lessons)}, listen=True)
    return plan(library, lesson, progress, resume=True)


def where_was_i(library: Library, progress: Sequence[Position]) -> Say:
    """'Where was I': the lesson partway through, or the next one, or how to begin."""
    if (missing := _unavailable(library, "lesson")) is not None:
        return missing
    lessons = library.lessons
    touched = [row for row in progress if (item := library.get(row.content_id)) is not None
               and item.kind == "lesson"]
    partway = next((row for row in touched if row.resumable and row.offset_ms > 0), None)
    if partway is not None:
        item = library.get(partway.content_id)
        assert item is not None
        return Say("where_was_i", {"title": item.title,
                                   "number": lesson_number(library, item) or 1}, listen=True)
    if not touched:
        return Say("where_was_i_nothing", listen=True)
    upcoming = next_lesson(progress, library)
    if upcoming is None:
        return Say("lesson_all_done", {"count": len(lessons)}, listen=True)
    return Say("where_was_i_done", {"title": upcoming.title,
                                    "number": lesson_number(library, upcoming) or 1},
               listen=True)


def list_lessons(library: Library, progress: Sequence[Position]) -> Say:
    """'What lessons are there': the count, and up to three from the next one on."""
    if (missing := _unavailable(library, "lesson")) is not None:
        return missing
    lessons = library.lessons
    upcoming = next_lesson(progress, library)
    started = any(row.completed for row in progress if row.content_id in
                  {lesson.id for lesson in lessons})
    if upcoming is None or not started:
        return Say("lesson_list", {"count": len(lessons)}, choices=lessons[:MAX_CHOICES],
                   listen=True)
    first = lessons.index(upcoming)
    return Say("lesson_list_next", {"count": len(lessons)},
               choices=lessons[first : first + MAX_CHOICES], listen=True)


# --- While audio plays or after it stopped ----------------------------------------------------
def current_item(player: Player, progress: Sequence[Position], library: Library) -> Item | None:
    """What the device last played (its context token), else the most recently touched item."""
    item = library.from_token(player.token)
    if item is not None:
        return item
    return next(
        (found for row in progress if (found := library.get(row.content_id)) is not None), None
    )


def resume(player: Player, progress: Sequence[Position], library: Library) -> Play | None:
    """'Resume': the device's item from the stored offset, else the latest unfinished item."""
    item = library.from_token(player.token)
    if item is not None:
        position = _latest(progress, item)
        if position is not None and position.resumable:
            return plan(library, item, progress, resume=True)
        if position is None and player.token == item.token and player.activity != "FINISHED":
            # The stop event never reached us: the device's own offset is the best we have.
            return Play(item, offset_in(item, Position(item.id, item.token, player.offset_ms,
                                                       completed=False)),
                        number=lesson_number(library, item))
    for row in progress:
        found = library.get(row.content_id)
        if found is not None and row.resumable:
            return plan(library, found, progress, resume=True)
    return None


def start_over(player: Player, progress: Sequence[Position], library: Library) -> Play | None:
    """'Start over': the current item from the beginning."""
    item = current_item(player, progress, library)
    return None if item is None else plan(library, item, progress, resume=False)


def adjacent(item: Item, library: Library, step: int) -> Item | None:
    """The lesson or practice next to an item in its series (no wrapping); clips have none."""
    series = {"lesson": library.lessons, "practice": library.practices}.get(item.kind, ())
    if item not in series:
        return None
    index = series.index(item) + step
    return series[index] if 0 <= index < len(series) else None


def move(
    player: Player, progress: Sequence[Position], library: Library, step: int
) -> Play | Say:
    """'Next' or 'previous': the adjacent lesson (from where it was left) or practice."""
    item = current_item(player, progress, library)
    if item is None:
        return Say("resume_nothing", listen=True)
    target = adjacent(item, library, step)
    if target is None:
        return Say("playback_edge_next" if step > 0 else "playback_edge_previous")
    return plan(library, target, progress)


def pause_record(player: Player) -> Record | None:
    """What a pause request stores from the device's context before the stop event arrives."""
    return Record(player.offset_ms, completed=False) if player.playing and player.token else None


EVENT_RECORDS: Mapping[str, bool | None] = {
    # event: whether it finishes the item (None: store nothing)
    "AudioPlayer.PlaybackStarted": False,
    "AudioPlayer.PlaybackStopped": False,
    "AudioPlayer.PlaybackFailed": False,
    "AudioPlayer.PlaybackFinished": True,
    "AudioPlayer.PlaybackNearlyFinished": None,
}


def record(event: str, offset_ms: int) -> Record | None:
    """What an AudioPlayer event stores: finishing resets the offset to the start."""
    finished = EVENT_RECORDS.get(event)
    if finished is None:
        return None
    return Record(offset_ms=0, completed=True) if finished else Record(max(0, offset_ms), False)


def card_text(item: Item, limit: int = CARD_LIMIT) -> str:
    """The transcript for the card, cut at a sentence or word near the limit, with sources."""
    text = item.transcript.strip()
    if len(text) > limit:
        cut = text[:limit]
        end = max(cut.rfind(". "), cut.rfind("\n"))
        cut = cut[: end + 1] if end > limit // 2 else cut[: cut.rfind(" ")]
        text = cut.rstrip() + " …"
    missing = [source for source in item.sources if source not in text]
    if missing:
        text += "\n\nSources: " + "; ".join(missing)
    return text
