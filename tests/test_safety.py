"""The crisis screen: every listed crisis phrase is caught, every near-miss is left alone.

Phrases live in tests/data/crisis_positive.txt and tests/data/crisis_near_miss.txt, one per line,
so a failure names the exact phrase. See CARE.md, "Crisis language".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.journal.safety import LexiconError, _build, _lexicon, screen

DATA = Path(__file__).parent / "data"

# Catastrophic backtracking takes seconds to hours; linear patterns take milliseconds.
PROMPT_SECONDS = 2.0


def load_phrases(name: str) -> list[str]:
    """Read one phrase per line, skipping blank lines and # comments."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


POSITIVES = load_phrases("crisis_positive.txt")
NEAR_MISSES = load_phrases("crisis_near_miss.txt")


def test_phrase_lists_are_large_and_distinct() -> None:
    """Both lists hold at least 80 phrases, without duplicates or overlap."""
    assert len(POSITIVES) >= 80
    assert len(NEAR_MISSES) >= 80
    assert len(set(POSITIVES)) == len(POSITIVES)
    assert len(set(NEAR_MISSES)) == len(NEAR_MISSES)
    assert not set(POSITIVES) & set(NEAR_MISSES)


@pytest.mark.parametrize("phrase", POSITIVES, ids=POSITIVES)
def test_crisis_phrase_is_detected(phrase: str) -> None:
    """A crisis phrase (explicit, indirect, misspelt or padded with fillers) is detected."""
    assert screen(phrase) is True


@pytest.mark.parametrize("phrase", NEAR_MISSES, ids=NEAR_MISSES)
def test_near_miss_is_not_detected(phrase: str) -> None:
    """An everyday phrase that only sounds like crisis language is not detected."""
    assert screen(phrase) is False


@pytest.mark.parametrize(
    "phrase",
    [
        "i hurt myself lifting boxes",
        "i can't take it anymore",
        "my friend died by suicide and i thought of her today",
        "i don't want to live without coffee lol",
    ],
)
def test_ambiguous_phrases_err_toward_detecting(phrase: str) -> None:
    """Phrases that may be about the person's safety are detected: a false alarm costs less."""
    assert screen(phrase) is True


@pytest.mark.parametrize(
    "glimmer",
    [
        "the tea was warm but honestly i dont want to be here anymore",
        "my cat purred on my lap all evening and i thought nobody would miss me",
        "Sunset over the bridge. I want to jump off the bridge.",
        "we ate pho together " * 40 + "and i have a plan to end my life",
    ],
)
def test_crisis_phrase_inside_a_longer_glimmer_is_detected(glimmer: str) -> None:
    """Crisis language buried in an otherwise gentle entry is still found."""
    assert screen(glimmer) is True


@pytest.mark.parametrize("text", ["", " ", "   \n\t  ", "😊", "🌿🌞🫖", "...!?", "\u200b\u00a0"])
def test_text_without_words_is_not_crisis(text: str) -> None:
    """Empty, blank, emoji-only and punctuation-only input is screened as safe, without error."""
    assert screen(text) is False


ADVERSARIAL = {
    "one letter repeated": "a" * 5000,
    "one word repeated": "i " * 2500,
    "pattern openers repeated": "want to " * 625,
    "gap pattern never closed": "nobody would " * 384,
    "almost a match": "i am not " * 555,
    "near-miss spellings": "sucid kil myslef " * 294,
    "emoji": "😊" * 5000,
    "if i died, unclosed": "if i died " * 500,
    "be here with exceptions": "do not want to be here at " * 192,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_long_adversarial_input_returns_promptly(text: str) -> None:
    """5,000-character inputs built to provoke backtracking finish quickly."""
    text = text[:5000]
    started = time.perf_counter()
    screen(text)
    assert time.perf_counter() - started < PROMPT_SECONDS


def test_long_input_with_a_crisis_phrase_at_the_end_is_detected() -> None:
    """Length does not hide crisis language: the end of a 5,000-character text is screened."""
    text = ("the light on the water " * 250)[: 5000 - 20] + " i want to die"
    assert screen(text) is True


FILLERS = ["um", "uh", "honestly", "just", "really", "like", "kind of", "sort of", "you know"]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_filler_words_anywhere_do_not_hide_a_crisis_phrase(data: Any) -> None:
    """Spoken fillers dropped between any words of a crisis phrase do not hide it."""
    words = data.draw(st.sampled_from(POSITIVES)).split()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(words)))
        words.insert(at, data.draw(st.sampled_from(FILLERS)))
    assert screen(" ".join(words)) is True


@given(st.sampled_from(POSITIVES), st.sampled_from(["upper", "title", "punctuated"]))
def test_case_and_punctuation_do_not_hide_a_crisis_phrase(phrase: str, form: str) -> None:
    """Capitals and punctuation, as typed rather than transcribed, do not hide a phrase."""
    changed = {
        "upper": phrase.upper(),
        "title": phrase.title(),
        "punctuated": "..." + phrase.replace(" ", ", ") + "!!",
    }[form]
    assert screen(changed) is True


@settings(max_examples=300)
@given(st.text(max_size=500))
def test_screen_is_total(text: str) -> None:
    """Any text at all returns a bool rather than raising."""
    assert isinstance(screen(text), bool)


def test_lexicon_is_loaded_once() -> None:
    """The compiled lexicon is cached: no file reading or compiling per call."""
    assert _lexicon() is _lexicon()


def minimal_lexicon() -> dict[str, Any]:
    """A smallest valid crisis lexicon, for breaking one piece at a time."""
    return {
        "fuzzy": {"words": {"myself": 1}, "ignore": []},
        "rewrites": {"dont": "do not"},
        "fillers": {"always": ["um"], "soft": ["like"]},
        "triggers": {"prefixes": ["suicid"], "examples": ["suicidal"]},
        "macros": {"DIE": "die"},
        "pattern": [
            {
                "id": "want-to-die",
                "regex": r"\bwant to <<DIE>>\b",
                "examples": ["i um want to die"],
                "counter": ["i want to dye my hair"],
            }
        ],
    }


def test_minimal_lexicon_builds() -> None:
    """The fixture for the error tests is itself valid."""
    _build(minimal_lexicon())


def broken_pattern(**changes: Any) -> dict[str, Any]:
    """The minimal lexicon with its one pattern changed."""
    data = minimal_lexicon()
    data["pattern"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken_pattern(regex=r"\bwant to (die"), "bad regex"),
        (broken_pattern(regex=r"\bwant to <<DEATH>>"), "unknown macro"),
        (broken_pattern(examples=["i want to sleep"]), "misses its example"),
        (broken_pattern(examples=[]), "at least one example"),
        (broken_pattern(counter=["i want to die"]), "counter-example"),
        (broken_pattern(colour="red"), "unknown keys"),
        ({**minimal_lexicon(), "pattern": [minimal_lexicon()["pattern"][0]] * 2}, "unique"),
        ({**minimal_lexicon(), "fuzzy": {"words": {"myself": 3}}}, "distances"),
        ({**minimal_lexicon(), "triggers": {"prefixes": ["x"], "examples": ["y"]}}, "misses"),
        ({**minimal_lexicon(), "rewrites": {"dont": ""}}, "non-empty"),
        ({**minimal_lexicon(), "extra": {}}, "unknown keys"),
    ],
)
def test_broken_lexicon_fails_loudly(data: dict[str, Any], message: str) -> None:
    """Each kind of mistake in crisis.toml stops loading with a message that names it."""
    with pytest.raises(LexiconError, match=message):
        _build(data)
