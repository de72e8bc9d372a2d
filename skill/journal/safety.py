"""Screen free-form text for crisis language before anything else happens to it.

CARE.md ("Crisis language") says what the skill does when this returns True. The phrases live in
``lexicon/crisis.toml`` with the examples each pattern must and must not match; the file is
checked when first loaded, so a broken edit fails loudly rather than silently missing a person
in danger. When a phrase is genuinely ambiguous about safety, the screen says yes.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from skill.journal.lexicons import LexiconError, only_keys, read

__all__ = ["LexiconError", "screen"]

_LEXICON_FILE = "crisis.toml"

_T = TypeVar("_T")

# Bounds the work per token: a 5,000-letter "word" is never compared against key words.
_MIN_FUZZY_LENGTH = 5



@dataclass(frozen=True, slots=True)
class _Pattern:
    id: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _Lexicon:
    fuzzy: Mapping[str, int]
    fuzzy_ignore: frozenset[str]
    rewrites: Mapping[str, str]
    rewrite_regex: re.Pattern[str]
    fillers: re.Pattern[str]
    soft_fillers: re.Pattern[str]
    trigger_prefixes: tuple[str, ...]
    patterns: tuple[_Pattern, ...]


MAX_SOFT_SUBSETS = 4  # 2**4 variants at most; longer texts still get "all kept" and "all dropped"


def load() -> None:
    """Loads and validates the crisis lexicon now, so a broken file stops the app at start."""
    _lexicon()


def screen(text: str) -> bool:
    """Return True when the text contains crisis language (explicit or indirect)."""
    return _matching_rule(text, _lexicon()) is not None


def _matching_rule(text: str, lexicon: _Lexicon) -> str | None:
    """Return the id of the first rule that fires, or None; used by screen and validation."""
    for variant in _variants(text, lexicon):
        for token in variant.split():
            if token.startswith(lexicon.trigger_prefixes):
                return "triggers"
        for pattern in lexicon.patterns:
            if pattern.regex.search(variant):
                return pattern.id
    return None


def _variants(text: str, lexicon: _Lexicon) -> list[str]:
    """Canonical forms of the text: with soft fillers ("like") kept, and with them removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"['’‘`´ʼ]", "", folded)  # "don't" -> "dont", then rewritten below
    tokens = re.findall(r"[a-z0-9]+", folded)
    # Fillers go before rewrites, so "my um self" and "no honestly one" still join up.
    plain = _squash(lexicon.fillers.sub(" ", " ".join(_corrected(t, lexicon) for t in tokens)))
    forms = {plain, _squash(lexicon.soft_fillers.sub(" ", plain))}
    # A soft filler can be filler and meaning in one phrase ("i cant like keep living like
    # this"), so with a few of them, every choice of which to drop is screened.
    spans = [match.span() for match in lexicon.soft_fillers.finditer(plain)]
    if len(spans) <= MAX_SOFT_SUBSETS:
        for choice in itertools.product((False, True), repeat=len(spans)):
            kept, last = [], 0
            for (start, end), drop in zip(spans, choice, strict=True):
                if drop:
                    kept.append(plain[last:start])
                    last = end
            kept.append(plain[last:])
            forms.add(_squash(" ".join(kept)))
    return [_rewritten(form, lexicon) for form in sorted(forms, key=len, reverse=True)]


def _rewritten(text: str, lexicon: _Lexicon) -> str:
    return lexicon.rewrite_regex.sub(lambda m: lexicon.rewrites[m.group(0)], text)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _corrected(token: str, lexicon: _Lexicon) -> str:
    """Return the key word a misspelt token stands for ("sucide" -> "suicide"), else the token."""
    if len(token) < _MIN_FUZZY_LENGTH or token in lexicon.fuzzy_ignore or token in lexicon.fuzzy:
        return token
    for word, limit in lexicon.fuzzy.items():
        if (
            token[0] == word[0]
            and abs(len(token) - len(word)) <= limit
            and _distance(token, word) <= limit
        ):
            return word
    return token


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


@cache
def _lexicon() -> _Lexicon:
    """Load, compile and self-check crisis.toml once; any problem fails loudly."""
    return _build(read(_LEXICON_FILE))


def _build(data: Mapping[str, Any]) -> _Lexicon:
    only_keys(data, {"fuzzy", "rewrites", "fillers", "triggers", "macros", "pattern"}, "top")

    fuzzy_table = _table(data, "fuzzy")
    only_keys(fuzzy_table, {"words", "ignore"}, "[fuzzy]")
    fuzzy = _table(fuzzy_table, "words")
    if not all(isinstance(v, int) and 0 < v <= 2 for v in fuzzy.values()):
        raise LexiconError("[fuzzy] words: distances must be 1 or 2")

    rewrites = _table(data, "rewrites")
    if not all(isinstance(v, str) and v for v in rewrites.values()):
        raise LexiconError("[rewrites]: every value must be a non-empty string")

    fillers = _table(data, "fillers")
    only_keys(fillers, {"always", "soft"}, "[fillers]")

    triggers = _table(data, "triggers")
    only_keys(triggers, {"prefixes", "examples"}, "[triggers]")

    macros = _table(data, "macros")
    patterns = tuple(_pattern(entry, macros) for entry in _list(data, "pattern", dict))
    if len({p.id for p in patterns}) != len(patterns):
        raise LexiconError("[[pattern]]: ids must be unique")

    lexicon = _Lexicon(
        fuzzy=dict(fuzzy),
        fuzzy_ignore=frozenset(_list(fuzzy_table, "ignore", str)),
        rewrites=dict(rewrites),
        rewrite_regex=_words_regex(list(rewrites)),
        fillers=_words_regex(_list(fillers, "always", str)),
        soft_fillers=_words_regex(_list(fillers, "soft", str)),
        trigger_prefixes=tuple(_list(triggers, "prefixes", str)),
        patterns=patterns,
    )
    _check_examples(lexicon, data, triggers)
    return lexicon


def _pattern(entry: Mapping[str, Any], macros: Mapping[str, Any]) -> _Pattern:
    only_keys(entry, {"id", "regex", "examples", "counter"}, "[[pattern]]")
    pattern_id, source = entry.get("id"), entry.get("regex")
    if not isinstance(pattern_id, str) or not isinstance(source, str):
        raise LexiconError(f"[[pattern]] {pattern_id!r}: id and regex must be strings")

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if not isinstance(macros.get(name), str):
            raise LexiconError(f"[[pattern]] {pattern_id}: unknown macro <<{name}>>")
        return str(macros[name])

    try:
        regex = re.compile(re.sub(r"<<([A-Z_]+)>>", expand, source))
    except re.error as error:
        raise LexiconError(f"[[pattern]] {pattern_id}: bad regex: {error}") from error
    return _Pattern(pattern_id, regex)


def _check_examples(
    lexicon: _Lexicon, data: Mapping[str, Any], triggers: Mapping[str, Any]
) -> None:
    """Each rule must catch its own examples and leave its counter-examples alone."""
    problems: list[str] = []
    for example in _list(triggers, "examples", str):
        if _matching_rule(example, lexicon) != "triggers":
            problems.append(f"[triggers] misses {example!r}")
    for entry, pattern in zip(_list(data, "pattern", dict), lexicon.patterns, strict=True):
        examples = _list(entry, "examples", str)
        if not examples:
            problems.append(f"{pattern.id}: needs at least one example")
        for example in examples:
            if not any(pattern.regex.search(v) for v in _variants(example, lexicon)):
                problems.append(f"{pattern.id} misses its example {example!r}")
        for counter in _list(entry, "counter", str):
            if (rule := _matching_rule(counter, lexicon)) is not None:
                problems.append(f"counter-example {counter!r} of {pattern.id} fires {rule}")
    if problems:
        raise LexiconError(f"lexicon/{_LEXICON_FILE}: " + "; ".join(problems))


def _words_regex(words: list[str]) -> re.Pattern[str]:
    """One alternation of whole words or phrases, longest first so phrases win."""
    if not words:
        return re.compile(r"(?!)")  # matches nothing
    ordered = sorted({w.strip() for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, ordered)) + r")(?![a-z0-9])")


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise LexiconError(f"[{key}] must be a table")
    return value


def _list(data: Mapping[str, Any], key: str, kind: type[_T]) -> list[_T]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        raise LexiconError(f"{key} must be a list of {kind.__name__}")
    return value


