"""People are known by a keyed hash of Alexa's userId; the raw id is never stored or logged."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonKeys:
    """Turns Alexa user ids into stable keys with the app's secret."""

    secret: str

    def key(self, user_id: str) -> str:
        """The HMAC-SHA256 of the user id, as 64 hex characters."""
        return hmac.new(self.secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
