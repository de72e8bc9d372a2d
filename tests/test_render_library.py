"""The real audio library under audio/: complete, well-sized, and written the way CARE.md asks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill.render.content import CLIP_MAX_SECONDS, Item, Library, Narration, load_library

AUDIO = Path(__file__).resolve().parent.parent / "audio"

# CARE.md's "avoid" column, matched as whole words (with endings: "failure", "relaxing").
AVOID = [
    r"should", r"must", r"try harder", r"relax\w*", r"calm down", r"achiev\w*", r"succe\w*",
    r"fail\w*", r"perfect\w*", r"correct\w*", r"you missed", r"you broke", r"streak\w*",
    r"days in a row", r"don't lose", r"happiness", r"positive vibes", r"bright side",
    r"committed suicide", r"just be grateful",
]
# Commands a trauma-informed script never gives, wherever they appear.
IMPERATIVES = [
    r"close your eyes", r"breathe in", r"breathe out", r"breathe deeply", r"take a deep breath",
    r"clear your mind", r"empty your mind", r"let go of", r"you should", r"you must",
    r"you need to", r"you have to", r"stop thinking", r"focus on",
]
# Sentences may not open with a bare command verb; "You might notice" is the house style.
BARE_OPENERS = ["notice", "focus", "breathe", "relax", "close", "imagine", "feel", "try",
                "look", "listen", "think", "remember", "picture", "visualise", "visualize"]


@pytest.fixture(scope="module")
def library() -> Library:
    """The real library, parsed and validated (nothing rendered)."""
    return load_library(AUDIO)


def of_kind(library: Library, kind: str) -> list[Item]:
    """Items of one kind."""
    return [item for item in library.items if item.kind == kind]


def narration(item: Item) -> list[str]:
    """An item's spoken paragraphs, in order."""
    return [s.text for s in item.segments if isinstance(s, Narration)]


def test_library_has_every_kind_it_promises(library: Library) -> None:
    """At least ten practices, seven lessons in order 1..N, and both speech-response clips."""
    practices, lessons = of_kind(library, "practice"), of_kind(library, "lesson")
    assert len(practices) >= 10 and len(lessons) >= 7
    assert sorted(item.order for item in lessons) == list(range(1, len(lessons) + 1))
    clips = {item.id for item in of_kind(library, "clip")}
    assert {"linger", "grounding-minute"} <= clips


def test_practices_cover_each_sense(library: Library) -> None:
    """Among the practices there is at least one for each of the five senses and the body."""
    covered = {sense for item in of_kind(library, "practice") for sense in item.senses}
    assert {"sight", "sound", "touch", "smell", "taste", "body"} <= covered


def test_estimated_lengths_are_in_range(library: Library) -> None:
    """Practices run 1–5 minutes (one longer), lessons 2–5, clips fit a speech response."""
    long_practices = []
    for item in library.items:
        seconds = item.estimated_seconds
        assert 0.7 * item.target_seconds <= seconds <= 1.3 * item.target_seconds, item.id
        if item.kind == "practice":
            assert 60 <= seconds <= 480, item.id
            if seconds > 300:
                long_practices.append(item.id)
        elif item.kind == "lesson":
            assert 120 <= seconds <= 300, item.id
        else:
            assert seconds <= CLIP_MAX_SECONDS, item.id
    assert len(long_practices) <= 1
    assert 15 <= library.get("linger").estimated_seconds <= 20
    assert 45 <= library.get("grounding-minute").estimated_seconds <= 75


def test_practices_have_real_silences(library: Library) -> None:
    """Every practice leaves real pauses (several seconds) where the listener notices."""
    for item in of_kind(library, "practice"):
        assert item.pause_seconds >= 40, item.id
        assert max(s.seconds for s in item.segments if not isinstance(s, Narration)) >= 8
    linger = library.get("linger")
    assert linger.pause_seconds >= 5


def test_practices_say_what_and_how_long_and_close_with_an_invitation(library: Library) -> None:
    """Each practice opens with its length and closes by inviting, not asking, a glimmer."""
    for item in of_kind(library, "practice"):
        spoken = narration(item)
        assert re.search(r"\b(minute|minutes|seconds)\b", spoken[0]), item.id
        assert "Glimmers" in spoken[-1] and "next time" in spoken[-1], item.id
        assert re.search(r"\b(if you like|you could|you might)\b", spoken[-1]), item.id
        assert "?" not in spoken[-1], item.id


def test_practices_keep_eyes_open_and_offer_anchors_beyond_the_breath(library: Library) -> None:
    """Practices say the eyes can stay open, and the breath is never the only anchor."""
    for item in of_kind(library, "practice"):
        text = item.transcript.lower()
        assert "eyes can stay open" in text and "close your eyes" not in text, item.id
        if "breath" in text.replace("breath or two", ""):
            assert re.search(r"\b(feet|hands|sound|sounds|floor|chair)\b", text), item.id


def test_lessons_cite_sources_and_warn_before_trauma(library: Library) -> None:
    """Lessons end with a spoken Sources line; those touching trauma open with a content note."""
    for item in of_kind(library, "lesson"):
        spoken = narration(item)
        assert item.sources and spoken[-1].startswith("Sources:"), item.id
        for source in item.sources:
            author, year = source.rsplit(" ", 1)
            assert author.split()[-1] in spoken[-1] and year in spoken[-1], (item.id, source)
        mentions_trauma = "trauma" in item.transcript.lower()
        assert item.content_note == mentions_trauma or not mentions_trauma, item.id
        if item.content_note:
            assert spoken[0].startswith("A content note"), item.id


def test_copy_lint_finds_no_avoided_words_or_commands(library: Library) -> None:
    """No transcript or title uses CARE.md's avoid-words or a deny-listed command."""
    problems = []
    for item in library.items:
        text = f"{item.title}\n{item.transcript}"
        for pattern in AVOID + IMPERATIVES:
            for found in re.finditer(rf"\b{pattern}\b", text, re.IGNORECASE):
                problems.append(f"{item.path.name}: {found.group(0)!r}")
        for sentence in re.split(r"(?<=[.!?:])\s+|\n", item.transcript):
            first = re.match(r"\W*(\w+)", sentence)
            if first and first.group(1).lower() in BARE_OPENERS:
                problems.append(f"{item.path.name}: opens with {first.group(1)!r}: {sentence}")
    assert problems == []


def test_titles_are_neutral_and_short(library: Library) -> None:
    """Titles are discreet on a shared speaker: short, no clinical or trauma words."""
    for item in library.items:
        assert len(item.title) <= 32, item.id
        assert not re.search(r"trauma|panic|anxiety|crisis|abuse|ptsd|therapy", item.title, re.I)
