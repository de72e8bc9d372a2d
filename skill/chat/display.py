"""Turns requests and answers into the lines a person reads in the terminal."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from skill.chat.language import Resolution

# What each line is, so a terminal can style it; tests read the text alone.
Write = Callable[[str, str], None]
USER, REQUEST, SPEECH, REPROMPT, CARD, DIRECTIVE = (
    "user", "request", "speech", "reprompt", "card", "directive")
DEVICE, ENDED, NOTE, JSON, ERROR = "device", "ended", "note", "json", "error"

_BREAK = re.compile(r"<break\b[^>]*/?>", re.IGNORECASE)
_AUDIO = re.compile(r"<audio\b[^>]*/?>(?:\s*</audio>)?", re.IGNORECASE)
_SUB = re.compile(r"<sub\b[^>]*\balias=\"([^\"]*)\"[^>]*>.*?</sub>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def plain_speech(output: dict[str, Any] | None) -> str:
    """What Alexa would say for an outputSpeech block, as plain text; breaks shown as "…"."""
    if not output:
        return ""
    if output.get("type") == "PlainText" or "ssml" not in output:
        return " ".join(str(output.get("text", "")).split())
    text = str(output["ssml"])
    text = _BREAK.sub(" … ", text)
    text = _AUDIO.sub(" ♪ ", text)
    text = _SUB.sub(r"\1", text)
    text = html.unescape(_TAG.sub("", text))
    return " ".join(text.split())


def describe_resolution(resolution: Resolution, *, new_session: bool = False) -> str:
    """The request about to be sent, in one line: type, intent and slot values."""
    parts = [f"→ {resolution.request_type}"]
    if resolution.intent:
        parts.append(resolution.intent)
    for fill in resolution.slots:
        if fill.value is None:
            continue
        note = ""
        if fill.status == "ER_SUCCESS_MATCH" and fill.entity is not None:
            note = f" ({fill.entity.id})"
        elif fill.status == "ER_SUCCESS_NO_MATCH":
            note = " (no match)"
        parts.append(f"{fill.name}={fill.value!r}{note}")
    if new_session or resolution.one_shot:
        parts.append("[new session]")
    if resolution.sample:
        parts.append(f'(from "{resolution.sample}")')
    return " ".join(parts)


def describe_answer(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """What the person should see of an answer: speech, reprompt, card and directives."""
    response = answer.get("response") or {}
    lines: list[tuple[str, str]] = []
    if said := plain_speech(response.get("outputSpeech")):
        lines.append((SPEECH, f"Alexa: {said}"))
    if reprompt := plain_speech((response.get("reprompt") or {}).get("outputSpeech")):
        lines.append((REPROMPT, f"  (reprompt) {reprompt}"))
    if card := response.get("card"):
        body = card.get("content") or card.get("text") or ""
        lines.append((CARD, f"  [card] {card.get('title', '')}: {' '.join(str(body).split())}"))
    lines.extend((DIRECTIVE, f"  [directive] {describe_directive(d)}")
                 for d in response.get("directives") or [])
    return lines


def describe_directive(directive: dict[str, Any]) -> str:
    """A directive in one line: its type and the fields that matter for it."""
    kind = str(directive.get("type", "?"))
    fields: list[str] = []
    if kind == "AudioPlayer.Play":
        stream = (directive.get("audioItem") or {}).get("stream") or {}
        fields = [
            str(directive.get("playBehavior", "")),
            f"token={stream.get('token')}",
            f"offset={stream.get('offsetInMilliseconds', 0)}",
            f"url={stream.get('url')}",
        ]
        if stream.get("expectedPreviousToken"):
            fields.append(f"after={stream['expectedPreviousToken']}")
    elif kind == "AudioPlayer.ClearQueue":
        fields = [str(directive.get("clearBehavior", ""))]
    elif kind.startswith("Dialog."):
        slot = directive.get("slotToElicit") or directive.get("slotToConfirm")
        intent = (directive.get("updatedIntent") or {}).get("name")
        fields = [f"slot={slot}" if slot else "", f"intent={intent}" if intent else ""]
    return " ".join([kind, *(field for field in fields if field)])


def as_json(label: str, body: dict[str, Any]) -> str:
    """A labelled, indented JSON dump."""
    return f"{label}\n{json.dumps(body, indent=2, ensure_ascii=False)}"
