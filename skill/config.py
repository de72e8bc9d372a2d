"""Settings from the environment, validated once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/glimmers.db"
DEV_SECRET_KEY = "glimmers-local-development-only"  # noqa: S105 - refused in production


class ConfigError(ValueError):
    """A setting is missing or has a value the app cannot run with."""


def _flag(value: str | bool | None, *, default: bool) -> bool:
    """Reads a yes/no setting the way people write them in environment files."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected 0 or 1, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, in one validated place."""

    database_url: str = DEFAULT_DATABASE_URL
    skill_id: str | None = None
    verify_requests: bool = True
    audio_base_url: str | None = None
    audio_dir: Path = Path("audio/build")
    secret_key: str = DEV_SECRET_KEY
    production: bool = False
    cert_timeout_seconds: float = 3.0
    cert_cache_seconds: float = 3600.0
    settings_api_timeout_seconds: float = 2.0

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None) -> Settings:
        """Layers the defaults, then the environment, then the caller's overrides."""
        env: dict[str, Any] = {
            key: value for key, value in os.environ.items() if key.startswith("GLIMMERS_")
        }
        env.update(overrides or {})

        def get(name: str, default: Any = None) -> Any:
            return env.get(f"GLIMMERS_{name}", default)

        settings = cls(
            database_url=str(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            skill_id=(str(get("SKILL_ID")).strip() or None) if get("SKILL_ID") else None,
            verify_requests=_flag(get("VERIFY_REQUESTS"), default=True),
            audio_base_url=(str(get("AUDIO_BASE_URL")).rstrip("/") + "/")
            if get("AUDIO_BASE_URL")
            else None,
            audio_dir=Path(get("AUDIO_DIR") or "audio/build"),
            secret_key=str(get("SECRET_KEY") or DEV_SECRET_KEY),
            production=_flag(get("PRODUCTION"), default=False),
            cert_timeout_seconds=float(get("CERT_TIMEOUT_SECONDS", 3.0)),
            cert_cache_seconds=float(get("CERT_CACHE_SECONDS", 3600.0)),
            settings_api_timeout_seconds=float(get("SETTINGS_API_TIMEOUT_SECONDS", 2.0)),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuses combinations that would be unsafe or cannot work."""
        if self.production:
            if not self.verify_requests:
                raise ConfigError("GLIMMERS_VERIFY_REQUESTS=0 is refused in production mode")
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ConfigError(
                    "GLIMMERS_SECRET_KEY must be set to at least 32 random characters "
                    "in production mode"
                )
            if not self.skill_id:
                raise ConfigError("GLIMMERS_SKILL_ID must be set in production mode")
            if self.audio_base_url is None or urlsplit(self.audio_base_url).scheme != "https":
                raise ConfigError(
                    "GLIMMERS_AUDIO_BASE_URL must be an https:// URL in production mode "
                    "(Alexa only plays audio over HTTPS)"
                )
        if self.cert_timeout_seconds <= 0 or self.settings_api_timeout_seconds <= 0:
            raise ConfigError("timeouts must be positive")
