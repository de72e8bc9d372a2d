"""Turns a raw request body into ask-sdk-core's RequestEnvelope, defensively.

Alexa's JSON grows over time: new request types, new enum values, new fields. The SDK's
serializer refuses an unknown enum value or discriminator outright, so we walk the SDK's own
type metadata (each model's `deserialized_types`, `attribute_map` and discriminator map) and
drop only the values it could not read. The same walk builds the SDK's model objects the way
its DefaultSerializer.deserialize does (tests/test_envelope.py checks they come out equal): a
separate clean-then-deserialize pass re-encoded and re-parsed the JSON and walked it twice,
which cost about a quarter of a whole request. A body that Alexa would never send (not JSON,
too big, no request) is refused instead, and junk nested deeper than any real envelope is cut
off before parsing, so that neither `json` nor the walk can run out of stack on it.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from importlib import import_module
from typing import Any

from ask_sdk_model import RequestEnvelope
from ask_sdk_model.request import Request

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_ID_CHARS = 1024
_LIST = re.compile(r"^list\[(.*)\]$")
_DICT = re.compile(r"^dict\(([^,]*), (.*)\)$")
_PRIMITIVES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
_MAX_DEPTH = 40
# Real envelopes nest about a dozen levels; anything deeper than this is junk and becomes null.
MAX_NESTING = 64
_JSON_TOKEN = re.compile(
    r'(?P<string>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<open>[\[{])|(?P<close>[\]}])', re.DOTALL
)


class EnvelopeError(ValueError):
    """The body is not something Alexa would send; answered with 400."""


@dataclass(frozen=True)
class Envelope:
    """A decoded request: the raw JSON (for verification and events) and the SDK model.

    `model` is None when the request type is one this SDK version does not know.
    """

    raw: dict[str, Any]
    model: RequestEnvelope | None

    @property
    def request_type(self) -> str:
        """The request's type string, as sent."""
        return str(self.raw["request"]["type"])


def decode(body: bytes) -> dict[str, Any]:
    """Parses and shape-checks the body; raises EnvelopeError for what Alexa never sends."""
    if len(body) > MAX_BODY_BYTES:
        raise EnvelopeError("body too large")
    try:
        raw = json.loads(prune_nesting(body.decode("utf-8-sig"), MAX_NESTING))
    except UnicodeDecodeError:
        raise EnvelopeError("body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise EnvelopeError("body is not JSON") from None
    if not isinstance(raw, dict):
        raise EnvelopeError("body is not a JSON object")
    request = raw.get("request")
    if not isinstance(request, dict):
        raise EnvelopeError("missing request")
    if not isinstance(request.get("type"), str) or not request["type"]:
        raise EnvelopeError("missing request type")
    system = raw.get("context", {}).get("System") if isinstance(raw.get("context"), dict) else None
    if not isinstance(system, dict):
        raise EnvelopeError("missing context.System")
    application = system.get("application")
    user = system.get("user")
    if not isinstance(application, dict) or not isinstance(application.get("applicationId"), str):
        raise EnvelopeError("missing application id")
    if not isinstance(user, dict) or not isinstance(user.get("userId"), str) or not user["userId"]:
        raise EnvelopeError("missing user id")
    if not _is_id(user["userId"]) or not _is_id(application["applicationId"]):
        raise EnvelopeError("malformed id")
    return raw


def prune_nesting(text: str, limit: int) -> str:
    """Replaces every JSON array or object nested deeper than `limit` with null.

    Works on the text, iteratively, so that it cannot itself recurse; brackets inside
    strings are skipped. Text that is not balanced JSON is returned unchanged for the
    parser to refuse.
    """
    if text.count("[") + text.count("{") <= limit:
        return text
    pieces: list[str] = []
    depth = 0
    kept_from = 0
    for token in _JSON_TOKEN.finditer(text):
        if token.lastgroup == "open":
            depth += 1
            if depth == limit + 1:
                pieces += (text[kept_from : token.start()], "null")
        elif token.lastgroup == "close":
            if depth == limit + 1:
                kept_from = token.end()
            depth -= 1
            if depth < 0:
                return text
    if depth != 0:
        return text
    pieces.append(text[kept_from:])
    return "".join(pieces)


def _is_id(value: str) -> bool:
    """Alexa's ids are short printable UTF-8; a lone surrogate or a megabyte is not one."""
    if len(value) > MAX_ID_CHARS or not value.isprintable():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def to_model(raw: dict[str, Any]) -> Envelope:
    """Builds the SDK model, leaving out values the SDK cannot read."""
    if Request.discriminator_value_class_map.get(raw["request"]["type"]) is None:
        return Envelope(raw=raw, model=None)
    model = _clean(raw, "ask_sdk_model.request_envelope.RequestEnvelope", "$", 0)
    if not isinstance(model, RequestEnvelope):
        raise EnvelopeError("request could not be read")
    return Envelope(raw=raw, model=model)


@cache
def _load(class_path: str) -> Any:
    module_name, _, class_name = class_path.rpartition(".")
    return getattr(import_module(module_name), class_name)


@cache
def _enum_values(cls: type[Enum]) -> frozenset[Any]:
    """The values an SDK enum accepts."""
    return frozenset(member.value for member in cls)


_DROP = object()


@cache
def _fields(cls: type) -> dict[str, tuple[str, str]]:
    """A model's JSON keys, each with its attribute name and SDK type name."""
    attribute_map: dict[str, str] = getattr(cls, "attribute_map", {})
    types: dict[str, str] = getattr(cls, "deserialized_types", {})
    return {attribute_map.get(name, name): (name, type_) for name, type_ in types.items()}


def _clean(value: Any, type_name: str, path: str, depth: int) -> Any:
    """Returns value as the SDK deserializes it for type_name, or _DROP when it could not."""
    if value is None:
        return None
    if depth > _MAX_DEPTH:
        return _DROP
    if type_name.startswith(("list[", "dict(")):
        return _clean_container(value, type_name, path, depth)
    if type_name in _PRIMITIVES:
        return _primitive(value, _PRIMITIVES[type_name])
    if type_name == "object":
        return copy.deepcopy(value)  # handlers may change it (session attributes); raw stays
    if type_name in {"datetime", "date"}:
        return _datetime(value, type_name)
    try:
        cls = _load(type_name)
    except (ImportError, AttributeError, ValueError):
        return _DROP
    if isinstance(cls, type) and issubclass(cls, Enum):
        if isinstance(value, str) and value in _enum_values(cls):
            return cls(value)
        log.info("unknown %s value at %.120r dropped", cls.__name__, path)
        return _DROP
    if not hasattr(cls, "deserialized_types"):
        return value
    return _clean_model(value, cls, path, depth)


def _clean_container(value: Any, type_name: str, path: str, depth: int) -> Any:
    """Cleans every element of a list[...] or dict(str, ...) value."""
    if (match := _LIST.match(type_name)) is not None:
        if not isinstance(value, list):
            return _DROP
        items = (_clean(item, match.group(1).strip(), f"{path}[]", depth + 1) for item in value)
        return [item for item in items if item is not _DROP]
    if (match := _DICT.match(type_name)) is not None and isinstance(value, dict):
        cleaned = {
            str(key): _clean(item, match.group(2).strip(), f"{path}.{key}", depth + 1)
            for key, item in value.items()
        }
        return {key: item for key, item in cleaned.items() if item is not _DROP}
    return _DROP


def _clean_model(value: Any, cls: Any, path: str, depth: int) -> Any:
    """Builds an SDK model from its known fields, resolving its subtype by discriminator first."""
    if not isinstance(value, dict):
        return _DROP
    if hasattr(cls, "get_real_child_model"):
        key = getattr(cls, "json_discriminator_key", "type")
        kind = value.get(key)
        child = cls.discriminator_value_class_map.get(kind) if isinstance(kind, str) else None
        if child is None:
            log.info("unknown %s type at %.120r dropped", cls.__name__, path)
            return _DROP
        cls = _load(child)
    fields = _fields(cls)
    model = cls()
    # Fields this SDK version does not know are left out: handlers never read them,
    # and the SDK would otherwise set them as arbitrary attributes on its models.
    for key, item in value.items():
        if key in fields:
            name, type_name = fields[key]
            built = _clean(item, type_name, f"{path}.{key}", depth + 1)
            if built is not _DROP:
                setattr(model, name, built)
    return model


def _primitive(value: Any, kind: type) -> Any:
    if kind is bool:
        return value if isinstance(value, bool) else _DROP
    if kind is str:
        return value if isinstance(value, str) else _DROP
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return _DROP
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return _DROP


def _datetime(value: Any, type_name: str) -> Any:
    """An ISO 8601 time (the same instant the SDK's dateutil parse gives); _DROP otherwise."""
    if not isinstance(value, str):
        return _DROP
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return _DROP
    return parsed.date() if type_name == "date" else parsed
