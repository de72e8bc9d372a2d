"""AlexaSkillEvent.* requests, read from the raw JSON (the SDK drops the event body)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skill.identity import PersonKeys
from skill.store import repo
from skill.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkillEvents:
    """Acts on skill lifecycle events."""

    db: Database
    keys: PersonKeys

    def handle(self, raw: Mapping[str, Any]) -> None:
        """SkillDisabled deletes everything kept about that person; other events are noted."""
        kind = str(raw["request"]["type"])
        if kind != "AlexaSkillEvent.SkillDisabled":
            log.info("skill event noted: %.80r", kind)
            return
        user_id = str(raw["context"]["System"]["user"]["userId"])
        with self.db.transaction() as tx:
            deleted = repo.delete_person(tx, self.keys.key(user_id))
        log.info("skill disabled: data deleted=%s", deleted)
