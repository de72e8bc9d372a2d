"""Which senses a glimmer touches, read from its words (no question asked).

The cue words live in ``lexicon/senses.toml``; the labelling guide they follow is at the top of
``tests/data/senses_labelled.tsv``. The tagger prefers no tag to a wrong tag: ambiguous words are
left out of the lexicon, and weak cues give way to stronger evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from skill.journal.lexicons import LexiconError, only_keys, read

__all__ = ["LexiconError", "Sense", "detect_senses", "parse_sense"]

_LEXICON_FILE = "senses.toml"

# How many words after "saw"/"see" a person may appear for it to mean meeting them.
_MEETING_WINDOW = 3

# Words people wrap a spoken sense in: "the sense of smell", "through my body".
_SLOT_PREFIXES: tuple[str, ...] = ("the sense of ", "sense of ", "my sense of ", "through ")
_SLOT_PREFIXES += ("with ", "by ", "my ", "the ", "a ", "it was ", "i think ")

_SINGLE_WORD_LISTS = frozenset(
    {
        "verbs",
        "nouns",
        "exact",
        "weak",
        "meeting_verbs",
        "including_me",
        "prepositions",
        "determiners",
        "parts",
    }
)


class Sense(StrEnum):
    """One channel through which a glimmer was noticed."""

    SIGHT = "sight"
    SOUND = "sound"
    TOUCH = "touch"
    SMELL = "smell"
    TASTE = "taste"
    BODY = "body"
    CONNECTION = "connection"



@dataclass(frozen=True, slots=True)
class _Cue:
    sense: Sense
    weak: bool


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[frozenset[str], ...]
    senses: frozenset[Sense]


@dataclass(frozen=True, slots=True)
class _Lexicon:
    words: Mapping[str, frozenset[_Cue]]
    phrases: Mapping[str, tuple[_Phrase, ...]]  # keyed by every form of the first word
    yields_to: Mapping[Sense, frozenset[Sense]]
    meeting_verbs: frozenset[str]
    touch_frame: tuple[frozenset[str], frozenset[str], frozenset[str]]  # prep, det, part
    including_me: frozenset[str]  # connection words that include the speaker ("we")
    slots: Mapping[str, Sense]


@dataclass(frozen=True, slots=True)
class _Hit:
    position: int
    sense: Sense
    weak: bool = False
    meeting: bool = False  # a "saw"/"see" that may mean meeting someone


def load() -> None:
    """Loads and validates the lexicon now, so a broken file stops the app at start."""
    _lexicon()


def detect_senses(text: str) -> frozenset[Sense]:
    """Return the senses a glimmer's words point to; empty when none is clear."""
    lexicon = _lexicon()
    tokens = _tokens(text)
    hits = _drop_meeting_sight(list(_hits(tokens, lexicon)))
    hits = _drop_others_body(hits, tokens, lexicon)
    strong = {hit.sense for hit in hits if not hit.weak}
    weak = {hit.sense for hit in hits if hit.weak}
    found = set(strong)
    for sense in weak - strong:
        # A weak cue ("coffee") gives way when an overruling sense is present ("smell").
        if not lexicon.yields_to.get(sense, frozenset()) & (strong | weak):
            found.add(sense)
    return frozenset(found)


def _hits(tokens: list[str], lexicon: _Lexicon) -> Iterator[_Hit]:
    """Scan left to right: the longest phrase first, then the touch frame, then single words."""
    i = 0
    while i < len(tokens):
        phrase = _longest_phrase(lexicon, tokens, i)
        if phrase is not None:
            yield from (_Hit(i, sense) for sense in phrase.senses)
            i += len(phrase.words)
        elif _touch_frame(lexicon, tokens, i):
            # "under my feet": contact on the skin, so the body part is not read as body.
            yield _Hit(i, Sense.TOUCH)
            i += 3
        else:
            meeting = tokens[i] in lexicon.meeting_verbs
            for cue in lexicon.words.get(tokens[i], frozenset()):
                yield _Hit(i, cue.sense, cue.weak, meeting and cue.sense is Sense.SIGHT)
            i += 1


def _drop_others_body(hits: list[_Hit], tokens: list[str], lexicon: _Lexicon) -> list[_Hit]:
    """Drop body right after another person or animal ("the cat sleeping"): it is theirs."""
    others = {
        hit.position
        for hit in hits
        if hit.sense is Sense.CONNECTION and tokens[hit.position] not in lexicon.including_me
    }
    return [
        hit
        for hit in hits
        if not (hit.sense is Sense.BODY and not hit.weak and hit.position - 1 in others)
    ]


def _drop_meeting_sight(hits: list[_Hit]) -> list[_Hit]:
    """Drop sight when it came only from "saw"/"see" followed by a person: that is meeting."""
    sight = [hit for hit in hits if hit.sense is Sense.SIGHT]
    people = [hit.position for hit in hits if hit.sense is Sense.CONNECTION]
    met = all(
        hit.meeting and any(0 < p - hit.position <= _MEETING_WINDOW for p in people)
        for hit in sight
    )
    return [hit for hit in hits if hit.sense is not Sense.SIGHT] if sight and met else hits


def parse_sense(word: str) -> Sense | None:
    """Map a spoken slot value such as "hearing" or "my body" to a Sense, or None."""
    slots = _lexicon().slots
    phrase = " ".join(_tokens(word))
    if phrase in slots:
        return slots[phrase]
    for prefix in _SLOT_PREFIXES:
        if phrase.startswith(prefix):
            return parse_sense(phrase.removeprefix(prefix))
    return None


def _tokens(text: str) -> list[str]:
    # A possessive "'s" is dropped ("baby's" -> "baby"); other apostrophes join ("don't").
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"['’‘`´]s\b", "", folded)
    folded = re.sub(r"['’‘`´]", "", folded)
    return re.findall(r"[a-z0-9]+", folded)


def _longest_phrase(lexicon: _Lexicon, tokens: list[str], start: int) -> _Phrase | None:
    best: _Phrase | None = None
    for phrase in lexicon.phrases.get(tokens[start], ()):
        end = start + len(phrase.words)
        if end > len(tokens):
            continue
        longer = best is None or len(phrase.words) > len(best.words)
        if longer and all(tokens[start + k] in forms for k, forms in enumerate(phrase.words)):
            best = phrase
    return best


def _touch_frame(lexicon: _Lexicon, tokens: list[str], start: int) -> bool:
    if start + 2 >= len(tokens):
        return False
    return all(tokens[start + k] in words for k, words in enumerate(lexicon.touch_frame))


def _plural(lemma: str) -> set[str]:
    if lemma.endswith(("s", "x", "z", "ch", "sh")):
        return {lemma + "es"}
    if len(lemma) > 1 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma[:-1] + "ies"}
    return {lemma + "s"}


def _verb_forms(lemma: str) -> set[str]:
    forms = {lemma} | _plural(lemma)
    if lemma.endswith("e"):
        forms.add(lemma + "d")
        forms.add(lemma[:-1] + "ing" if not lemma.endswith(("ee", "ye", "oe")) else lemma + "ing")
    elif len(lemma) > 1 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        forms |= {lemma[:-1] + "ied", lemma + "ing"}
    else:
        forms |= {lemma + "ed", lemma + "ing"}
    # Consonant doubling ("hug" -> "hugged"); overgenerating a rare non-word is harmless.
    if len(lemma) >= 3 and re.fullmatch(r".*[^aeiou][aeiou][^aeiouwxy]", lemma):
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


@cache
def _lexicon() -> _Lexicon:
    """Load and validate senses.toml once; a bad file fails loudly at first use."""
    return _build(read(_LEXICON_FILE))


def _build(data: Mapping[str, Any]) -> _Lexicon:
    only_keys(data, {"blockers", "others", "sight", "touch_frame", "sense"}, "top level")
    words: dict[str, set[_Cue]] = {}
    phrases: dict[tuple[str, ...], set[Sense]] = {}
    yields_to: dict[Sense, frozenset[Sense]] = {}
    slots: dict[str, Sense] = {}
    senses_table = _table(data, "sense", "top level")
    unknown = set(senses_table) - {s.value for s in Sense}
    missing = {s.value for s in Sense} - set(senses_table)
    if unknown or missing:
        raise LexiconError(f"[sense.*]: unknown {sorted(unknown)}, missing {sorted(missing)}")
    for sense in Sense:
        table = _table(senses_table, sense.value, "[sense]")
        yields_to[sense] = _add_sense(sense, table, words, phrases, slots)
    _add_blockers(_table(data, "blockers", "top level"), phrases)

    by_first: dict[str, list[_Phrase]] = {}
    for key, senses in phrases.items():
        phrase = _Phrase(tuple(frozenset(_verb_forms(w)) for w in key), frozenset(senses))
        for form in phrase.words[0]:
            by_first.setdefault(form, []).append(phrase)
    return _Lexicon(
        words={form: frozenset(cues) for form, cues in words.items()},
        phrases={form: tuple(group) for form, group in by_first.items()},
        yields_to=yields_to,
        meeting_verbs=_meeting_verbs(_table(data, "sight", "top level"), words),
        touch_frame=_touch_frame_words(_table(data, "touch_frame", "top level")),
        including_me=_including_me(_table(data, "others", "top level"), words),
        slots=slots,
    )


def _add_sense(
    sense: Sense,
    table: Mapping[str, Any],
    words: dict[str, set[_Cue]],
    phrases: dict[tuple[str, ...], set[Sense]],
    slots: dict[str, Sense],
) -> frozenset[Sense]:
    """Add one [sense.*] table's cues; return the senses its weak cues yield to."""
    where = f"[sense.{sense.value}]"
    only_keys(table, {"verbs", "nouns", "exact", "weak", "yields_to", "phrases", "slot"}, where)
    seen: set[str] = set()
    for lemma in _words(table, "verbs", where, seen):
        _add(words, _verb_forms(lemma), _Cue(sense, weak=False))
    for lemma in _words(table, "nouns", where, seen):
        _add(words, {lemma} | _plural(lemma), _Cue(sense, weak=False))
    for form in _words(table, "exact", where, seen):
        _add(words, {form}, _Cue(sense, weak=False))
    weak = _words(table, "weak", where, seen)
    for lemma in weak:
        _add(words, {lemma} | _plural(lemma), _Cue(sense, weak=True))
    for text in _words(table, "phrases", where, seen):
        phrases.setdefault(_phrase_key(text, where), set()).add(sense)
    for text in _words(table, "slot", where, set()):
        key = " ".join(_tokens(text))
        if slots.get(key, sense) is not sense:
            raise LexiconError(f"{where}: slot value {text!r} already names {slots[key]}")
        slots[key] = sense
    targets = _words(table, "yields_to", where, set())
    if weak and not targets:
        raise LexiconError(f"{where}: weak cues need a yields_to list")
    try:
        return frozenset(Sense(t) for t in targets)
    except ValueError as error:
        raise LexiconError(f"{where}: yields_to: {error}") from error


def _add_blockers(table: Mapping[str, Any], phrases: dict[tuple[str, ...], set[Sense]]) -> None:
    only_keys(table, {"phrases"}, "[blockers]")
    for text in _words(table, "phrases", "[blockers]", set()):
        key = _phrase_key(text, "[blockers]")
        if phrases.get(key):
            raise LexiconError(f"[blockers]: {text!r} is also a sense phrase")
        phrases[key] = set()


def _meeting_verbs(table: Mapping[str, Any], words: Mapping[str, set[_Cue]]) -> frozenset[str]:
    only_keys(table, {"meeting_verbs"}, "[sight]")
    verbs = frozenset(_words(table, "meeting_verbs", "[sight]", set()))
    if stray := {v for v in verbs if _Cue(Sense.SIGHT, weak=False) not in words.get(v, ())}:
        raise LexiconError(f"[sight] meeting_verbs are not sight cues: {sorted(stray)}")
    return verbs


def _including_me(table: Mapping[str, Any], words: Mapping[str, set[_Cue]]) -> frozenset[str]:
    only_keys(table, {"including_me"}, "[others]")
    found = frozenset(_words(table, "including_me", "[others]", set()))
    if stray := {w for w in found if _Cue(Sense.CONNECTION, weak=False) not in words.get(w, ())}:
        raise LexiconError(f"[others] including_me are not connection cues: {sorted(stray)}")
    return found


def _touch_frame_words(
    table: Mapping[str, Any],
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    only_keys(table, {"prepositions", "determiners", "parts"}, "[touch_frame]")
    parts = {f for p in _words(table, "parts", "[touch_frame]", set()) for f in {p} | _plural(p)}
    frame = (
        frozenset(_words(table, "prepositions", "[touch_frame]", set())),
        frozenset(_words(table, "determiners", "[touch_frame]", set())),
        frozenset(parts),
    )
    if not all(frame):
        raise LexiconError("[touch_frame]: prepositions, determiners and parts must not be empty")
    return frame


def _add(words: dict[str, set[_Cue]], forms: Iterable[str], cue: _Cue) -> None:
    for form in forms:
        words.setdefault(form, set()).add(cue)


def _phrase_key(text: str, where: str) -> tuple[str, ...]:
    key = tuple(_tokens(text))
    if len(key) < 2:
        raise LexiconError(f"{where}: phrase {text!r} needs at least two words")
    return key


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: [{key}] must be a table")
    return value




def _words(table: Mapping[str, Any], key: str, where: str, seen: set[str]) -> list[str]:
    """Return a list of lowercase cue strings; duplicates within one sense are an error."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: {key} must be a list of strings")
    single_word = key in _SINGLE_WORD_LISTS
    for entry in value:
        if entry != entry.strip().lower() or not entry:
            raise LexiconError(f"{where}: {key} entry {entry!r} must be lowercase and trimmed")
        if single_word and not re.fullmatch(r"[a-z0-9]+", entry):
            raise LexiconError(f"{where}: {key} entry {entry!r} must be one word")
        if entry in seen:
            raise LexiconError(f"{where}: duplicate entry {entry!r}")
        seen.add(entry)
    return list(value)
