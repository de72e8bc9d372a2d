"""Builds real Alexa request envelopes and talks to the app through POST /alexa.

Envelopes follow what Echo devices send: context.System with application, user, device
(supportedInterfaces), apiEndpoint and apiAccessToken, and a context.AudioPlayer block.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER0000000000000000000000000000000000000000000000"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE000000000000000000000000000000000000000"
# What context.AudioPlayer.playerActivity says after each AudioPlayer event.
PLAYER_ACTIVITY = {"PlaybackStarted": "PLAYING", "PlaybackNearlyFinished": "PLAYING",
                   "PlaybackStopped": "STOPPED", "PlaybackFinished": "FINISHED",
                   "PlaybackFailed": "STOPPED"}


def timestamp(moment: datetime) -> str:
    """Alexa's timestamp format: ISO 8601 in UTC with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Device:
    """What the device reports about itself."""

    audio_player: bool = True
    api_endpoint: str = "https://api.amazonalexa.com"
    api_token: str = "test-api-token"
    player_token: str | None = None
    player_offset_ms: int = 0
    player_activity: str = "IDLE"


@dataclass
class AlexaActions:
    """Plays the part of Alexa: builds envelopes, posts them, keeps the session like a device."""

    client: FlaskClient
    clock: Any
    user_id: str = USER_ID
    locale: str = "en-US"
    device: Device = field(default_factory=Device)
    skill_id: str = SKILL_ID
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)

    # --- envelope parts -------------------------------------------------------
    def context(self) -> dict[str, Any]:
        """The context block, with AudioPlayer state."""
        interfaces: dict[str, Any] = {}
        if self.device.audio_player:
            interfaces["AudioPlayer"] = {}
        context: dict[str, Any] = {
            "System": {
                "application": {"applicationId": self.skill_id},
                "user": {"userId": self.user_id},
                "device": {"deviceId": DEVICE_ID, "supportedInterfaces": interfaces},
                "apiEndpoint": self.device.api_endpoint,
                "apiAccessToken": self.device.api_token,
            }
        }
        if self.device.audio_player:
            player: dict[str, Any] = {"playerActivity": self.device.player_activity}
            if self.device.player_token:
                player["token"] = self.device.player_token
                player["offsetInMilliseconds"] = self.device.player_offset_ms
            context["AudioPlayer"] = player
        return context

    def session(self, new: bool) -> dict[str, Any]:
        """The session block."""
        if new or self.session_id is None:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.attributes = {}
        return {
            "new": new,
            "sessionId": self.session_id,
            "application": {"applicationId": self.skill_id},
            "user": {"userId": self.user_id},
            "attributes": self.attributes,
        }

    def envelope(self, request: dict[str, Any], *, in_session: bool = True,
                 new: bool = False) -> dict[str, Any]:
        """A whole envelope around a request body."""
        request = {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": timestamp(self.clock()),
            "locale": self.locale,
            **request,
        }
        body: dict[str, Any] = {"version": "1.0", "context": self.context(), "request": request}
        if in_session:
            body["session"] = self.session(new)
        return body

    # --- actions --------------------------------------------------------------
    def post(self, body: dict[str, Any] | bytes | str, headers: dict[str, str] | None = None,
             ) -> Any:
        """POSTs raw JSON to /alexa and returns the Flask response."""
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return self.client.post("/alexa", data=data, headers=headers or {},
                                content_type="application/json")

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """POSTs an envelope, expects 200, keeps session attributes, returns the answer."""
        response = self.post(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer: dict[str, Any] = response.get_json()
        self.last = answer
        if "session" in body:
            self.attributes = answer.get("sessionAttributes") or {}
            if answer.get("response", {}).get("shouldEndSession") is not False:
                self.session_id = None
        return answer

    def launch(self) -> dict[str, Any]:
        """'Alexa, open glimmers'."""
        return self.send(self.envelope({"type": "LaunchRequest"}, new=True))

    def intent(self, name: str, *, confirmation: str = "NONE", dialog_state: str | None = None,
               new_session: bool | None = None, slot_ids: dict[str, str] | None = None,
               **slots: str | None) -> dict[str, Any]:
        """An IntentRequest with slot values; one-shot (new session) when none is open."""
        new = self.session_id is None if new_session is None else new_session
        intent: dict[str, Any] = {
            "name": name,
            "confirmationStatus": confirmation,
            "slots": {
                slot: {"name": slot, "value": value, "confirmationStatus": "NONE"}
                if value is not None else {"name": slot, "confirmationStatus": "NONE"}
                for slot, value in slots.items()
            },
        }
        for slot, slot_id in (slot_ids or {}).items():
            intent["slots"][slot]["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": f"amzn1.er-authority.echo-sdk.{self.skill_id}.SENSE",
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": slot_id, "id": slot_id}}],
            }]}
        request: dict[str, Any] = {"type": "IntentRequest", "intent": intent}
        if dialog_state:
            request["dialogState"] = dialog_state
        return self.send(self.envelope(request, new=new))

    def session_ended(self, reason: str = "USER_INITIATED") -> dict[str, Any]:
        """The session closes."""
        return self.send(self.envelope({"type": "SessionEndedRequest", "reason": reason}))

    def playback(self, kind: str, token: str | None = None, offset: int = 0,
                 **extra: Any) -> dict[str, Any]:
        """An AudioPlayer.* event, sent outside any session as devices do."""
        request: dict[str, Any] = {"type": f"AudioPlayer.{kind}", "offsetInMilliseconds": offset}
        if token is not None:
            request["token"] = token
        request.update(extra)
        self.device.player_token = token
        self.device.player_offset_ms = offset
        return self.send(self.envelope(request, in_session=False))

    def player_event(self, kind: str, token: str | None = None, offset: int = 0,
                     **extra: Any) -> dict[str, Any]:
        """Like playback(), with context.AudioPlayer's playerActivity moved as a device does."""
        self.device.player_activity = PLAYER_ACTIVITY.get(kind, self.device.player_activity)
        return self.playback(kind, token, offset, **extra)

    def listen(self, milliseconds: int) -> None:
        """Audio keeps playing: the device's offset moves on, as its next context will show."""
        self.device.player_offset_ms += milliseconds

    def controller(self, command: str) -> dict[str, Any]:
        """A PlaybackController.* button press."""
        return self.send(self.envelope({"type": f"PlaybackController.{command}"},
                                       in_session=False))

    def skill_event(self, kind: str, **body: Any) -> Any:
        """An AlexaSkillEvent.* request (raw response, since some answer 503)."""
        request: dict[str, Any] = {"type": f"AlexaSkillEvent.{kind}"}
        if body:
            request["body"] = body
        return self.post(self.envelope(request, in_session=False))


def speech(answer: dict[str, Any]) -> str:
    """The SSML Alexa would speak, without the <speak> wrapper."""
    output = answer.get("response", {}).get("outputSpeech") or {}
    ssml = str(output.get("ssml", output.get("text", "")))
    return ssml.removeprefix("<speak>").removesuffix("</speak>").strip()


def reprompt(answer: dict[str, Any]) -> str:
    """The reprompt's SSML, without the wrapper."""
    output = (answer.get("response", {}).get("reprompt") or {}).get("outputSpeech") or {}
    return str(output.get("ssml", "")).removeprefix("<speak>").removesuffix("</speak>").strip()


def ends_session(answer: dict[str, Any]) -> bool | None:
    """shouldEndSession as sent (None when absent)."""
    value = answer.get("response", {}).get("shouldEndSession")
    return None if value is None else bool(value)


def directives(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The response's directives."""
    return list(answer.get("response", {}).get("directives") or [])
