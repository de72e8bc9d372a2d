"""The Alexa Settings API: the device's time zone, with a short timeout."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimeZoneFetcher:
    """Asks the Settings API for a device's time zone; None when it cannot say."""

    timeout: float = 2.0

    def __call__(self, endpoint: str, token: str, device_id: str) -> str | None:
        """GET {endpoint}/v2/devices/{device}/settings/System.timeZone."""
        if urlsplit(endpoint).scheme not in {"http", "https"}:
            return None
        url = (
            f"{endpoint.rstrip('/')}/v2/devices/{quote(device_id, safe='')}"
            "/settings/System.timeZone"
        )
        call = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as response:  # noqa: S310
                zone = json.loads(response.read(4096))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            log.info("time zone lookup failed: %s", type(error).__name__)
            return None
        if not isinstance(zone, str):
            return None
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return zone
