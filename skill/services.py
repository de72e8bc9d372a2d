"""The collaborators the skill's handlers use, built once by create_app and passed in."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from skill.clock import Clock
from skill.guide.library import Library
from skill.identity import PersonKeys
from skill.store.db import Database


@dataclass(frozen=True)
class Services:
    """Everything a handler may need, and nothing global."""

    db: Database
    clock: Clock
    keys: PersonKeys
    library: Library
    audio_url: Callable[[str], str]
    time_zone_fetcher: Callable[[str, str, str], str | None]
    chooser: Callable[[], random.Random] = field(default=random.Random)
