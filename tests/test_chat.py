"""`glimmers chat`: the resolver, the simulated device, and whole conversations with the skill."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from skill import create_app
from skill.chat import Conversation, InteractionModel, load_model, resolve
from skill.chat.device import Device, intent_json
from skill.chat.display import plain_speech
from skill.chat.language import BUILT_IN_SAMPLES, FALLBACK, MODEL_DIR
from skill.cli import main
from skill.store.db import Database
from skill.store.migrate import upgrade
from tests.support.alexa import SKILL_ID

MODEL_PATH = Path(__file__).parents[1] / MODEL_DIR / "en-US.json"
EXAMPLES = {"AMAZON.SearchQuery": "the light on the water", "AMAZON.NUMBER": "3",
            "AMAZON.Ordinal": "third"}
SPOKEN_EXAMPLES = {"3": "3", "third": "3"}


@pytest.fixture(scope="module")
def model() -> InteractionModel:
    """The skill's real en-US interaction model, compiled."""
    return load_model(MODEL_PATH)


def raw_model() -> dict[str, Any]:
    """The interaction model as the ASK CLI reads it."""
    data: dict[str, Any] = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    language: dict[str, Any] = data["interactionModel"]["languageModel"]
    return language


@pytest.mark.parametrize(("text", "intent"), [
    ("help", "AMAZON.HelpIntent"),
    ("what can I say", "AMAZON.HelpIntent"),
    ("Stop!", "AMAZON.StopIntent"),
    ("Alexa, stop", "AMAZON.StopIntent"),
    ("cancel", "AMAZON.CancelIntent"),
    ("never mind", "AMAZON.CancelIntent"),
    ("yes", "AMAZON.YesIntent"),
    ("yeah", "AMAZON.YesIntent"),
    ("sure", "AMAZON.YesIntent"),
    ("no", "AMAZON.NoIntent"),
    ("nope", "AMAZON.NoIntent"),
    ("pause", "AMAZON.PauseIntent"),
    ("resume", "AMAZON.ResumeIntent"),
    ("start over", "AMAZON.StartOverIntent"),
    ("next", "AMAZON.NextIntent"),
    ("previous", "AMAZON.PreviousIntent"),
    ("go home", "AMAZON.NavigateHomeIntent"),
    ("loop on", "AMAZON.LoopOnIntent"),
    ("shuffle on", "AMAZON.ShuffleOnIntent"),
    ("repeat", "AMAZON.RepeatIntent"),
    ("I noticed something", "LogGlimmerIntent"),
    ("log a glimmer", "LogGlimmerIntent"),
    ("I'd like to add a glimmer", "LogGlimmerIntent"),
    ("Id like to add a glimmer.", "LogGlimmerIntent"),
    ("my body felt lighter", "RecordShiftIntent"),
    ("I noticed in my body my shoulders dropped", "RecordShiftIntent"),
    ("don't ask me to linger", "LingerOffIntent"),
    ("turn on lingering", "LingerOnIntent"),
    ("nothing today", "NothingTodayIntent"),
    ("I can’t find one", "NothingTodayIntent"),
    ("read me a glimmer", "ReadGlimmerIntent"),
    ("what did I notice this week", "RecallPeriodIntent"),
    ("how many glimmers have I logged?", "CountGlimmersIntent"),
    ("delete my last glimmer", "DeleteLastGlimmerIntent"),
    ("delete all my data", "DeleteAllDataIntent"),
    ("what do you know about me", "PrivacyIntent"),
    ("start a practice", "StartPracticeIntent"),
    ("start a practice please", "StartPracticeIntent"),
    ("what practices are there", "ListPracticesIntent"),
    ("play lesson 2", "PlayLessonIntent"),
    ("next lesson", "NextLessonIntent"),
    ("continue my lesson", "ContinueLessonIntent"),
    ("where was I", "WhereWasIIntent"),
    ("list the lessons", "ListLessonsIntent"),
])
def test_phrases_resolve_to_their_intents(model: InteractionModel, text: str,
                                          intent: str) -> None:
    """Typed phrases, built-in or from the model, in any case and punctuation, find their intent."""
    resolution = resolve(text, model)
    assert resolution.request_type == "IntentRequest"
    assert resolution.intent == intent


@pytest.mark.parametrize(("text", "intent", "slot", "value"), [
    ("I noticed the warm mug in my hands", "LogGlimmerIntent", "moment",
     "the warm mug in my hands"),
    ("I noticed that the cat was purring", "LogGlimmerIntent", "moment", "the cat was purring"),
    ("log a glimmer about the sea", "LogGlimmerIntent", "moment", "the sea"),
    ("today I noticed birdsong", "LogGlimmerIntent", "moment", "birdsong"),
    ("My glimmer today is: the smell of coffee!", "LogGlimmerIntent", "moment",
     "the smell of coffee"),
    ("here's a glimmer my friend's laugh", "LogGlimmerIntent", "moment", "my friend's laugh"),
    ("I felt safe when my dog leaned on me", "LogGlimmerIntent", "moment",
     "my dog leaned on me"),
    ("I felt warmth in my body", "RecordShiftIntent", "shift", "warmth"),
    ("my body felt softer", "RecordShiftIntent", "shift", "softer"),
])
def test_search_query_slots_take_the_words_after_the_carrier_phrase(
        model: InteractionModel, text: str, intent: str, slot: str, value: str) -> None:
    """AMAZON.SearchQuery captures the free text, without the carrier phrase, in lower case."""
    resolution = resolve(text, model)
    assert resolution.intent == intent
    assert resolution.value(slot) == value


@pytest.mark.parametrize(("text", "spoken", "sense"), [
    ("read me a glimmer about sound", "sound", "sound"),
    ("read me a glimmer about music", "music", "sound"),
    ("read me a music glimmer", "music", "sound"),
    ("tell me a glimmer about something I heard", "something i heard", "sound"),
    ("read me a glimmer with other people", "other people", "connection"),
    ("remind me of a breathing glimmer", "breathing", "body"),
])
def test_sense_synonyms_resolve_to_their_ids(model: InteractionModel, text: str, spoken: str,
                                            sense: str) -> None:
    """A SENSE synonym keeps the spoken value and resolves to the canonical id."""
    resolution = resolve(text, model)
    assert resolution.intent == "ReadGlimmerIntent"
    fill = resolution.slot("sense")
    assert fill is not None
    assert fill.value == spoken
    assert resolution.slot_id("sense") == sense
    assert fill.status == "ER_SUCCESS_MATCH"


def test_unknown_custom_values_are_passed_on_without_a_match(model: InteractionModel) -> None:
    """A value outside the slot type still fills the slot, with ER_SUCCESS_NO_MATCH."""
    resolution = resolve("read me a glimmer about cats", model)
    assert resolution.intent == "ReadGlimmerIntent"
    assert resolution.value("sense") == "cats"
    assert resolution.slot_id("sense") is None
    fill = resolution.slot("sense")
    assert fill is not None and fill.status == "ER_SUCCESS_NO_MATCH"


def test_practice_slots_prefer_listed_values(model: InteractionModel) -> None:
    """Length and topic are told apart by their values, multi-word synonyms included."""
    short = resolve("start a short practice", model)
    assert short.intent == "StartPracticeIntent"
    assert short.slot_id("length") == "SHORT" and short.value("topic") is None
    both = resolve("start a one minute grounding practice", model)
    assert (both.slot_id("length"), both.slot_id("topic")) == ("SHORT", "grounding")
    assert resolve("I'd like a listening practice", model).slot_id("topic") == "sound"
    assert resolve("what have I noticed the past week", model).slot_id("period") == "WEEK"


@pytest.mark.parametrize(("text", "slot", "value"), [
    ("play lesson 2", "number", "2"),
    ("play lesson two", "number", "2"),
    ("lesson twelve", "number", "12"),
    ("start lesson twenty one", "number", "21"),
    ("play lesson number 3", "number", "3"),
    ("play the first lesson", "ordinal", "1"),
    ("the tenth lesson", "ordinal", "10"),
    ("start the 3rd lesson", "ordinal", "3"),
])
def test_numbers_and_ordinals_become_digits(model: InteractionModel, text: str, slot: str,
                                            value: str) -> None:
    """AMAZON.NUMBER takes digits and number words; AMAZON.Ordinal takes first to tenth."""
    resolution = resolve(text, model)
    assert resolution.intent == "PlayLessonIntent"
    assert resolution.value(slot) == value


@pytest.mark.parametrize("text", ["open glimmers", "Launch Glimmers", "start glimmers",
                                  "Alexa, open glimmers", "ask glimmers"])
def test_invocation_alone_launches(model: InteractionModel, text: str) -> None:
    """Opening the skill by name is a LaunchRequest in a new session."""
    resolution = resolve(text, model)
    assert resolution.request_type == "LaunchRequest"
    assert resolution.one_shot


@pytest.mark.parametrize(("text", "intent", "slot", "value"), [
    ("tell glimmers I noticed the rain", "LogGlimmerIntent", "moment", "the rain"),
    ("tell glimmers that I noticed the rain", "LogGlimmerIntent", "moment", "the rain"),
    ("ask glimmers to read me a glimmer about music", "ReadGlimmerIntent", "sense", "music"),
    ("ask glimmers to play the second lesson", "PlayLessonIntent", "ordinal", "2"),
    ("ask glimmers for help", "AMAZON.HelpIntent", None, None),
])
def test_one_shot_requests_open_a_session_with_the_intent(
        model: InteractionModel, text: str, intent: str, slot: str | None,
        value: str | None) -> None:
    """Asking or telling Glimmers something sends the rest as an intent in a new session."""
    resolution = resolve(text, model)
    assert (resolution.request_type, resolution.intent) == ("IntentRequest", intent)
    assert resolution.one_shot
    if slot is not None:
        assert resolution.value(slot) == value


@pytest.mark.parametrize("text", ["what's the weather", "play some jazz", "here is a glimmer",
                                  "tell glimmers banana"])
def test_unmatched_text_is_fallback(model: InteractionModel, text: str) -> None:
    """Text no sample covers goes to AMAZON.FallbackIntent, as with an open session."""
    assert resolve(text, model).intent == FALLBACK


def test_exit_closes_the_session(model: InteractionModel) -> None:
    """'exit' is Alexa's own: a SessionEndedRequest, not an intent."""
    assert resolve("exit", model).request_type == "SessionEndedRequest"


def test_every_sample_resolves_back_to_its_own_intent(model: InteractionModel) -> None:
    """Each model sample, slots filled with examples, finds its intent and slot values again."""
    language = raw_model()
    types = {kind["name"]: kind for kind in language["types"]}
    wrong = []
    for intent in language["intents"]:
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent["samples"]:
            expected: dict[str, str] = {}

            def example(match: re.Match[str], slot_types: dict[str, str] = slot_types,
                        expected: dict[str, str] = expected) -> str:
                kind = slot_types[match.group(1)]
                spoken = (types[kind]["values"][0]["name"]["value"] if kind in types
                          else EXAMPLES[kind])
                expected[match.group(1)] = SPOKEN_EXAMPLES.get(spoken, spoken)
                return spoken

            text = re.sub(r"\{(\w+)\}", example, sample)
            resolution = resolve(text, model)
            found = {name: resolution.value(name) for name in expected}
            if resolution.intent != intent["name"] or found != expected:
                wrong.append(f"{sample!r} -> {resolution.intent} {found}")
    assert not wrong, "\n".join(wrong)


def test_every_custom_value_and_synonym_resolves_to_its_id(model: InteractionModel) -> None:
    """Every value and synonym of every custom type resolves to its id in each sample using it."""
    language = raw_model()
    types = {kind["name"]: kind for kind in language["types"]}
    wrong = []
    for intent in language["intents"]:
        for slot in intent.get("slots", []):
            if slot["type"] not in types:
                continue
            samples = [s for s in intent["samples"] if s.count("{") == 1 and
                       f"{{{slot['name']}}}" in s]
            for value in types[slot["type"]]["values"]:
                for spoken in (value["name"]["value"], *value["name"].get("synonyms", [])):
                    for sample in samples:
                        text = sample.replace(f"{{{slot['name']}}}", spoken)
                        resolution = resolve(text, model)
                        if (resolution.intent, resolution.slot_id(slot["name"])) != (
                                intent["name"], value["id"]):
                            wrong.append(f"{text!r} -> {resolution.intent} "
                                         f"{resolution.slot_id(slot['name'])}")
    assert not wrong, "\n".join(wrong)


def test_built_in_phrases_resolve_to_their_intents(model: InteractionModel) -> None:
    """The phrases standing in for Alexa's built-in samples are not taken by any custom intent."""
    wrong = [(phrase, resolve(phrase, model).intent)
             for intent, phrases in BUILT_IN_SAMPLES.items() for phrase in phrases
             if resolve(phrase, model).intent != intent]
    assert not wrong


def test_intent_json_carries_entity_resolution(model: InteractionModel) -> None:
    """Custom slots carry resolutionsPerAuthority[0] with the status and, on a match, the id."""
    matched = intent_json(resolve("read me a music glimmer", model), SKILL_ID)
    sense = matched["slots"]["sense"]
    assert sense["value"] == "music"
    authority = sense["resolutions"]["resolutionsPerAuthority"][0]
    assert authority["authority"] == f"amzn1.er-authority.echo-sdk.{SKILL_ID}.SENSE"
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"] == {"name": "sound", "id": "sound"}
    unmatched = intent_json(resolve("read me a glimmer about cats", model), SKILL_ID)
    authority = unmatched["slots"]["sense"]["resolutions"]["resolutionsPerAuthority"][0]
    assert authority["status"]["code"] == "ER_SUCCESS_NO_MATCH"
    assert "values" not in authority
    empty = intent_json(resolve("read me a glimmer", model), SKILL_ID)
    assert empty["slots"]["sense"] == {"name": "sense", "confirmationStatus": "NONE"}
    moment = intent_json(resolve("I noticed the rain", model), SKILL_ID)["slots"]["moment"]
    assert moment["value"] == "the rain" and "resolutions" not in moment


def test_ssml_becomes_plain_text() -> None:
    """Tags are dropped, breaks show as an ellipsis, entities are unescaped."""
    ssml = ('<speak>Okay. <break time="3s"/> Notice <emphasis level="reduced">one</emphasis> '
            'thing &amp; breathe.</speak>')
    assert plain_speech({"type": "SSML", "ssml": ssml}) == "Okay. … Notice one thing & breathe."


class StandInSkill:
    """Answers with canned responses in turn and records every body it was sent."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        if body["request"]["type"].startswith("AudioPlayer.") or not self.answers:
            return {"version": "1.0", "response": {}}
        return self.answers.pop(0)


def talk(model: InteractionModel, skill: StandInSkill, *lines: str) -> list[str]:
    """Runs lines through a Conversation and returns what it wrote."""
    written: list[str] = []
    conversation = Conversation(skill, lambda _kind, text: written.append(text), model,
                                device=Device(skill_id=SKILL_ID))
    for line in lines:
        conversation.handle(line)
    return written


def keep_open(text: str, **attributes: Any) -> dict[str, Any]:
    """An answer that speaks and waits, with session attributes."""
    return {"version": "1.0", "sessionAttributes": attributes, "response": {
        "outputSpeech": {"type": "SSML", "ssml": f"<speak>{text}</speak>"},
        "shouldEndSession": False}}


PLAY = {"version": "1.0", "response": {"shouldEndSession": True, "directives": [{
    "type": "AudioPlayer.Play", "playBehavior": "REPLACE_ALL",
    "audioItem": {"stream": {"token": "sound-practice@aaaa1111", "offsetInMilliseconds": 0,
                             "url": "https://example.org/audio/sound-practice.mp3"}}}]}}
STOP = {"version": "1.0", "response": {"directives": [{"type": "AudioPlayer.Stop"}]}}


def test_session_attributes_carry_over_until_the_session_ends(model: InteractionModel) -> None:
    """Like a device, chat sends back the last attributes, and opens a new session after an end."""
    skill = StandInSkill(keep_open("Hi.", expecting="moment"), keep_open("Help."),
                         {"version": "1.0", "response": {"shouldEndSession": True}})
    written = talk(model, skill, "open glimmers", "help", "stop", "help")
    first, second, third, fourth = skill.bodies
    assert first["session"]["new"] is True and first["session"]["attributes"] == {}
    assert second["session"]["sessionId"] == first["session"]["sessionId"]
    assert second["session"]["new"] is False
    assert second["session"]["attributes"] == {"expecting": "moment"}
    assert fourth["session"]["new"] is True
    assert fourth["session"]["sessionId"] != first["session"]["sessionId"]
    assert third["context"]["System"]["application"]["applicationId"] == SKILL_ID
    assert first["request"]["locale"] == "en-US"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["request"]["timestamp"])
    assert "(session ended)" in written


def test_play_directive_is_played_and_paused_like_a_device(model: InteractionModel) -> None:
    """A Play directive starts the player, and "pause" reports its token; Stop is acknowledged."""
    skill = StandInSkill(PLAY, STOP)
    written = talk(model, skill, "start a sound practice", "pause", "/stopped 42000")
    kinds = [body["request"]["type"] for body in skill.bodies]
    assert kinds == ["IntentRequest", "AudioPlayer.PlaybackStarted", "IntentRequest",
                     "AudioPlayer.PlaybackStopped", "AudioPlayer.PlaybackStopped"]
    started = skill.bodies[1]
    assert "session" not in started
    assert started["request"]["token"] == "sound-practice@aaaa1111"
    pause = skill.bodies[2]
    assert pause["request"]["intent"]["name"] == "AMAZON.PauseIntent"
    player = pause["context"]["AudioPlayer"]
    assert player["token"] == "sound-practice@aaaa1111"
    assert player["playerActivity"] == "PLAYING"
    assert skill.bodies[4]["request"]["offsetInMilliseconds"] == 42000
    assert skill.bodies[4]["context"]["AudioPlayer"]["playerActivity"] == "STOPPED"
    assert any(line.startswith("(device) AudioPlayer.PlaybackStarted") for line in written)
    assert any("AudioPlayer.Play REPLACE_ALL token=sound-practice@aaaa1111" in line
               for line in written)


def test_replacing_what_plays_reports_the_stream_it_cut_off(model: InteractionModel) -> None:
    """A REPLACE_ALL Play while playing sends PlaybackStopped for the old token, then Started."""
    following = copy.deepcopy(PLAY)
    following["response"]["directives"][0]["audioItem"]["stream"]["token"] = "touch@bbbb2222"
    skill = StandInSkill(PLAY, following)
    talk(model, skill, "start a sound practice", "next")
    events = [(body["request"]["type"], body["request"].get("token")) for body in skill.bodies
              if body["request"]["type"].startswith("AudioPlayer.")]
    assert events == [("AudioPlayer.PlaybackStarted", "sound-practice@aaaa1111"),
                      ("AudioPlayer.PlaybackStopped", "sound-practice@aaaa1111"),
                      ("AudioPlayer.PlaybackStarted", "touch@bbbb2222")]


def test_dialog_directives_are_followed(model: InteractionModel) -> None:
    """ElicitSlot fills the slot from the next answer; Delegate asks the model's confirmation."""
    elicit = keep_open("What did you notice?")
    elicit["response"]["directives"] = [{
        "type": "Dialog.ElicitSlot", "slotToElicit": "moment",
        "updatedIntent": {"name": "LogGlimmerIntent", "confirmationStatus": "NONE",
                          "slots": {"moment": {"name": "moment", "confirmationStatus": "NONE"}}}}]
    delegate = {"version": "1.0", "response": {"directives": [{"type": "Dialog.Delegate"}]}}
    skill = StandInSkill(elicit, keep_open("Saved."), delegate, keep_open("Done."))
    written = talk(model, skill, "log a glimmer", "it was the rain on the window",
                   "delete all my data", "yes")
    filled = skill.bodies[1]["request"]
    assert filled["dialogState"] == "IN_PROGRESS"
    assert filled["intent"]["slots"]["moment"]["value"] == "the rain on the window"
    assert any("can't be undone. Shall I delete it all?" in line for line in written)
    confirmed = skill.bodies[3]["request"]
    assert confirmed["intent"]["name"] == "DeleteAllDataIntent"
    assert confirmed["intent"]["confirmationStatus"] == "CONFIRMED"
    assert confirmed["dialogState"] == "COMPLETED"


@pytest.fixture
def chat_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file and an empty audio folder, named in the environment."""
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    (tmp_path / "audio").mkdir()
    monkeypatch.setenv("GLIMMERS_DATABASE_URL", url)
    monkeypatch.setenv("GLIMMERS_AUDIO_DIR", str(tmp_path / "audio"))
    monkeypatch.setenv("GLIMMERS_SECRET_KEY", "chat-test-secret-key-of-enough-length-00")
    monkeypatch.delenv("GLIMMERS_PRODUCTION", raising=False)
    monkeypatch.delenv("GLIMMERS_SKILL_ID", raising=False)
    return url


def assert_launch_help_stop(output: str) -> None:
    """The welcome with the first-visit note, then help, then goodbye and the end, in order."""
    welcome = output.index("not a substitute for professional care")
    help_text = output.index("Glimmers helps you notice small moments of safety")
    goodbye = output.index("Okay. Take care.")
    assert welcome < help_text < goodbye < output.index("(session ended)", goodbye)


def test_chat_in_process_through_the_real_skill(chat_environment: str) -> None:
    """Piped lines drive the in-process skill: welcome, help, goodbye and the session's end."""
    result = CliRunner().invoke(main, ["chat"], input="open glimmers\nhelp\nstop\n")
    assert result.exit_code == 0, result.output
    assert "verification off" in result.output
    assert "you> open glimmers" in result.output
    assert "→ LaunchRequest" in result.output
    assert_launch_help_stop(result.output)


@pytest.fixture
def served_skill(chat_environment: str) -> Iterator[str]:
    """The real app on 127.0.0.1 in a thread, verification off; yields its /alexa URL."""
    app = create_app({"GLIMMERS_VERIFY_REQUESTS": "0", "GLIMMERS_SKILL_ID": SKILL_ID})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/alexa"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_chat_over_http_with_a_script(served_skill: str, tmp_path: Path) -> None:
    """A script drives a served skill over real HTTP, fallback included, with JSON shown."""
    script = tmp_path / "talk.txt"
    script.write_text("# a first visit\nopen glimmers\nhelp\nwhat's the weather\nstop\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["chat", "--url", served_skill, "--skill-id", SKILL_ID,
                                       "--script", str(script), "--json"])
    assert result.exit_code == 0, result.output
    assert_launch_help_stop(result.output)
    assert "I didn't catch that as something I can do yet" in result.output
    assert '"type": "LaunchRequest"' in result.output
    assert '"name": "AMAZON.FallbackIntent"' in result.output


def test_chat_reports_a_refused_request(served_skill: str) -> None:
    """A request for another skill id is refused by the server, and chat says so and goes on."""
    result = CliRunner().invoke(main, ["chat", "--url", served_skill, "--skill-id",
                                       "amzn1.ask.skill.someone-else"],
                                input="open glimmers\n/quit\nhelp\n")
    assert result.exit_code == 0, result.output
    assert "(error) the skill answered HTTP 400" in result.output
    assert "you> help" not in result.output
