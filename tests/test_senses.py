"""Sense tagging of glimmers: accuracy on labelled phrases, spoken slot values, loud lexicon errors.

The labelling guide the data follows is at the top of tests/data/senses_labelled.tsv. The tagger
was tuned on that file; tests/data/senses_holdout.tsv was written after the lexicon was finished
and is the honest measure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill.journal.senses import LexiconError, Sense, _build, detect_senses, parse_sense

DATA = Path(__file__).parent / "data"

Labelled = list[tuple[str, frozenset[Sense]]]


def load_labelled(name: str) -> Labelled:
    """Read phrase<TAB>senses rows, skipping comments and blank lines."""
    rows: Labelled = []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, labels = line.partition("\t")
        assert phrase.strip(), f"{name}:{number}: empty phrase"
        rows.append((phrase, frozenset(Sense(x) for x in labels.split(",") if x)))
    return rows


def score(rows: Labelled) -> tuple[float, float, float, list[str]]:
    """Return exact-set accuracy, micro precision, micro recall and a line per miss."""
    exact = true_pos = false_pos = false_neg = 0
    misses: list[str] = []
    for phrase, gold in rows:
        got = detect_senses(phrase)
        exact += got == gold
        true_pos += len(got & gold)
        false_pos += len(got - gold)
        false_neg += len(gold - got)
        if got != gold:
            misses.append(f"{phrase!r}: expected {sorted(gold)}, got {sorted(got)}")
    precision = true_pos / max(true_pos + false_pos, 1)
    recall = true_pos / max(true_pos + false_neg, 1)
    return exact / len(rows), precision, recall, misses


LABELLED = load_labelled("senses_labelled.tsv")
HOLDOUT = load_labelled("senses_holdout.tsv")


def test_labelled_sets_are_large_and_varied() -> None:
    """The tuning set has at least 150 phrases, the holdout 30, and every sense and none occur."""
    assert len(LABELLED) >= 150
    assert len(HOLDOUT) >= 30
    used = {sense for _, gold in LABELLED for sense in gold}
    assert used == set(Sense)
    assert any(not gold for _, gold in LABELLED)
    assert len({phrase for phrase, _ in LABELLED + HOLDOUT}) == len(LABELLED) + len(HOLDOUT)


def test_labelled_exact_set_accuracy_is_at_least_90_percent() -> None:
    """At least 90% of labelled phrases get exactly the right set of senses."""
    accuracy, _, _, misses = score(LABELLED)
    assert accuracy >= 0.90, "\n".join(misses)


def test_precision_beats_recall_over_all_labels() -> None:
    """No tag beats a wrong tag: micro precision is at least 0.95 and above micro recall."""
    # Over every labelled phrase, holdout included: the tuning set alone is fit too closely to
    # show the bias (its two wrong tags and two missing ones tie), unseen phrases show it.
    _, precision, recall, misses = score(LABELLED + HOLDOUT)
    assert precision >= 0.95, "\n".join(misses)
    assert precision > recall, f"precision {precision:.3f} <= recall {recall:.3f}"
    _, tuning_precision, _, tuning_misses = score(LABELLED)
    assert tuning_precision >= 0.95, "\n".join(tuning_misses)


def test_holdout_exact_set_accuracy_is_at_least_80_percent() -> None:
    """Phrases written after the lexicon was finished are tagged exactly at least 80% of time."""
    accuracy, precision, _, misses = score(HOLDOUT)
    assert accuracy >= 0.80, "\n".join(misses)
    assert precision >= 0.90, "\n".join(misses)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("the sun on my face", {Sense.SIGHT, Sense.TOUCH}),
        ("i saw an old friend", {Sense.CONNECTION}),
        ("i saw a heron by the river", {Sense.SIGHT}),
        ("a warm smile from my neighbour", {Sense.CONNECTION}),
        ("the smell of coffee", {Sense.SMELL}),
        ("a cup of coffee", {Sense.TASTE}),
        ("i couldn't hear the traffic", {Sense.SOUND}),
        ("my jaw relaxed", {Sense.BODY}),
        ("a cool breeze on my neck", {Sense.TOUCH}),
        ("a light rain all morning", set()),
        ("we look forward to friday", {Sense.CONNECTION}),
        ("nothing bad happened", set()),
        ("my kids dancing in the kitchen", {Sense.CONNECTION}),
        ("we danced in the kitchen", {Sense.BODY, Sense.CONNECTION}),
    ],
)
def test_documented_labelling_rules(phrase: str, expected: set[Sense]) -> None:
    """The consistency rules in the labelling guide hold for fresh phrases."""
    assert detect_senses(phrase) == expected


def test_case_punctuation_and_unicode_do_not_change_the_tags() -> None:
    """Spoken lowercase, typed capitals, punctuation and NFKC variants tag alike."""
    spoken = "my daughter laughed and hugged me"
    assert detect_senses("My Daughter laughed, and HUGGED me!") == detect_senses(spoken)
    assert detect_senses("ｍｙ ｄａｕｇｈｔｅｒ laughed") == detect_senses("my daughter laughed")
    assert (
        detect_senses("my mom’s dal")
        == detect_senses("my mom's dal")
        == {
            Sense.TASTE,
            Sense.CONNECTION,
        }
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😊🌿", "...", "12345"])
def test_text_without_words_has_no_senses(text: str) -> None:
    """Empty, blank, emoji-only and number-only text carries no sense."""
    assert detect_senses(text) == frozenset()


@given(st.text(max_size=300))
def test_detect_senses_is_total_and_deterministic(text: str) -> None:
    """Any text returns a frozenset of Sense, the same one every time."""
    first = detect_senses(text)
    assert isinstance(first, frozenset)
    assert all(isinstance(sense, Sense) for sense in first)
    assert detect_senses(text) == first


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hearing", Sense.SOUND),
        ("sounds", Sense.SOUND),
        ("Sound", Sense.SOUND),
        ("smell", Sense.SMELL),
        ("smelling", Sense.SMELL),
        ("touch", Sense.TOUCH),
        ("feel", Sense.TOUCH),
        ("sight", Sense.SIGHT),
        ("seeing", Sense.SIGHT),
        ("taste", Sense.TASTE),
        ("my body", Sense.BODY),
        ("body", Sense.BODY),
        ("breathing", Sense.BODY),
        ("people", Sense.CONNECTION),
        ("others", Sense.CONNECTION),
        ("connection", Sense.CONNECTION),
        ("the sense of smell", Sense.SMELL),
        ("through my body", Sense.BODY),
        ("  Hearing. ", Sense.SOUND),
    ],
)
def test_parse_sense_maps_spoken_slot_values(word: str, expected: Sense) -> None:
    """Spoken slot values, with their usual wrappers, map to the sense they name."""
    assert parse_sense(word) is expected


@pytest.mark.parametrize("word", ["", "banana", "the", "my", "sense of", "sixth sense"])
def test_parse_sense_returns_none_for_unknown_words(word: str) -> None:
    """A value that names no sense is None, never a guess."""
    assert parse_sense(word) is None


def minimal_lexicon() -> dict[str, Any]:
    """A smallest valid senses lexicon, for breaking one piece at a time."""
    senses: dict[str, Any] = {sense.value: {"nouns": [f"cue{sense.value}"]} for sense in Sense}
    senses["sight"]["exact"] = ["saw"]
    return {
        "blockers": {"phrases": ["kind of"]},
        "others": {"including_me": ["cueconnection"]},
        "sight": {"meeting_verbs": ["saw"]},
        "touch_frame": {"prepositions": ["on"], "determiners": ["my"], "parts": ["face"]},
        "sense": senses,
    }


def test_minimal_lexicon_builds() -> None:
    """The fixture for the error tests is itself valid."""
    _build(minimal_lexicon())


def edited(data: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """Apply {"a.b.c": value} edits to nested tables; a value of None deletes the key."""
    for path, value in edits.items():
        *parents, last = path.split(".")
        table = data
        for key in parents:
            table = table.setdefault(key, {})
        if value is None:
            del table[last]
        else:
            table[last] = value
    return data


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"sense.smell": None}, "missing"),
        ({"sense.hearing": {}}, "unknown"),
        ({"sense.sound.nouns": ["bell", "bell"]}, "duplicate"),
        ({"sense.sound.nouns": ["church bell"]}, "one word"),
        ({"sense.sound.nouns": ["Bell"]}, "lowercase"),
        ({"sense.taste.weak": ["tea"]}, "yields_to"),
        ({"sense.taste.weak": ["tea"], "sense.taste.yields_to": ["nose"]}, "yields_to"),
        ({"sense.sound.phrases": ["bell"]}, "two words"),
        ({"sense.sound.colour": ["red"]}, "unknown keys"),
        ({"sense.sound.slot": ["x"], "sense.smell.slot": ["x"]}, "already names"),
        ({"sight.meeting_verbs": ["met"]}, "not sight cues"),
        ({"blockers.phrases": ["big cue"], "sense.sound.phrases": ["big cue"]}, "also a sense"),
        ({"touch_frame": None}, "touch_frame"),
        ({"others.including_me": ["cuesound"]}, "not connection cues"),
        ({"touch_frame.parts": []}, "must not be empty"),
    ],
)
def test_broken_lexicon_fails_loudly(edits: dict[str, Any], message: str) -> None:
    """Each kind of mistake in senses.toml stops loading with a message that names it."""
    with pytest.raises(LexiconError, match=message):
        _build(edited(minimal_lexicon(), edits))
