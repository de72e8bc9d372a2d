"""Plays the Echo: builds the envelopes a device sends and keeps its session and player state."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from skill.chat.language import Resolution, SlotFill

LOCAL_SKILL_ID = "amzn1.ask.skill.local-development"
API_ENDPOINT = "https://api.amazonalexa.com"


def fake_id(kind: str, name: str) -> str:
    """A stable, Alexa-shaped id for a chat user or device, derived from a name."""
    digest = hashlib.sha256(f"glimmers-chat:{kind}:{name}".encode()).hexdigest().upper()
    return f"amzn1.ask.{kind}.{digest}"


def local_time_zone() -> str | None:
    """This machine's IANA time zone name (from TZ or /etc/localtime), None when unknown."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        candidates.append(target.partition("zoneinfo/")[2])
    with suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if not name:
            continue
        with suppress(ZoneInfoNotFoundError, ValueError):
            ZoneInfo(name)
            return name
    return None


def alexa_timestamp(moment: datetime) -> str:
    """Alexa's timestamp format: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Stream:
    """One AudioPlayer stream from a Play directive."""

    token: str
    url: str
    offset_ms: int = 0


@dataclass
class Player:
    """What the device's audio player is doing, as reported in context.AudioPlayer."""

    clock: Callable[[], float] = time.monotonic
    token: str | None = None
    url: str | None = None
    activity: str = "IDLE"
    offset_ms: int = 0
    started_at: float | None = None
    queue: list[Stream] = field(default_factory=list)

    def position(self) -> int:
        """The current offset: it advances with the clock while playing."""
        if self.activity == "PLAYING" and self.started_at is not None:
            return self.offset_ms + int((self.clock() - self.started_at) * 1000)
        return self.offset_ms

    def play(self, stream: Stream) -> None:
        """Starts a stream now."""
        self.token, self.url, self.offset_ms = stream.token, stream.url, stream.offset_ms
        self.activity, self.started_at = "PLAYING", self.clock()

    def halt(self, activity: str, offset_ms: int | None = None) -> None:
        """Stops or finishes the current stream, keeping where it got to."""
        self.offset_ms = self.position() if offset_ms is None else offset_ms
        self.activity, self.started_at = activity, None

    def state(self) -> dict[str, Any]:
        """The context.AudioPlayer block."""
        state: dict[str, Any] = {"playerActivity": self.activity}
        if self.token is not None:
            state["token"] = self.token
            state["offsetInMilliseconds"] = self.position()
        return state


@dataclass
class Session:
    """An open skill session, as the device remembers it between turns."""

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True


@dataclass
class Device:
    """An Echo with an audio player, talking to one skill as one user."""

    skill_id: str = LOCAL_SKILL_ID
    user_id: str = field(default_factory=lambda: fake_id("account", "chat"))
    device_id: str = field(default_factory=lambda: fake_id("device", "chat"))
    locale: str = "en-US"
    api_token: str = "glimmers-chat-api-token"  # noqa: S105 - a fake: chat never calls Amazon
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    player: Player = field(default_factory=Player)
    session: Session | None = None

    def context(self) -> dict[str, Any]:
        """The context block: System and the audio player's state."""
        return {
            "System": {
                "application": {"applicationId": self.skill_id},
                "user": {"userId": self.user_id},
                "device": {
                    "deviceId": self.device_id,
                    "supportedInterfaces": {"AudioPlayer": {}},
                },
                "apiEndpoint": API_ENDPOINT,
                "apiAccessToken": self.api_token,
            },
            "AudioPlayer": self.player.state(),
        }

    def envelope(self, request: dict[str, Any], *, in_session: bool = True) -> dict[str, Any]:
        """A whole request body; in a session it opens one when none is open."""
        body: dict[str, Any] = {
            "version": "1.0",
            "context": self.context(),
            "request": {
                "type": request["type"],
                "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
                "timestamp": alexa_timestamp(self.now()),
                "locale": self.locale,
                **{key: value for key, value in request.items() if key != "type"},
            },
        }
        if in_session:
            if self.session is None:
                self.session = Session(id=f"amzn1.echo-api.session.{uuid.uuid4()}")
            body["session"] = {
                "new": self.session.new,
                "sessionId": self.session.id,
                "application": {"applicationId": self.skill_id},
                "user": {"userId": self.user_id},
                "attributes": self.session.attributes,
            }
        return body

    def remember(self, body: dict[str, Any], answer: dict[str, Any], *, keep_open: bool) -> None:
        """Carries session attributes to the next turn, or forgets the session when it ended."""
        if "session" not in body or self.session is None:
            return
        if keep_open:
            self.session.attributes = dict(answer.get("sessionAttributes") or {})
            self.session.new = False
        else:
            self.session = None

    def end_session(self) -> None:
        """Forgets the open session, as the device does after shouldEndSession or /new."""
        self.session = None


def intent_json(resolution: Resolution, skill_id: str) -> dict[str, Any]:
    """The request.intent block Alexa sends for a resolution, with every declared slot."""
    return {
        "name": resolution.intent,
        "confirmationStatus": "NONE",
        "slots": {fill.name: slot_json(fill, skill_id) for fill in resolution.slots},
    }


def slot_json(fill: SlotFill, skill_id: str) -> dict[str, Any]:
    """One slot as Alexa sends it, with entity resolution for custom types."""
    slot: dict[str, Any] = {"name": fill.name, "confirmationStatus": "NONE"}
    if fill.value is None:
        return slot
    simple: dict[str, Any] = {"type": "Simple", "value": fill.value}
    slot.update(value=fill.value, source="USER", slotValue=simple)
    if fill.status is not None:
        authority: dict[str, Any] = {
            "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{fill.type}",
            "status": {"code": fill.status},
        }
        if fill.entity is not None:
            authority["values"] = [{"value": {"name": fill.entity.name, "id": fill.entity.id}}]
        resolutions = {"resolutionsPerAuthority": [authority]}
        slot["resolutions"] = resolutions
        simple["resolutions"] = resolutions
    return slot
