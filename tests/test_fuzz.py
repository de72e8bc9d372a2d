"""Fuzzing POST /alexa: whatever arrives, the answer is 200 or 400, never a 500 or a traceback.

Hypothesis generates junk (any JSON, any bytes, invalid UTF-8, lone surrogates, huge strings,
deep nesting) and mutates real envelopes of every request type and every intent of the
interaction model (a key dropped, a value of another JSON type, a value nested hundreds of
levels deep). One app on one SQLite database serves the whole module, through Flask's test
client with verification off. A refused (400) request must leave the database as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from skill import create_app
from skill.guide.library import parse_manifest
from skill.store.db import Database
from skill.store.migrate import upgrade
from skill.store.models import Glimmer, Person, Preferences, Progress
from tests.support.alexa import SKILL_ID, AlexaActions, Device
from tests.support.clock import FrozenClock
from tests.support.settings_api import SettingsApi

MODEL = Path(__file__).resolve().parent.parent / (
    "infra/alexa/skill-package/interactionModels/custom/en-US.json")
INTENTS: dict[str, list[str]] = {
    intent["name"]: [slot["name"] for slot in intent.get("slots", [])]
    for intent in json.loads(MODEL.read_text())["interactionModel"]["languageModel"]["intents"]
}
MANIFEST = {
    "schema": 1, "locale": "en-US", "items": [
        {"id": "sound-practice", "kind": "practice", "title": "Listening", "senses": ["sound"],
         "duration_seconds": 182.0, "file": "sound-practice-aaaa1111.mp3",
         "version": "aaaa1111", "transcript": "A sound practice."},
        {"id": "lesson-one", "kind": "lesson", "title": "What glimmers are", "order": 1,
         "duration_seconds": 200.0, "file": "lesson-1-eeee5555.mp3", "version": "eeee5555",
         "transcript": "Glimmers are small moments."},
        {"id": "linger", "kind": "clip", "title": "Lingering", "duration_seconds": 18.0,
         "file": "linger-cdcd8888.mp3", "version": "cdcd8888", "transcript": "Stay with it."},
    ],
}
TOKENS = ["sound-practice@aaaa1111", "lesson-one@eeee5555", "lesson-one@old", "linger@cdcd8888",
          "https://example.com/a.mp3", ""]
USERS = [f"amzn1.ask.account.FUZZ{n}" for n in range(4)]
SURROGATES = ["\ud800", "\udfff", "a\ud83d", "\ude00b", "\udbff\udbff"]
ODD = ["\u202e", "\u200d", "\ufeff", "\x00", "\u0301", "\U0001f525", "\uffff", "\r\n", "\\", '"']
NOT_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]


class ErrorRecords(logging.Handler):
    """Collects crashes (ERROR records with a traceback) the app logs while one request runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:  # Alexa's own System.ExceptionEncountered reports carry none
            self.records.append(record)


@dataclass
class Webhook:
    """The app under test, its database, and a clock for envelopes."""

    client: FlaskClient
    database: Database
    clock: FrozenClock
    settings_api: SettingsApi
    last: Any = None

    def counts(self) -> tuple[int, ...]:
        """How many rows each table holds."""
        with self.database.engine.connect() as connection:
            return tuple(
                int(connection.execute(select(func.count()).select_from(model)).scalar_one())
                for model in (Person, Glimmer, Preferences, Progress)
            )

    def exchange(self, body: bytes) -> int:
        """Posts a body; checks status, shape and that a refusal stored nothing; returns status."""
        before = self.counts()
        errors = ErrorRecords()
        logging.getLogger("skill").addHandler(errors)
        try:
            response = self.client.post("/alexa", data=body, content_type="application/json")
        finally:
            logging.getLogger("skill").removeHandler(errors)
        # The catch-all turns a handler crash into a polite 200, so look for it in the logs.
        assert errors.records == [], [record.getMessage() for record in errors.records]
        text = response.get_data(as_text=True)
        self.last = json.loads(text) if text else {}
        assert response.status_code in {200, 400}, (response.status_code, text[:300])
        assert "Traceback" not in text and 'File "' not in text, text[:300]
        answer = json.loads(text)
        event(f"status {response.status_code}")
        if response.status_code == 400:
            assert set(answer) == {"error"}, text[:300]
            assert self.counts() == before, "a refused request changed the database"
        else:
            assert answer.get("version") == "1.0" and isinstance(answer.get("response"), dict)
        return int(response.status_code)


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory,
            settings_api: SettingsApi) -> Iterator[Webhook]:
    """One app on one migrated SQLite database for the whole module."""
    directory = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{directory / 'fuzz.db'}")
    upgrade(database)
    clock = FrozenClock()
    app = create_app({
        "GLIMMERS_VERIFY_REQUESTS": "0",
        "GLIMMERS_SKILL_ID": SKILL_ID,
        "GLIMMERS_SECRET_KEY": "test-secret-key-of-enough-length-000000",
        "GLIMMERS_AUDIO_DIR": str(directory / "audio"),
        "database": database,
        "clock": clock,
        "library": parse_manifest(MANIFEST),
    })
    yield Webhook(app.test_client(), database, clock, settings_api)
    database.dispose()


# --- strategies -------------------------------------------------------------------------------
odd_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(SURROGATES + ODD) | st.text(max_size=5), max_size=8).map("".join),
    st.builds(lambda char, size: char * size, st.sampled_from(["x", "é", "\U0001f525", " "]),
              st.integers(400, 140_000)),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), odd_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12) | st.sampled_from(["type", "request", "context"]),
                      children, max_size=4),
    max_leaves=12,
)


def deep(value: Any, levels: int, as_list: bool) -> Any:
    """value wrapped in `levels` arrays or objects."""
    for _ in range(levels):
        value = [value] if as_list else {"a": value}
    return value


@st.composite
def requests(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A real request body of any type, and whether it travels in a session."""
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "player", "controller",
                                 "ended", "exception", "skill_event", "unknown"]))
    if kind == "launch":
        return {"type": "LaunchRequest"}, True
    if kind == "intent":
        name = draw(st.sampled_from(sorted(INTENTS)) | st.just("SomeNewIntent"))
        slots = {}
        for slot in INTENTS.get(name, ["x"]):
            value = draw(st.none() | odd_text | st.sampled_from(["sound", "week", "2", "first"]))
            slots[slot] = {"name": slot, "confirmationStatus": "NONE",
                           **({"value": value} if value is not None else {})}
            if draw(st.booleans()):
                slots[slot]["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": "amzn1.er-authority.echo-sdk.x.SLOT",
                    "status": {"code": draw(st.sampled_from(["ER_SUCCESS_MATCH",
                                                             "ER_SUCCESS_NO_MATCH", "ODD"]))},
                    "values": [{"value": {"name": value, "id": draw(odd_text)}}]}]}
        request = {"type": "IntentRequest", "intent": {
            "name": name, "slots": slots,
            "confirmationStatus": draw(st.sampled_from(["NONE", "CONFIRMED", "DENIED"]))}}
        if draw(st.booleans()):
            request["dialogState"] = draw(st.sampled_from(["STARTED", "IN_PROGRESS", "COMPLETED"]))
        return request, True
    if kind == "player":
        event = draw(st.sampled_from(["PlaybackStarted", "PlaybackStopped", "PlaybackFinished",
                                      "PlaybackNearlyFinished", "PlaybackFailed"]))
        request = {"type": f"AudioPlayer.{event}", "token": draw(st.sampled_from(TOKENS)),
                   "offsetInMilliseconds": draw(st.integers(-5, 10**13))}
        if event == "PlaybackFailed":
            request["error"] = {"type": "MEDIA_ERROR_UNKNOWN", "message": draw(odd_text)}
            request["currentPlaybackState"] = {"token": request["token"],
                                               "offsetInMilliseconds": 1000,
                                               "playerActivity": "PLAYING"}
        return request, False
    if kind == "controller":
        command = draw(st.sampled_from(["Play", "Pause", "Next", "Previous"]))
        return {"type": f"PlaybackController.{command}CommandIssued"}, False
    if kind == "ended":
        return {"type": "SessionEndedRequest",
                "reason": draw(st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED"])),
                "error": {"type": "INVALID_RESPONSE", "message": "x"}}, True
    if kind == "exception":
        return {"type": "System.ExceptionEncountered",
                "error": {"type": "INVALID_RESPONSE", "message": draw(odd_text)},
                "cause": {"requestId": "amzn1.echo-api.request.1"}}, False
    if kind == "skill_event":
        event = draw(st.sampled_from(["SkillEnabled", "SkillDisabled",
                                      "SkillPermissionAccepted", "SkillAccountLinked"]))
        return {"type": f"AlexaSkillEvent.{event}", "body": {}}, False
    return {"type": draw(st.sampled_from(["Alexa.Presentation.APL.UserEvent", "Messaging.X",
                                          "Connections.Response", "Dialog.API.Invoked"]))}, False


@st.composite
def envelopes(draw: st.DrawFn, webhook: Webhook) -> dict[str, Any]:
    """A real envelope, as AlexaActions builds it, around any request type."""
    device = Device(audio_player=draw(st.booleans()), api_endpoint=webhook.settings_api.url,
                    api_token=webhook.settings_api.token,
                    player_token=draw(st.none() | st.sampled_from(TOKENS)),
                    player_offset_ms=draw(st.integers(0, 10**7)),
                    player_activity=draw(st.sampled_from(["IDLE", "PLAYING", "STOPPED",
                                                          "FINISHED", "PAUSED", "ODD"])))
    actions = AlexaActions(client=webhook.client, clock=webhook.clock,
                           user_id=draw(st.sampled_from(USERS)), device=device)
    request, in_session = draw(requests())
    envelope = actions.envelope(request, in_session=in_session, new=draw(st.booleans()))
    if in_session:
        envelope["session"]["attributes"] = draw(st.fixed_dictionaries({}, optional={
            "expecting": st.sampled_from(["linger", "grounding", "shifted", "more",
                                          "delete_last", "odd"]),
            "glimmer_id": st.integers(-1, 50) | json_values,
            "delete_id": st.integers(-1, 50) | json_values,
            "period": st.sampled_from(["TODAY", "WEEK", "ODD"]),
            "offset": st.integers(-3, 10**6) | json_values,
        }))
    return envelope


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON tree, the root first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutate(draw: st.DrawFn, tree: Any) -> Any:
    """Drops, replaces, nests, inflates or garbles one value somewhere in the tree."""
    path = draw(st.sampled_from(list(paths(tree))))
    operation = draw(st.sampled_from(["drop", "replace", "replace", "nest", "huge", "odd"]))
    current = tree
    for key in path[:-1]:
        current = current[key]
    old = current[path[-1]] if path else tree
    if operation == "drop" and path:
        del current[path[-1]]
        return tree
    new = {
        "drop": None,
        "replace": draw(json_values),
        "nest": deep(old, draw(st.integers(1, 200)), draw(st.booleans())),
        "huge": draw(st.sampled_from(["x", "\u00e9", "\U0001f525"])) * draw(
            st.integers(1_000, 300_000)),
        "odd": draw(st.lists(st.sampled_from(SURROGATES + ODD), min_size=1, max_size=6).map(
            "".join)),
    }[operation]
    if not path:
        return new
    current[path[-1]] = new
    return tree


def encode(draw: st.DrawFn, value: Any) -> bytes:
    """JSON bytes: escaped ASCII, or raw UTF-8 with lone surrogates passed through (invalid)."""
    if draw(st.booleans()):
        return json.dumps(value).encode("ascii")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# The app and its database are module-scoped, so no function-scoped fixture is reused here.
SETTINGS = settings(deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- tests ------------------------------------------------------------------------------------
@settings(SETTINGS, max_examples=300)
@given(body=json_values)
def test_any_json_is_answered_200_or_400(webhook: Webhook, body: Any) -> None:
    """Any JSON value at all as the body gets 200 or 400, never a 500 or a traceback."""
    webhook.exchange(json.dumps(body).encode("ascii"))


@settings(SETTINGS, max_examples=300)
@given(data=st.data())
def test_any_bytes_are_answered_200_or_400(webhook: Webhook, data: st.DataObject) -> None:
    """Random bytes, and real envelopes with invalid UTF-8 spliced in or cut short, get 400."""
    kind = data.draw(st.sampled_from(["random", "splice", "cut", "bom"]))
    if kind == "random":
        body = data.draw(st.binary(max_size=2_000))
    else:
        valid = json.dumps(data.draw(envelopes(webhook))).encode()
        at = data.draw(st.integers(0, len(valid)))
        body = {
            "splice": valid[:at] + data.draw(st.sampled_from(NOT_UTF8)) + valid[at:],
            "cut": valid[:at],
            "bom": b"\xef\xbb\xbf" + valid,
        }[kind]
    status = webhook.exchange(body)
    if kind == "splice" or (kind == "cut" and body != valid):
        assert status == 400


@settings(SETTINGS, max_examples=900)
@given(data=st.data())
def test_mutated_envelopes_are_answered_200_or_400(webhook: Webhook,
                                                   data: st.DataObject) -> None:
    """Real envelopes of every type with keys dropped, retyped, deeply nested or garbled."""
    tree: Any = data.draw(envelopes(webhook))
    for _ in range(data.draw(st.integers(1, 4))):
        tree = mutate(data.draw, tree)
    webhook.exchange(encode(data.draw, tree))


@settings(SETTINGS, max_examples=500)
@given(data=st.data(), moment=odd_text)
def test_any_moment_is_saved_or_answered_kindly(webhook: Webhook, data: st.DataObject,
                                                moment: str) -> None:
    """A LogGlimmerIntent with any text gets 200 (400 only when too big or not UTF-8)."""
    envelope = data.draw(envelopes(webhook))
    envelope["request"] = {
        **envelope["request"], "type": "IntentRequest", "intent": {
            "name": "LogGlimmerIntent", "confirmationStatus": "NONE",
            "slots": {"moment": {"name": "moment", "value": moment,
                                 "confirmationStatus": "NONE"}}}}
    body = encode(data.draw, envelope)
    glimmers = webhook.counts()[1]
    status = webhook.exchange(body)
    try:
        readable = len(body) <= 256 * 1024 and bool(body.decode("utf-8"))
    except UnicodeDecodeError:  # a lone surrogate sent raw instead of escaped
        readable = False
    assert status == (200 if readable else 400)
    said = json.dumps(webhook.last)
    kept = "Saved: " in said or "kept the first part" in said
    assert webhook.counts()[1] - glimmers == (1 if kept else 0), said[:300]
