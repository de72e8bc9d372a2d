"""Every sentence the skill speaks, one catalog per locale, loaded once and validated loudly.

Templates are trusted SSML fragments. Values put into them (the person's own words, titles)
are always escaped, so text like "<speak>" or "salt & pepper" is spoken, never parsed.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape

DEFAULT_LOCALE = "en-US"
_TAGS = re.compile(r"<[^>]+>")
_FORMATTER = string.Formatter()


class CatalogError(ValueError):
    """A speech catalog is missing, malformed, or lacks a line another locale has."""


def ssml_escape(value: object) -> str:
    """Escapes a value for safe use inside SSML text."""
    return escape(str(value), {'"': "&quot;", "'": "&apos;"})


def plain_text(ssml: str) -> str:
    """Strips SSML tags and unescapes entities, for cards and logs of our own text."""
    text = _TAGS.sub("", ssml)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text.replace("&amp;", "&")).strip()


def placeholders(template: str) -> frozenset[str]:
    """The names a template expects."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(template) if name)


@dataclass(frozen=True)
class CrisisResource:
    """Who to call or text in one locale, and the emergency number."""

    resource: str
    emergency: str


@dataclass(frozen=True)
class Speech:
    """The lines of one locale."""

    locale: str
    lines: Mapping[str, str]
    crisis: CrisisResource

    def __call__(self, key: str, **values: object) -> str:
        """Renders one line as SSML, escaping every value."""
        try:
            template = self.lines[key]
        except KeyError:
            raise CatalogError(f"no line {key!r} in the {self.locale} catalog") from None
        safe = {name: ssml_escape(value) for name, value in values.items()}
        # The crisis lines are our own trusted SSML (numbers read digit by digit).
        safe["crisis_resource"] = self.crisis.resource
        safe["emergency"] = self.crisis.emergency
        return template.format(**safe)

    def text(self, key: str, **values: object) -> str:
        """Renders one line as plain text, for cards."""
        return plain_text(self(key, **values))


def _read_toml(name: str) -> dict[str, object]:
    package = resources.files("skill.speech")
    try:
        return tomllib.loads(package.joinpath(name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"speech catalog {name} is missing") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"speech catalog {name} is not valid TOML: {error}") from None


@cache
def _crisis_table() -> dict[str, CrisisResource]:
    raw = _read_toml("crisis.toml")
    table: dict[str, CrisisResource] = {}
    for locale, entry in raw.items():
        if not isinstance(entry, dict) or {"resource", "emergency"} - entry.keys():
            raise CatalogError(f"crisis.toml: {locale} needs resource and emergency")
        table[locale] = CrisisResource(str(entry["resource"]), str(entry["emergency"]))
    if DEFAULT_LOCALE not in table:
        raise CatalogError(f"crisis.toml has no {DEFAULT_LOCALE} entry")
    return table


@cache
def _lines() -> dict[str, str]:
    raw = _read_toml(f"{DEFAULT_LOCALE}.toml")
    lines: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(f"{DEFAULT_LOCALE}.toml: {key} must be a non-empty string")
        lines[key] = " ".join(value.split())
    return lines


@cache
def speech_for(locale: str | None) -> Speech:
    """The catalog for a locale: English wording everywhere, crisis lines per locale."""
    table = _crisis_table()
    chosen = locale if locale in table else DEFAULT_LOCALE
    return Speech(locale=chosen, lines=_lines(), crisis=table[chosen])


def validate() -> None:
    """Loads every catalog now so a broken one stops the app at start, not on a request."""
    for locale in _crisis_table():
        speech_for(locale)
