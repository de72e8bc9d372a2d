"""Glimmers: a voice skill for noticing small moments of safety.

`create_app()` builds and wires everything (see skill/app.py); WSGI target `skill:create_app()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Builds the Flask app from the environment, overridden by `config` (see skill.app)."""
    from skill.app import create_app as build

    return build(config)
