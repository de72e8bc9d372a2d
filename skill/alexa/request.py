"""Typed accessors over the request envelope, so handlers never dig through SDK objects."""

from __future__ import annotations

from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentRequest, Slot
from ask_sdk_model.dialog_state import DialogState
from ask_sdk_model.intent_confirmation_status import IntentConfirmationStatus
from ask_sdk_model.interfaces.system.system_state import SystemState


def request_type(handler_input: HandlerInput) -> str:
    """The request's type, e.g. 'IntentRequest' or 'AudioPlayer.PlaybackStopped'."""
    return str(getattr(handler_input.request_envelope.request, "object_type", ""))


def _system(handler_input: HandlerInput) -> SystemState:
    """context.System, which envelope.decode guarantees before any handler runs."""
    context = handler_input.request_envelope.context
    system = getattr(context, "system", None)
    assert isinstance(system, SystemState)
    return system


def intent(handler_input: HandlerInput) -> Intent | None:
    """The intent of an IntentRequest, None otherwise."""
    request = handler_input.request_envelope.request
    if isinstance(request, IntentRequest) and isinstance(request.intent, Intent):
        return request.intent
    return None


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name for an IntentRequest, None otherwise."""
    request = handler_input.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent is not None:
        return str(request.intent.name)
    return None


def user_id(handler_input: HandlerInput) -> str:
    """Alexa's userId (hash it before it goes anywhere)."""
    return str(getattr(_system(handler_input).user, "user_id", ""))


def locale(handler_input: HandlerInput) -> str | None:
    """The request's locale, e.g. 'en-GB'."""
    value = getattr(handler_input.request_envelope.request, "locale", None)
    return str(value) if value else None


def slot_value(handler_input: HandlerInput, name: str) -> str | None:
    """The spoken value of a slot, stripped; None when absent or blank."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return None
    slots: dict[str, Slot] = request.intent.slots or {}
    slot = slots.get(name)
    if slot is None or slot.value is None:
        return None
    value = str(slot.value).strip()
    return value or None


def slot_id(handler_input: HandlerInput, name: str) -> str | None:
    """The canonical id a slot value resolved to through entity resolution, if any."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return None
    slot = (request.intent.slots or {}).get(name)
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        status = getattr(getattr(authority, "status", None), "code", None)
        if getattr(status, "value", None) == "ER_SUCCESS_MATCH" and authority.values:
            return str(authority.values[0].value.id)
    return None


def confirmation(handler_input: HandlerInput) -> str:
    """The intent's confirmation status: NONE, CONFIRMED or DENIED."""
    request = handler_input.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent is not None:
        status = request.intent.confirmation_status
        if isinstance(status, IntentConfirmationStatus):
            return str(status.value)
    return "NONE"


def dialog_state(handler_input: HandlerInput) -> str | None:
    """The dialog state of an IntentRequest (STARTED, IN_PROGRESS, COMPLETED)."""
    request = handler_input.request_envelope.request
    state = getattr(request, "dialog_state", None)
    return str(state.value) if isinstance(state, DialogState) else None


def session_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """The session's attributes (empty outside a session)."""
    if handler_input.request_envelope.session is None:
        return {}
    attributes = handler_input.attributes_manager.session_attributes
    return attributes if attributes is not None else {}


def is_new_session(handler_input: HandlerInput) -> bool:
    """Whether this request opened the session."""
    session = handler_input.request_envelope.session
    return bool(session is not None and session.new)


def supports_audio_player(handler_input: HandlerInput) -> bool:
    """Whether the device declares the AudioPlayer interface."""
    device = _system(handler_input).device
    interfaces = getattr(device, "supported_interfaces", None)
    return getattr(interfaces, "audio_player", None) is not None


def device_id(handler_input: HandlerInput) -> str | None:
    """The device id, for the Settings API (never logged)."""
    device = _system(handler_input).device
    value = getattr(device, "device_id", None)
    return str(value) if value else None


def api_access(handler_input: HandlerInput) -> tuple[str, str] | None:
    """The Alexa API endpoint and access token of this request, when present."""
    system = _system(handler_input)
    endpoint = getattr(system, "api_endpoint", None)
    token = getattr(system, "api_access_token", None)
    if endpoint and token:
        return str(endpoint), str(token)
    return None


def audio_token(handler_input: HandlerInput) -> str | None:
    """The AudioPlayer token of an AudioPlayer request, or of the context otherwise."""
    token = getattr(handler_input.request_envelope.request, "token", None)
    if token:
        return str(token)
    player = getattr(handler_input.request_envelope.context, "audio_player", None)
    value = getattr(player, "token", None)
    return str(value) if value else None


def audio_offset_ms(handler_input: HandlerInput) -> int:
    """The AudioPlayer offset in milliseconds of this request or of the context."""
    offset = getattr(handler_input.request_envelope.request, "offset_in_milliseconds", None)
    if offset is None:
        player = getattr(handler_input.request_envelope.context, "audio_player", None)
        offset = getattr(player, "offset_in_milliseconds", None)
    try:
        return max(0, int(offset or 0))
    except (TypeError, ValueError):
        return 0
