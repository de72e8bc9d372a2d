"""Reading the journal's word lists (skill/journal/lexicon/*.toml), loudly."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any


class LexiconError(ValueError):
    """A lexicon data file is missing, malformed or inconsistent."""


def read(name: str) -> dict[str, Any]:
    """The parsed TOML of lexicon/<name>; any problem is a LexiconError naming the file."""
    try:
        path = resources.files("skill.journal").joinpath("lexicon", name)
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LexiconError(f"cannot read lexicon/{name}: {error}") from error


def only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Refuses keys a lexicon table does not know (typos would otherwise be ignored)."""
    if extra := set(table) - allowed:
        raise LexiconError(f"{where}: unknown keys {sorted(extra)}")
