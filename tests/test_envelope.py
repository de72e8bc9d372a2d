"""Defensive parsing of request bodies, through POST /alexa with verification off.

What Alexa would never send is a 400 with a short JSON reason; what a newer Alexa might send
(new request types, enum values, fields, odd types, deep junk) is answered as well as this
version can, and never with a 500. These tests run on one SQLite database.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, SessionEndedRequest
from ask_sdk_model.interfaces.audioplayer import PlaybackStoppedRequest
from werkzeug.test import TestResponse

from skill.alexa.envelope import (
    MAX_BODY_BYTES,
    MAX_NESTING,
    EnvelopeError,
    decode,
    prune_nesting,
    to_model,
)
from skill.store.db import Database
from tests.support.alexa import USER_ID, AlexaActions, directives, speech
from tests.support.clock import FrozenClock

HELP_WORDS = "I noticed"  # the help text's example, as in tests/test_session.py
WELCOME = "Welcome to Glimmers"


@pytest.fixture
def alexa(make_app: Any, sqlite_db: Database, clock: FrozenClock,
          caplog: pytest.LogCaptureFixture) -> AlexaActions:
    """Alexa talking to an app with verification off (overrides conftest's alexa)."""
    caplog.set_level(logging.INFO, logger="skill")
    return AlexaActions(client=make_app(sqlite_db).test_client(), clock=clock)


def nested(depth: int) -> str:
    """JSON text of `depth` lists inside one another."""
    return "[" * depth + "]" * depth


def with_field(body: dict[str, Any], path: tuple[str, ...], raw_json: str) -> bytes:
    """The envelope as bytes with the JSON text raw_json placed at path (which must be new)."""
    marker = "__glimmers_test_marker__"
    target = body
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = marker
    return json.dumps(body).replace(f'"{marker}"', raw_json).encode()


def assert_bad_request(response: TestResponse, reason: str) -> None:
    """400 with exactly this short JSON reason, and no trace of the server's insides."""
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json() == {"error": reason}
    assert b"Traceback" not in response.data


def assert_handled(response: TestResponse, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """200, with no handler having failed on the way; returns the answer."""
    assert response.status_code == 200, response.get_data(as_text=True)
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
    answer: dict[str, Any] = response.get_json()
    return answer


def launch(alexa: AlexaActions) -> dict[str, Any]:
    """A fresh LaunchRequest envelope."""
    return alexa.envelope({"type": "LaunchRequest"}, new=True)


def help_intent(alexa: AlexaActions, **intent: Any) -> dict[str, Any]:
    """An AMAZON.HelpIntent envelope, with extra intent or request fields."""
    extra_request = intent.pop("request", {})
    fields = {"name": "AMAZON.HelpIntent", "confirmationStatus": "NONE"} | intent
    return alexa.envelope({"type": "IntentRequest", "intent": fields} | extra_request, new=True)


# --- what Alexa never sends: 400 --------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason"), [
    (b"this is not json", "body is not JSON"),
    (b"", "body is not JSON"),
    (b'{"request": {"type": "LaunchRequest"', "body is not JSON"),
    (b'{"version": "1.0", "note": "caf\xe9"}', "body is not UTF-8"),
    (b"[]", "body is not a JSON object"),
    (b'[{"request": {"type": "LaunchRequest"}}]', "body is not a JSON object"),
    (b'"LaunchRequest"', "body is not a JSON object"),
    (b"null", "body is not a JSON object"),
])
def test_bodies_that_are_not_envelopes_are_refused(alexa: AlexaActions, body: bytes,
                                                   reason: str) -> None:
    """Non-JSON, invalid UTF-8 and JSON that is not an object get 400 with a reason."""
    assert_bad_request(alexa.post(body), reason)


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES + 1])
def test_body_over_256_kib_is_refused_with_400(alexa: AlexaActions, size: int) -> None:
    """A body over 256 KiB is a 400 (not 413, not 500), whatever its size past the limit."""
    body = json.dumps(launch(alexa)).encode()
    padded = body[:-1] + b', "padding": "' + b"x" * (size - len(body) - 15) + b'"}'
    assert len(padded) == size
    assert_bad_request(alexa.post(padded), "body too large")


@pytest.mark.parametrize("padding", [2 * MAX_BODY_BYTES, 8 * MAX_BODY_BYTES])
def test_large_body_without_a_length_is_refused_with_400(alexa: AlexaActions,
                                                         padding: int) -> None:
    """A chunked body (no Content-Length) over the limit is refused the same way."""
    body = json.dumps(launch(alexa)).encode()
    padded = body[:-1] + b', "padding": "' + b"x" * padding + b'"}'
    response = alexa.client.post(
        "/alexa", input_stream=io.BytesIO(padded), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets for chunked
    )
    assert_bad_request(response, "body too large")


def test_body_just_under_the_limit_is_read(alexa: AlexaActions,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """A body of exactly 256 KiB is still a request (the limit is not off by one)."""
    body = json.dumps(launch(alexa)).encode()
    padded = body[:-1] + b', "padding": "' + b"x" * (MAX_BODY_BYTES - len(body) - 15) + b'"}'
    assert len(padded) == MAX_BODY_BYTES
    assert WELCOME in speech(assert_handled(alexa.post(padded), caplog))


def _drop(body: dict[str, Any], *path: str) -> dict[str, Any]:
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize(("change", "reason"), [
    (lambda b: _drop(b, "request"), "missing request"),
    (lambda b: b | {"request": "LaunchRequest"}, "missing request"),
    (lambda b: _drop(b, "request", "type"), "missing request type"),
    (lambda b: b | {"request": b["request"] | {"type": ""}}, "missing request type"),
    (lambda b: b | {"request": b["request"] | {"type": 7}}, "missing request type"),
    (lambda b: _drop(b, "context"), "missing context.System"),
    (lambda b: _drop(b, "context", "System"), "missing context.System"),
    (lambda b: b | {"context": []}, "missing context.System"),
    (lambda b: _drop(b, "context", "System", "application"), "missing application id"),
    (lambda b: _drop(b, "context", "System", "application", "applicationId"),
     "missing application id"),
    (lambda b: _drop(b, "context", "System", "user"), "missing user id"),
    (lambda b: _drop(b, "context", "System", "user", "userId"), "missing user id"),
    (lambda b: b["context"]["System"]["user"].update(userId="") or b, "missing user id"),
    (lambda b: b["context"]["System"]["user"].update(userId=42) or b, "missing user id"),
])
def test_envelope_without_its_essentials_is_refused(alexa: AlexaActions, change: Any,
                                                    reason: str) -> None:
    """A request without type, context.System, application id or user id gets 400."""
    assert_bad_request(alexa.post(change(launch(alexa))), reason)


def test_refusal_logs_no_user_data(alexa: AlexaActions, caplog: pytest.LogCaptureFixture) -> None:
    """A refused envelope is logged by its reason only, never with the ids it carried."""
    caplog.set_level(logging.DEBUG, logger="skill")
    body = _drop(launch(alexa), "request", "type")
    assert_bad_request(alexa.post(body), "missing request type")
    assert "missing request type" in caplog.text
    assert USER_ID not in caplog.text
    assert "amzn1.echo-api.request." not in caplog.text


# --- request types this version does not know: 200 --------------------------------------------


def test_unknown_plain_request_type_gets_a_polite_answer(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture
) -> None:
    """A well-formed request of a type no SDK knows yet gets a short generic answer."""
    answer = assert_handled(alexa.post(alexa.envelope({"type": "SomeNewRequest"})), caplog)
    assert speech(answer) == "I'm not able to help with that yet."
    assert answer["response"]["shouldEndSession"] is True


@pytest.mark.parametrize("kind", [
    "Alexa.Presentation.APL.UserEvent", "Foo.Bar", "Messaging.MessageReceived",
])
def test_unknown_namespaced_request_type_is_answered_empty(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """Interface and system requests nobody handles are answered with an empty response."""
    body = alexa.envelope({"type": kind, "arguments": ["x"], "token": "t"}, in_session=False)
    answer = assert_handled(alexa.post(body), caplog)
    assert answer["response"] == {}


# --- what a newer Alexa might send: handled as the known request ------------------------------


def test_unknown_session_ended_reason_is_still_a_session_end(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture
) -> None:
    """SessionEndedRequest with reason NEW_REASON is answered silently, as any session end."""
    body = alexa.envelope({"type": "SessionEndedRequest", "reason": "NEW_REASON",
                           "error": {"type": "NEW_ERROR_TYPE", "message": "x"}})
    answer = assert_handled(alexa.post(body), caplog)
    assert "outputSpeech" not in answer["response"]
    assert any("session ended" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("intent", [
    {"confirmationStatus": "MAYBE"},
    {"confirmationStatus": ["CONFIRMED"]},
    {"request": {"dialogState": "WHATEVER"}},
    {"request": {"dialogState": {"state": "STARTED"}}},
    {"slots": {"Thing": {"name": "Thing", "value": "tea", "confirmationStatus": "PERHAPS",
                         "resolutions": {"resolutionsPerAuthority": [{
                             "authority": "amzn1.er-authority.echo-sdk.x.THING",
                             "status": {"code": "ER_SUCCESS_SOMEDAY"},
                             "values": [{"value": {"name": "tea", "id": "TEA"}}]}]}}}},
    {"slots": {"Thing": {"name": "Thing", "slotValue": {"type": "Hologram", "value": "x"}}}},
    {"slots": ["not", "a", "map"]},
])
def test_unknown_intent_values_still_reach_the_intent(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture, intent: dict[str, Any]
) -> None:
    """Future confirmation, dialog-state, slot and resolution values leave help as help."""
    answer = assert_handled(alexa.post(help_intent(alexa, **intent)), caplog)
    assert HELP_WORDS in speech(answer)


@pytest.mark.parametrize(("path", "value"), [
    (("context", "Viewport"),
     '{"shape": "TRIANGLE", "mode": "HOLOGRAM", "experiences": [{"arcMinuteWidth": "wide"}],'
     ' "video": {"codecs": ["H266"]}, "touch": ["LICK"], "keyboard": ["THOUGHT"]}'),
    (("context", "Viewports"), '[{"type": "HOLOGRAPHIC"}, {"type": ["APL"]}, 7]'),
    (("context", "System", "device", "supportedInterfaces", "Teleport"), '{"version": "9"}'),
    (("context", "System", "unitsOfMeasure"), '"FURLONGS"'),
    (("session", "new"), '"yes"'),
    (("request", "locale"), "42"),
    (("request", "timestamp"), '"half past three"'),
    (("future", "field"), '{"a": [1, 2, {"b": null}]}'),
    (("request", "someNewField"), '"hello"'),
    (("context", "System", "person"), '{"personId": 12, "authenticationConfidenceLevel": 3}'),
])
def test_unknown_values_and_wrong_types_leave_launch_a_launch(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture, path: tuple[str, ...], value: str
) -> None:
    """Unknown enum values, wrong primitive types and extra fields still get the welcome."""
    body = launch(alexa)
    if path[-1] in ("new", "locale", "timestamp"):
        del body[path[0]][path[1]]
    answer = assert_handled(alexa.post(with_field(body, path, value)), caplog)
    assert WELCOME in speech(answer)


@pytest.mark.parametrize("offset", ['"abc"', "true", "1e999", "[42]", '"42"'])
def test_wrong_offset_type_is_still_a_playback_event(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture, offset: str
) -> None:
    """AudioPlayer.PlaybackStopped with an unreadable offset is answered, silently."""
    body = alexa.envelope({"type": "AudioPlayer.PlaybackStopped", "token": "t"},
                          in_session=False)
    answer = assert_handled(alexa.post(with_field(body, ("request", "offsetInMilliseconds"),
                                                  offset)), caplog)
    assert "outputSpeech" not in answer["response"]
    assert not [d for d in directives(answer) if d.get("type") == "AudioPlayer.Play"]


@pytest.mark.parametrize("path", [
    ("junk",),
    ("request", "junk"),
    ("context", "System", "junk"),
    ("session", "attributes", "junk"),
])
def test_deeply_nested_junk_is_not_a_recursion_error(
    alexa: AlexaActions, caplog: pytest.LogCaptureFixture, path: tuple[str, ...]
) -> None:
    """Lists nested 1000 deep, anywhere, leave a LaunchRequest a LaunchRequest."""
    answer = assert_handled(alexa.post(with_field(launch(alexa), path, nested(1000))), caplog)
    assert WELCOME in speech(answer)


def test_deep_but_plausible_nesting_survives(alexa: AlexaActions,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Session attributes nested right up to the limit come back to Alexa unchanged."""
    depth = MAX_NESTING - 3  # the envelope, session and attributes are three levels
    body = with_field(help_intent(alexa), ("session", "attributes", "deep"), nested(depth))
    answer = assert_handled(alexa.post(body), caplog)
    assert HELP_WORDS in speech(answer)
    assert answer["sessionAttributes"]["deep"] == json.loads(nested(depth))


# --- the functions themselves -----------------------------------------------------------------


def test_decode_returns_the_envelope_as_sent(alexa: AlexaActions) -> None:
    """A good body decodes to exactly the JSON that was sent, extra fields included."""
    body = launch(alexa) | {"extra": {"kept": True}}
    assert decode(json.dumps(body).encode()) == body


@pytest.mark.parametrize(("body", "reason"), [
    (b"\xff\xfe{}", "body is not UTF-8"),
    (b"{} {}", "body is not JSON"),
    (b"x" * (MAX_BODY_BYTES + 1), "body too large"),
    (b'{"request": {}}', "missing request type"),
    (b'{"request": {"type": "LaunchRequest"}, "context": {"System": {}}}',
     "missing application id"),
])
def test_decode_refuses_with_a_reason(body: bytes, reason: str) -> None:
    """decode raises EnvelopeError whose message is the reason answered to the caller."""
    with pytest.raises(EnvelopeError, match=f"^{reason}$"):
        decode(body)


def test_prune_nesting_cuts_only_what_is_too_deep() -> None:
    """Arrays and objects past the limit become null; shallower ones and strings are kept."""
    text = '{"a": [[["deep", {"b": 1}]]], "s": "[[[[{{{{", "c": [1]}'
    assert json.loads(prune_nesting(text, 2)) == {"a": [None], "s": "[[[[{{{{", "c": [1]}
    assert json.loads(prune_nesting(text, 3)) == {"a": [[None]], "s": "[[[[{{{{", "c": [1]}
    assert prune_nesting(text, 5) == text


def test_prune_nesting_handles_escaped_quotes_and_leaves_broken_text_alone() -> None:
    """An escaped quote does not end a string; unbalanced text is left for the parser."""
    text = '{"s": "a \\" [[[[", "d": [[[]]]}'
    assert json.loads(prune_nesting(text, 2)) == {"s": 'a " [[[[', "d": [None]}
    assert prune_nesting("[[[[[", 2) == "[[[[["
    assert prune_nesting("[]]]]][[[[", 2) == "[]]]]][[[["


def test_prune_nesting_keeps_a_deep_body_within_the_recursion_limit() -> None:
    """100,000 nested lists are cut to MAX_NESTING, so json.loads cannot overflow."""
    value = json.loads(prune_nesting(nested(100_000), MAX_NESTING))
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    assert (depth, value) == (MAX_NESTING, None)


def test_to_model_drops_only_what_the_sdk_cannot_read(alexa: AlexaActions) -> None:
    """An unknown enum value and an unreadable number become None; good values survive."""
    body = alexa.envelope({"type": "SessionEndedRequest", "reason": "NEW_REASON"})
    model = to_model(decode(json.dumps(body).encode())).model
    assert model is not None and isinstance(model.request, SessionEndedRequest)
    assert model.request.reason is None
    assert model.request.locale == "en-US"
    system = model.context.system if model.context else None
    assert system is not None and system.user is not None
    assert system.user.user_id == USER_ID
    for offset, expected in (("42", 42), ("abc", None), (True, None), (1234, 1234)):
        player = alexa.envelope({"type": "AudioPlayer.PlaybackStopped",
                                 "offsetInMilliseconds": offset}, in_session=False)
        model = to_model(decode(json.dumps(player).encode())).model
        assert model is not None and isinstance(model.request, PlaybackStoppedRequest)
        assert model.request.offset_in_milliseconds == expected


def test_to_model_leaves_unknown_types_to_the_caller(alexa: AlexaActions) -> None:
    """A request type the SDK does not know yields no model, and keeps the raw request."""
    raw = decode(json.dumps(alexa.envelope({"type": "SomeNewRequest"})).encode())
    envelope = to_model(raw)
    assert envelope.model is None
    assert envelope.request_type == "SomeNewRequest"


@pytest.mark.parametrize("user_id", ["\ud800abc", "x" * 2000, "line\nbreak"])
def test_malformed_user_id_is_refused(alexa: AlexaActions, user_id: str) -> None:
    """A user id Alexa would never send (lone surrogate, huge, control characters) gets 400."""
    alexa.user_id = user_id
    response = alexa.post(alexa.envelope({"type": "LaunchRequest"}, new=True))
    assert response.status_code == 400
    assert response.get_json() == {"error": "malformed id"}


RICH_CONTEXT: dict[str, Any] = {
    "System": {
        "application": {"applicationId": "amzn1.ask.skill.test"},
        "user": {"userId": USER_ID, "accessToken": "token",
                 "permissions": {"consentToken": "consent"}},
        "person": {"personId": "amzn1.ask.person.P", "accessToken": "person-token"},
        "device": {"deviceId": "amzn1.ask.device.D", "supportedInterfaces": {
            "AudioPlayer": {}, "Display": {"templateVersion": "1.0", "markupVersion": "1.0"},
            "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}},
        }},
        "unit": {"unitId": "amzn1.ask.unit.U", "persistentUnitId": "amzn1.alexa.unit.did.X"},
        "apiEndpoint": "https://api.amazonalexa.com",
        "apiAccessToken": "api-token",
    },
    "AudioPlayer": {"playerActivity": "PAUSED", "token": "sound-practice@abc",
                    "offsetInMilliseconds": 42000},
    "Viewport": {
        "experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False,
                         "canResize": False}],
        "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 1024, "pixelHeight": 600,
        "dpi": 160, "currentPixelWidth": 1024, "currentPixelHeight": 600,
        "touch": ["SINGLE"], "keyboard": ["DIRECTION"],
        "video": {"codecs": ["H_264_42", "H_264_41"]},
    },
    "Geolocation": {"timestamp": "2026-11-26T15:00:00+00:00",
                    "coordinate": {"latitudeInDegrees": 52.5, "longitudeInDegrees": 13.4,
                                   "accuracyInMeters": 20}},
}
RICH_SESSION: dict[str, Any] = {
    "new": False, "sessionId": "amzn1.echo-api.session.S",
    "application": {"applicationId": "amzn1.ask.skill.test"},
    "user": {"userId": USER_ID}, "attributes": {"expect": "more", "offset": 3, "deep": {"a": [1]}},
}
RICH_REQUESTS: list[dict[str, Any]] = [
    {"type": "LaunchRequest"},
    {"type": "IntentRequest", "dialogState": "IN_PROGRESS", "intent": {
        "name": "ReadGlimmerIntent", "confirmationStatus": "NONE", "slots": {"sense": {
            "name": "sense", "value": "sounds", "confirmationStatus": "NONE",
            "slotValue": {"type": "Simple", "value": "sounds", "resolutions": {}},
            "resolutions": {"resolutionsPerAuthority": [{
                "authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.test.SENSE",
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": "sound", "id": "sound"}}]}]}}}}},
    {"type": "SessionEndedRequest", "reason": "ERROR",
     "error": {"type": "INVALID_RESPONSE", "message": "bad"}},
    {"type": "AudioPlayer.PlaybackFailed", "token": "t@1",
     "error": {"type": "MEDIA_ERROR_SERVICE_UNAVAILABLE", "message": "503"},
     "currentPlaybackState": {"token": "t@1", "offsetInMilliseconds": 5,
                              "playerActivity": "PLAYING"}},
    {"type": "AudioPlayer.PlaybackNearlyFinished", "token": "t@1", "offsetInMilliseconds": 9},
    {"type": "PlaybackController.NextCommandIssued"},
    {"type": "System.ExceptionEncountered",
     "error": {"type": "INVALID_RESPONSE", "message": "x"},
     "cause": {"requestId": "amzn1.echo-api.request.R"}},
]


@pytest.mark.parametrize("request_body", RICH_REQUESTS, ids=lambda r: r["type"])
def test_to_model_builds_what_the_sdk_serializer_builds(request_body: dict[str, Any]) -> None:
    """The one-pass builder gives the same model objects as ask-sdk-core's own deserializer
    on envelopes it can read whole: every field, enum, discriminated subtype and time."""
    request = {"requestId": "amzn1.echo-api.request.R", "timestamp": "2026-11-26T15:00:00Z",
               "locale": "en-US", **request_body}
    for session in (RICH_SESSION, None):
        raw = {"version": "1.0", "context": RICH_CONTEXT, "request": request}
        if session is not None:
            raw["session"] = session
        expected = DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)
        built = to_model(decode(json.dumps(raw).encode())).model
        assert built == expected
        assert type(built.request) is type(expected.request)
        assert built.to_dict() == expected.to_dict()


def test_the_model_does_not_share_free_form_values_with_the_raw_envelope() -> None:
    """Session attributes are the handlers' to change; the raw envelope stays as it was sent."""
    request = {"requestId": "amzn1.echo-api.request.R", "timestamp": "2026-11-26T15:00:00Z",
               "locale": "en-US", "type": "LaunchRequest"}
    raw = decode(json.dumps({"version": "1.0", "context": RICH_CONTEXT, "request": request,
                             "session": RICH_SESSION}).encode())
    model = to_model(raw).model
    assert model is not None and model.session is not None
    model.session.attributes["deep"]["a"].append(2)
    model.session.attributes["new"] = True
    assert raw["session"]["attributes"] == RICH_SESSION["attributes"]
