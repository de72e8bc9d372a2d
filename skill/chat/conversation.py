"""One person talking to the skill through a simulated Echo, turn by turn.

The conversation knows nothing of Flask or HTTP: it is given `send(body) -> answer` and a
`write(kind, text)` for output. It resolves what was typed, builds the envelope, follows the
session and Alexa's dialog directives, and plays the audio player's part for AudioPlayer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.chat.device import Device, Stream, intent_json, slot_json
from skill.chat.display import (
    DEVICE,
    ENDED,
    ERROR,
    JSON,
    NOTE,
    REQUEST,
    SPEECH,
    Write,
    as_json,
    describe_answer,
    describe_resolution,
)
from skill.chat.language import FALLBACK, InteractionModel, Resolution, resolve, resolve_slot

Send = Callable[[dict[str, Any]], dict[str, Any]]
MAX_FOLLOW_UPS = 4  # device events and dialog steps one typed line may set off

COMMANDS = (
    ("/quit", "leave (Ctrl-D does too)"),
    ("/new", "forget the open session; the next line opens a new one"),
    ("/json", "show or hide the raw request and response JSON"),
    ("/finish", "the audio reached its end: send AudioPlayer.PlaybackFinished"),
    ("/stopped MS", "the audio was stopped at MS milliseconds: send PlaybackStopped"),
    ("/nearly", "send AudioPlayer.PlaybackNearlyFinished"),
    ("/help", "this list"),
)


class TransportError(Exception):
    """The skill could not be reached or refused the request."""


@dataclass(frozen=True)
class _Pending:
    """A dialog step Alexa is waiting on: a slot to elicit or an intent or slot to confirm."""

    kind: str  # "elicit", "confirm" or "confirm-slot"
    intent: dict[str, Any]
    slot: str | None = None
    completes: bool = False  # a confirmation Alexa asked for itself, after Dialog.Delegate


class Conversation:
    """Turns typed lines into Alexa requests, sends them, and writes what comes back."""

    def __init__(self, send: Send, write: Write, model: InteractionModel, *,
                 device: Device | None = None, simulate_playback: bool = True,
                 show_json: bool = False) -> None:
        self.send = send
        self.write = write
        self.model = model
        self.device = device or Device()
        self.simulate_playback = simulate_playback
        self.show_json = show_json
        self.pending: _Pending | None = None

    def handle(self, line: str) -> bool:
        """Handles one typed line, a /command or speech; False when the person quits."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if text.startswith("/"):
            return self._command(text)
        self.say(text)
        return True

    def say(self, text: str) -> None:
        """Sends what Alexa would make of one spoken utterance."""
        pending, self.pending = self.pending, None
        resolution = resolve(text, self.model)
        if pending is not None and self.device.session is not None:
            step = self._dialog_answer(pending, text, resolution)
            if step is not None:
                self._exchange(step[0], step[1])
                return
        if resolution.request_type == "SessionEndedRequest":
            if self.device.session is None:
                self.write(NOTE, "(no session is open)")
                return
            self._exchange({"type": "SessionEndedRequest", "reason": "USER_INITIATED"},
                           "→ SessionEndedRequest USER_INITIATED")
            return
        if resolution.one_shot:
            self.device.end_session()
        opens = self.device.session is None
        request: dict[str, Any] = {"type": resolution.request_type}
        if resolution.request_type == "IntentRequest":
            request["intent"] = intent_json(resolution, self.device.skill_id)
            spec = self.model.intents.get(resolution.intent or "")
            if spec is not None and spec.has_dialog:
                request["dialogState"] = "STARTED"
        self._exchange(request, describe_resolution(resolution, new_session=opens))

    def _dialog_answer(self, pending: _Pending, text: str, resolution: Resolution,
                       ) -> tuple[dict[str, Any], str] | None:
        """The request answering a pending dialog step, or None when the person moved on."""
        intent = copy.deepcopy(pending.intent)
        name = intent.get("name")
        if pending.kind in {"confirm", "confirm-slot"}:
            answer = {"AMAZON.YesIntent": "CONFIRMED", "AMAZON.NoIntent": "DENIED"}.get(
                resolution.intent or "")
            if answer is None:
                return None
            if pending.kind == "confirm":
                intent["confirmationStatus"] = answer
            elif pending.slot in intent.get("slots", {}):
                intent["slots"][pending.slot]["confirmationStatus"] = answer
            state = "COMPLETED" if pending.completes else "IN_PROGRESS"
            return self._dialog_request(intent, state), f"→ IntentRequest {name} {answer}"
        # An exact match for another intent ("help", "nothing today") wins over slot filling.
        if resolution.intent not in {None, FALLBACK} and resolution.free_chars == 0:
            return None
        fill = resolve_slot(text, self.model, str(name), str(pending.slot))
        if fill is None:
            return None
        intent.setdefault("slots", {})[fill.name] = slot_json(fill, self.device.skill_id)
        return (self._dialog_request(intent, "IN_PROGRESS"),
                f"→ IntentRequest {name} {fill.name}={fill.value!r} (dialog)")

    def _dialog_request(self, intent: dict[str, Any], state: str) -> dict[str, Any]:
        return {"type": "IntentRequest", "intent": intent, "dialogState": state}

    def _follow_dialog(self, directive: dict[str, Any], request: dict[str, Any],
                       depth: int) -> None:
        """Does what Alexa does after a Dialog.* directive."""
        intent = directive.get("updatedIntent") or request.get("intent")
        if not isinstance(intent, dict):
            return
        kind = directive.get("type")
        if kind == "Dialog.ElicitSlot":
            self.pending = _Pending("elicit", intent, directive.get("slotToElicit"))
        elif kind == "Dialog.ConfirmIntent":
            self.pending = _Pending("confirm", intent)
        elif kind == "Dialog.ConfirmSlot":
            self.pending = _Pending("confirm-slot", intent, directive.get("slotToConfirm"))
        elif kind == "Dialog.Delegate":
            spec = self.model.intents.get(str(intent.get("name")))
            unconfirmed = intent.get("confirmationStatus", "NONE") == "NONE"
            if spec is not None and spec.confirmation_prompt and unconfirmed:
                self.write(SPEECH, f"Alexa: {spec.confirmation_prompt}")
                self.pending = _Pending("confirm", intent, completes=True)
            elif depth < MAX_FOLLOW_UPS:
                self._exchange(self._dialog_request(intent, "COMPLETED"),
                               f"→ IntentRequest {intent.get('name')} (dialog completed)",
                               depth=depth + 1)

    def _exchange(self, request: dict[str, Any], description: str, *, in_session: bool = True,
                  depth: int = 0) -> None:
        """Sends one request, writes the answer, and follows the session and directives."""
        body = self.device.envelope(request, in_session=in_session)
        self.write(DEVICE if not in_session else REQUEST, description)
        if self.show_json:
            self.write(JSON, as_json("request:", body))
        try:
            answer = self.send(body)
        except TransportError as error:
            self.write(ERROR, f"(error) {error}")
            return
        if self.show_json:
            self.write(JSON, as_json("response:", answer))
        for kind, text in describe_answer(answer):
            self.write(kind, text)
        response = answer.get("response") or {}
        directives = [d for d in response.get("directives") or [] if isinstance(d, dict)]
        dialog = [d for d in directives if str(d.get("type", "")).startswith("Dialog.")]
        if in_session:
            ends = response.get("shouldEndSession")
            keep_open = request["type"] != "SessionEndedRequest" and (
                ends is False or (ends is None and bool(dialog)))
            self.device.remember(body, answer, keep_open=keep_open)
            if not keep_open:
                self.write(ENDED, "(session ended)")
            elif dialog:
                self._follow_dialog(dialog[-1], request, depth)
        self._follow_player(directives, depth)

    def _follow_player(self, directives: list[dict[str, Any]], depth: int) -> None:
        """Does what the device's player does with AudioPlayer directives."""
        player = self.device.player
        for directive in directives:
            kind = directive.get("type")
            if kind == "AudioPlayer.Play":
                stream_json = (directive.get("audioItem") or {}).get("stream") or {}
                stream = Stream(str(stream_json.get("token")), str(stream_json.get("url")),
                                int(stream_json.get("offsetInMilliseconds") or 0))
                behavior = directive.get("playBehavior", "REPLACE_ALL")
                if behavior == "REPLACE_ALL":
                    player.queue.clear()
                    if player.activity == "PLAYING":  # devices report the one it cut off
                        player.halt("STOPPED")
                        self._device_event("PlaybackStopped", depth, automatic=True)
                if behavior == "REPLACE_ALL" or player.activity != "PLAYING":
                    self._start(stream, depth)
                elif behavior == "ENQUEUE":
                    player.queue.append(stream)
                else:  # REPLACE_ENQUEUED
                    player.queue[:] = [stream]
            elif kind == "AudioPlayer.Stop" or (
                kind == "AudioPlayer.ClearQueue" and directive.get("clearBehavior") == "CLEAR_ALL"
            ):
                player.queue.clear()
                if player.activity == "PLAYING":
                    player.halt("STOPPED")
                    self._device_event("PlaybackStopped", depth, automatic=True)
            elif kind == "AudioPlayer.ClearQueue":
                player.queue.clear()

    def _start(self, stream: Stream, depth: int) -> None:
        self.device.player.play(stream)
        self._device_event("PlaybackStarted", depth, automatic=True)

    def _device_event(self, kind: str, depth: int, *, automatic: bool = False) -> None:
        """Sends an AudioPlayer event outside the session, as devices do."""
        if automatic and (not self.simulate_playback or depth >= MAX_FOLLOW_UPS):
            return
        player = self.device.player
        request = {"type": f"AudioPlayer.{kind}", "token": player.token,
                   "offsetInMilliseconds": player.position()}
        self._exchange(request, f"(device) AudioPlayer.{kind} token={player.token} "
                                f"offset={request['offsetInMilliseconds']}",
                       in_session=False, depth=depth + 1)

    def _command(self, text: str) -> bool:
        """Runs a /command; False for /quit."""
        command, _, argument = text.partition(" ")
        player = self.device.player
        if command in {"/quit", "/exit", "/q"}:
            return False
        if command == "/new":
            self.device.end_session()
            self.pending = None
            self.write(NOTE, "(session forgotten: what you say next opens a new one)")
        elif command == "/json":
            self.show_json = not self.show_json
            self.write(NOTE, f"(JSON display {'on' if self.show_json else 'off'})")
        elif command in {"/finish", "/stopped", "/nearly"} and player.token is None:
            self.write(NOTE, "(device) nothing is playing")
        elif command == "/finish":
            player.halt("FINISHED")
            self._device_event("PlaybackFinished", 0)
            if player.queue:
                self._start(player.queue.pop(0), 0)
        elif command == "/stopped":
            if not argument.strip().isdigit():
                self.write(ERROR, "(error) usage: /stopped MILLISECONDS, e.g. /stopped 42000")
                return True
            player.halt("STOPPED", int(argument))
            self._device_event("PlaybackStopped", 0)
        elif command == "/nearly":
            self._device_event("PlaybackNearlyFinished", 0)
        elif command == "/help":
            for name, meaning in COMMANDS:
                self.write(NOTE, f"  {name:<12} {meaning}")
        else:
            self.write(ERROR, f"(error) unknown command {command}; /help lists them")
        return True
