"""The speech catalog: every line renders, is well-formed SSML and follows CARE.md."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from skill.speech import (
    CatalogError,
    _crisis_table,
    _lines,
    placeholders,
    speech_for,
    ssml_escape,
    validate,
)

ROOT = Path(__file__).resolve().parent.parent
# CARE.md's "avoid" column, as patterns over whole words.
AVOID = [r"you should", r"you must", r"try harder", r"\brelax", r"calm down", r"\bachiev",
         r"\bsucce(ed|ss)", r"\bfail", r"\bperfect", r"\bcorrect", r"you missed", r"you broke",
         r"\bstreak", r"days in a row", r"don'?t lose", r"happiness", r"positive vibes",
         r"bright side", r"committed suicide", r"just be grateful"]
# Commands that CARE.md replaces with invitations, when they open a sentence.
IMPERATIVE_OPENERS = [r"close your eyes", r"relax", r"breathe", r"take a deep breath",
                      r"calm", r"focus", r"let go", r"you need to", r"don'?t worry", r"cheer up",
                      r"be grateful", r"think positive", r"try to"]
SAMPLE_VALUES = {"moment": "the warm mug in my hands", "shift": "my shoulders dropped",
                 "when": "yesterday", "sense": "sound", "period": "today", "count": 12,
                 "title": "Listening", "minutes": "three-minute", "kind": "practice",
                 "choices": "a sound practice, a touch practice or grounding", "number": 9}


def rendered_lines() -> dict[str, str]:
    """Every catalog line rendered with sample values, in every locale."""
    out = {}
    for locale in _crisis_table():
        say = speech_for(locale)
        for key, template in say.lines.items():
            values = {name: SAMPLE_VALUES.get(name, "sample") for name in placeholders(template)
                      if name not in {"crisis_resource", "emergency"}}
            out[f"{locale}:{key}"] = say(key, **values)
    return out


def test_every_line_renders_with_sample_values() -> None:
    """Each line's placeholders are known and it renders in every locale."""
    validate()
    lines = rendered_lines()
    assert len(lines) >= 6 * 60
    for name, text in lines.items():
        assert "{" not in text and "}" not in text, name


@pytest.mark.parametrize("name", sorted(rendered_lines()))
def test_line_is_well_formed_ssml_with_short_breaks(name: str) -> None:
    """Each line parses as SSML, and no break is longer than Alexa's 10 seconds."""
    text = rendered_lines()[name]
    ET.fromstring(f"<speak>{text}</speak>")
    for seconds in re.findall(r'<break time="(\d+(?:\.\d+)?)s"/>', text):
        assert float(seconds) <= 10, name


@pytest.mark.parametrize("name", sorted(rendered_lines()))
def test_line_avoids_cares_avoid_words_and_commands(name: str) -> None:
    """No line uses an avoid-word from CARE.md or opens a sentence with a command."""
    text = re.sub(r"<[^>]+>", " ", rendered_lines()[name]).lower()
    for pattern in AVOID:
        assert not re.search(pattern, text), f"{name}: {pattern}"
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        for opener in IMPERATIVE_OPENERS:
            assert not re.match(opener, sentence.strip()), f"{name}: {sentence}"


def test_copy_lint_catches_an_avoid_word() -> None:
    """The lint itself fails on a line that says 'you should relax'."""
    text = "you should relax now."
    assert any(re.search(pattern, text) for pattern in AVOID)


def test_values_are_escaped_in_ssml() -> None:
    """The person's words cannot inject SSML."""
    say = speech_for("en-US")
    line = say("logged", moment='<audio src="x"/> & "hi"')
    assert "<audio" not in line
    assert ssml_escape("<&>") == "&lt;&amp;&gt;"
    ET.fromstring(f"<speak>{line}</speak>")


def test_unknown_line_is_a_clear_error() -> None:
    """Asking for a line that does not exist names it."""
    with pytest.raises(CatalogError, match="no line 'nope'"):
        speech_for("en-US")("nope")


def test_unknown_locale_falls_back_to_en_us() -> None:
    """A locale without its own crisis entry uses en-US, never nothing."""
    assert speech_for("fr-FR").locale == "en-US"
    assert "988" in speech_for(None)("crisis")


def test_every_line_is_used_somewhere() -> None:
    """No dead lines: every catalog key is named in the skill's code."""
    source = "\n".join(path.read_text() for path in (ROOT / "skill").rglob("*.py"))
    unused = [key for key in _lines() if f'"{key}"' not in source and f"'{key}'" not in source]
    assert unused == []
