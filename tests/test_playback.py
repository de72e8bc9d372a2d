"""AudioPlayer and PlaybackController: progress, pause and resume, buttons, and the domain rules."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from sqlalchemy import select

from skill.guide import playback
from skill.guide.library import Item, Library, parse_manifest
from skill.guide.playback import Play, Player, Position, Say
from skill.store.db import Database
from skill.store.models import Progress
from tests.conftest import LIBRARY_MANIFEST
from tests.support.alexa import USER_ID, AlexaActions, directives, ends_session, speech

LESSON_1 = "lesson-what-are-glimmers@eeee5555"
LESSON_2 = "lesson-neuroception@ffff6666"
LESSON_3 = "lesson-after-trauma@abab7777"
SOUND = "sound-practice@aaaa1111"


def stored(database: Database) -> dict[str, tuple[int, bool]]:
    """Every progress row as content id -> (offset, completed)."""
    with database.session() as session:
        return {row.content_id: (row.offset_ms, row.completed)
                for row in session.scalars(select(Progress))}


def quiet(answer: dict[str, Any]) -> None:
    """Asserts what Alexa requires of player and controller answers: nothing spoken or shown."""
    response = answer["response"]
    assert "outputSpeech" not in response
    assert "card" not in response
    assert "reprompt" not in response


def stream(answer: dict[str, Any]) -> dict[str, Any]:
    """The stream of the one Play directive, which must use REPLACE_ALL."""
    plays = [d for d in directives(answer) if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1, directives(answer)
    assert plays[0]["playBehavior"] == "REPLACE_ALL"
    found: dict[str, Any] = plays[0]["audioItem"]["stream"]
    return found


def stops(answer: dict[str, Any]) -> bool:
    """Whether the answer stops the player."""
    return [d["type"] for d in directives(answer)] == ["AudioPlayer.Stop"]


def playing(alexa: AlexaActions, token: str, offset: int = 0, *, heard: int = 0) -> None:
    """The device starts a stream and keeps playing for `heard` milliseconds."""
    alexa.player_event("PlaybackStarted", token, offset)
    alexa.listen(heard)


# --- Events store the place -------------------------------------------------------------------
def test_playback_started_records_the_item_as_current(alexa: AlexaActions,
                                                      database: Database) -> None:
    """PlaybackStarted stores the item for this person and is answered with nothing at all."""
    answer = alexa.player_event("PlaybackStarted", LESSON_1, 0)
    quiet(answer)
    assert not directives(answer)
    assert stored(database) == {"lesson-what-are-glimmers": (0, False)}


def test_playback_stopped_stores_the_offset(alexa: AlexaActions, database: Database) -> None:
    """PlaybackStopped records where the person was."""
    playing(alexa, LESSON_2)
    quiet(alexa.player_event("PlaybackStopped", LESSON_2, 61_500))
    assert stored(database) == {"lesson-neuroception": (61_500, False)}


def test_playback_finished_marks_the_item_complete(alexa: AlexaActions,
                                                   database: Database) -> None:
    """PlaybackFinished marks the item complete and its place back at the start."""
    playing(alexa, LESSON_1)
    quiet(alexa.player_event("PlaybackFinished", LESSON_1, 200_000))
    assert stored(database) == {"lesson-what-are-glimmers": (0, True)}


def test_events_are_kept_per_person(alexa: AlexaActions, database: Database) -> None:
    """Two people on the same skill keep separate places."""
    playing(alexa, LESSON_1)
    alexa.player_event("PlaybackStopped", LESSON_1, 10_000)
    alexa.user_id = USER_ID.replace("TESTUSER", "OTHERUSER")
    playing(alexa, LESSON_1)
    alexa.player_event("PlaybackStopped", LESSON_1, 90_000)
    with database.session() as session:
        offsets = sorted(row.offset_ms for row in session.scalars(select(Progress)))
    assert offsets == [10_000, 90_000]


def test_events_for_unknown_tokens_are_ignored(alexa: AlexaActions, database: Database) -> None:
    """A token from a retired item (or anyone else's) stores nothing and is answered empty."""
    quiet(alexa.player_event("PlaybackStarted", "retired-practice@0000", 0))
    quiet(alexa.player_event("PlaybackStopped", "https://example.org/a.mp3", 5_000))
    assert stored(database) == {}


def test_nearly_finished_is_answered_empty_and_never_queues(alexa: AlexaActions,
                                                            database: Database) -> None:
    """Items are single files: PlaybackNearlyFinished, even repeated, enqueues nothing."""
    playing(alexa, LESSON_1)
    for _ in range(3):
        answer = alexa.player_event("PlaybackNearlyFinished", LESSON_1, 190_000)
        quiet(answer)
        assert not directives(answer)
    with database.session() as session:
        assert session.scalars(select(Progress.enqueued_token)).all() == [None]


def test_playback_failed_is_logged_answered_empty_and_keeps_the_place(
        alexa: AlexaActions, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    """PlaybackFailed: no automatic replay (it could loop), the place is kept, the cause logged."""
    playing(alexa, LESSON_2)
    with caplog.at_level(logging.INFO):
        answer = alexa.player_event(
            "PlaybackFailed", LESSON_2,
            error={"type": "MEDIA_ERROR_SERVICE_UNAVAILABLE", "message": "503 from server"},
            currentPlaybackState={"token": LESSON_2, "offsetInMilliseconds": 33_000,
                                  "playerActivity": "PLAYING"},
        )
    quiet(answer)
    assert not directives(answer)
    assert stored(database) == {"lesson-neuroception": (33_000, False)}
    assert "MEDIA_ERROR_SERVICE_UNAVAILABLE" in caplog.text
    assert USER_ID not in caplog.text
    resumed = alexa.intent("AMAZON.ResumeIntent")
    assert stream(resumed)["offsetInMilliseconds"] == 33_000


def test_exception_encountered_is_logged_and_answered_empty(
        alexa: AlexaActions, caplog: pytest.LogCaptureFixture) -> None:
    """System.ExceptionEncountered is logged without user ids and answered with nothing."""
    with caplog.at_level(logging.INFO):
        answer = alexa.send(alexa.envelope({
            "type": "System.ExceptionEncountered",
            "error": {"type": "INVALID_RESPONSE", "message": "outputSpeech not allowed"},
            "cause": {"requestId": "amzn1.echo-api.request.1"},
        }, in_session=False))
    quiet(answer)
    assert not directives(answer)
    assert "INVALID_RESPONSE" in caplog.text and "outputSpeech not allowed" in caplog.text
    assert USER_ID not in caplog.text


@pytest.mark.parametrize("kind", [
    "PlaybackStarted", "PlaybackStopped", "PlaybackFinished", "PlaybackNearlyFinished",
    "PlaybackFailed",
])
def test_player_events_never_speak(alexa: AlexaActions, kind: str) -> None:
    """Alexa rejects speech, cards and reprompts in answers to AudioPlayer events."""
    quiet(alexa.player_event(kind, LESSON_1, 1_000))


@pytest.mark.parametrize("command", [
    "PlayCommandIssued", "PauseCommandIssued", "NextCommandIssued", "PreviousCommandIssued",
])
def test_buttons_never_speak(alexa: AlexaActions, command: str) -> None:
    """Hardware and touch buttons get directives at most, never speech, a card or a reprompt."""
    playing(alexa, LESSON_2, heard=5_000)
    answer = alexa.controller(command)
    quiet(answer)
    assert "shouldEndSession" not in answer["response"]


def test_buttons_with_nothing_played_yet_are_answered_empty(alexa: AlexaActions) -> None:
    """Play, next and previous buttons before anything was played do nothing, silently."""
    for command in ("PlayCommandIssued", "NextCommandIssued", "PreviousCommandIssued"):
        answer = alexa.controller(command)
        quiet(answer)
        assert not directives(answer)


# --- Pause, stop and resume ---------------------------------------------------------------------
def test_pause_stops_at_once_and_keeps_the_place(alexa: AlexaActions,
                                                 database: Database) -> None:
    """'Pause' stops the player with no speech and saves the offset the device reports."""
    playing(alexa, LESSON_1, heard=45_000)
    answer = alexa.intent("AMAZON.PauseIntent")
    assert stops(answer)
    assert "outputSpeech" not in answer["response"]
    assert ends_session(answer) is True
    assert stored(database) == {"lesson-what-are-glimmers": (45_000, False)}
    alexa.player_event("PlaybackStopped", LESSON_1, 45_400)
    assert stored(database) == {"lesson-what-are-glimmers": (45_400, False)}


def test_the_pause_button_stops_and_keeps_the_place(alexa: AlexaActions,
                                                    database: Database) -> None:
    """The pause button sends a Stop directive and saves the context's offset."""
    playing(alexa, SOUND, heard=20_000)
    answer = alexa.controller("PauseCommandIssued")
    assert stops(answer)
    assert stored(database) == {"sound-practice": (20_000, False)}


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_while_playing_stops_the_player_with_one_kind_word(
        alexa: AlexaActions, database: Database, intent: str) -> None:
    """Stop and cancel during audio stop it at once, say one kind word, and end the session."""
    playing(alexa, SOUND, heard=30_000)
    answer = alexa.intent(intent)
    assert stops(answer)
    assert speech(answer) == "Okay."
    assert ends_session(answer) is True
    assert stored(database) == {"sound-practice": (30_000, False)}


def test_stop_when_nothing_plays_is_the_usual_goodbye(alexa: AlexaActions) -> None:
    """Stop after the audio has stopped ends the session kindly, with no player directive."""
    playing(alexa, SOUND, heard=30_000)
    alexa.player_event("PlaybackStopped", SOUND, 30_000)
    answer = alexa.intent("AMAZON.StopIntent")
    assert not directives(answer)
    assert speech(answer) and "?" not in speech(answer)
    assert ends_session(answer) is True


def test_resume_plays_from_the_stored_offset(alexa: AlexaActions) -> None:
    """'Resume' replays the device's item from where it stopped, with the same token and URL."""
    playing(alexa, LESSON_2, heard=70_000)
    alexa.intent("AMAZON.PauseIntent")
    alexa.player_event("PlaybackStopped", LESSON_2, 70_200)
    answer = alexa.intent("AMAZON.ResumeIntent")
    assert stream(answer) == {"token": LESSON_2, "offsetInMilliseconds": 70_200,
                              "url": "http://localhost/audio/lesson-2-ffff6666.mp3"}
    assert ends_session(answer) is True
    assert "card" not in answer["response"]


def test_the_play_button_resumes_without_a_word(alexa: AlexaActions) -> None:
    """The play button resumes at the stored offset, with nothing spoken."""
    playing(alexa, SOUND, heard=12_000)
    alexa.controller("PauseCommandIssued")
    alexa.player_event("PlaybackStopped", SOUND, 12_300)
    answer = alexa.controller("PlayCommandIssued")
    quiet(answer)
    assert stream(answer)["offsetInMilliseconds"] == 12_300
    assert stream(answer)["token"] == SOUND


def test_resume_on_another_device_uses_the_latest_unfinished_item(alexa: AlexaActions) -> None:
    """Without a token in the device's context, resume picks the most recent unfinished item."""
    playing(alexa, LESSON_1)
    alexa.player_event("PlaybackStopped", LESSON_1, 15_000)
    alexa.player_event("PlaybackStarted", SOUND, 0)
    alexa.player_event("PlaybackFinished", SOUND, 182_000)
    alexa.device.player_token = None
    alexa.device.player_activity = "IDLE"
    answer = alexa.intent("AMAZON.ResumeIntent")
    assert stream(answer)["token"] == LESSON_1
    assert stream(answer)["offsetInMilliseconds"] == 15_000


def test_resume_with_nothing_to_resume_says_what_is_possible(alexa: AlexaActions) -> None:
    """'Resume' with no unfinished item explains kindly and waits."""
    answer = alexa.intent("AMAZON.ResumeIntent")
    assert "nothing to resume" in speech(answer)
    assert not directives(answer)
    assert ends_session(answer) is False


def test_transport_intents_on_a_device_without_audio_player_answer_plainly(
        alexa: AlexaActions) -> None:
    """Resume, start over and pause on a device without AudioPlayer send no player directive."""
    playing(alexa, LESSON_1, heard=5_000)
    alexa.player_event("PlaybackStopped", LESSON_1, 5_000)
    alexa.device.audio_player = False
    for intent in ("AMAZON.ResumeIntent", "AMAZON.StartOverIntent", "AMAZON.PauseIntent"):
        answer = alexa.intent(intent)
        assert not directives(answer), intent
        assert speech(answer)


def test_a_changed_recording_resumes_from_the_start(alexa: AlexaActions) -> None:
    """An offset stored against an older version of a file is not reused on the new one."""
    old = "lesson-neuroception@0ld0ld00"
    alexa.player_event("PlaybackStarted", old, 0)
    alexa.player_event("PlaybackStopped", old, 100_000)
    answer = alexa.intent("ContinueLessonIntent")
    assert stream(answer) == {"token": LESSON_2, "offsetInMilliseconds": 0,
                              "url": "http://localhost/audio/lesson-2-ffff6666.mp3"}


def test_start_over_plays_from_the_beginning(alexa: AlexaActions) -> None:
    """'Start over' replays the current item at offset 0."""
    playing(alexa, LESSON_3, 0, heard=90_000)
    answer = alexa.intent("AMAZON.StartOverIntent")
    assert stream(answer) == {"token": LESSON_3, "offsetInMilliseconds": 0,
                              "url": "http://localhost/audio/lesson-3-abab7777.mp3"}


# --- Next and previous --------------------------------------------------------------------------
def test_next_and_previous_move_through_the_lessons(alexa: AlexaActions) -> None:
    """'Next' during lesson 2 plays lesson 3 (with its note); 'previous' plays lesson 1."""
    playing(alexa, LESSON_2, heard=10_000)
    forward = alexa.intent("AMAZON.NextIntent")
    assert stream(forward)["token"] == LESSON_3
    assert speech(forward).index("A note first") < speech(forward).index("lesson 3")
    assert ends_session(forward) is True
    back = alexa.intent("AMAZON.PreviousIntent")
    assert stream(back)["token"] == LESSON_1


def test_next_and_previous_buttons_move_without_speech(alexa: AlexaActions) -> None:
    """The next and previous buttons switch lessons silently."""
    playing(alexa, LESSON_2, heard=10_000)
    assert stream(alexa.controller("NextCommandIssued"))["token"] == LESSON_3
    assert stream(alexa.controller("PreviousCommandIssued"))["token"] == LESSON_1


def test_next_picks_up_a_lesson_where_it_was_left(alexa: AlexaActions) -> None:
    """Moving to a lesson already partway through continues it rather than repeating it."""
    playing(alexa, LESSON_3, heard=50_000)
    alexa.player_event("PlaybackStopped", LESSON_3, 50_000)
    playing(alexa, LESSON_2, heard=5_000)
    assert stream(alexa.intent("AMAZON.NextIntent"))["offsetInMilliseconds"] == 50_000


def test_next_and_previous_move_through_the_practices(alexa: AlexaActions,
                                                      library: Library) -> None:
    """During a practice, next and previous follow the practice list (shortest first)."""
    practices = [item.token for item in library.practices]
    playing(alexa, practices[1], heard=3_000)
    assert stream(alexa.intent("AMAZON.NextIntent"))["token"] == practices[2]
    assert stream(alexa.intent("AMAZON.PreviousIntent"))["token"] == practices[0]


def test_next_after_the_last_lesson_says_so(alexa: AlexaActions) -> None:
    """'Next' at the end of the series says so gently; the button does nothing."""
    playing(alexa, LESSON_3, heard=3_000)
    answer = alexa.intent("AMAZON.NextIntent")
    assert "last one" in speech(answer)
    assert not directives(answer)
    button = alexa.controller("NextCommandIssued")
    quiet(button)
    assert not directives(button)


@pytest.mark.parametrize("intent", [
    "AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent",
    "AMAZON.ShuffleOffIntent", "AMAZON.RepeatIntent",
])
def test_loop_shuffle_and_repeat_are_answered_gracefully(alexa: AlexaActions,
                                                         intent: str) -> None:
    """Loop, shuffle and repeat get a kind word on what is possible, never an error."""
    playing(alexa, SOUND, heard=3_000)
    answer = alexa.intent(intent)
    assert "You could say pause, resume, or start over" in speech(answer)
    assert not directives(answer)


# --- A whole series -----------------------------------------------------------------------------
def test_a_whole_lesson_series_across_sessions_loses_and_repeats_nothing(
        alexa: AlexaActions, database: Database, library: Library, clock: Any) -> None:
    """Every lesson is heard end to end across days and pauses, each moment exactly once."""
    heard: dict[str, list[tuple[int, int]]] = {}
    for index, lesson in enumerate(library.lessons):
        clock.advance(days=1)
        welcome = alexa.launch()
        assert "day" not in speech(welcome) and "streak" not in speech(welcome)
        ask = "PlayLessonIntent" if index == 0 else "NextLessonIntent"
        answer = alexa.intent(ask, **({"ordinal": "first"} if index == 0 else {}))
        assert stream(answer) == {"token": lesson.token, "offsetInMilliseconds": 0,
                                  "url": f"http://localhost/audio/{lesson.file}"}
        end = int(lesson.duration_seconds * 1000)
        first_pause, second_pause = end // 3, 2 * end // 3

        # Part one, then "Alexa, pause".
        playing(alexa, lesson.token, 0, heard=first_pause)
        assert stops(alexa.intent("AMAZON.PauseIntent"))
        alexa.player_event("PlaybackStopped", lesson.token, first_pause)
        heard.setdefault(lesson.id, []).append((0, first_pause))

        # The next day: welcomed back, reminded of the lesson, and "continue my lesson".
        clock.advance(hours=20)
        welcome = alexa.launch()
        assert lesson.title in speech(welcome)
        answer = alexa.intent("ContinueLessonIntent")
        assert stream(answer)["offsetInMilliseconds"] == first_pause
        assert stream(answer)["token"] == lesson.token

        # Part two, then the pause button and the play button.
        playing(alexa, lesson.token, first_pause, heard=second_pause - first_pause)
        assert stops(alexa.controller("PauseCommandIssued"))
        alexa.player_event("PlaybackStopped", lesson.token, second_pause)
        heard[lesson.id].append((first_pause, second_pause))
        clock.advance(hours=3)
        resumed = alexa.controller("PlayCommandIssued")
        assert stream(resumed)["offsetInMilliseconds"] == second_pause

        # Part three, to the end.
        playing(alexa, lesson.token, second_pause, heard=end - second_pause)
        alexa.player_event("PlaybackFinished", lesson.token, end)
        heard[lesson.id].append((second_pause, end))
        assert stored(database)[lesson.id] == (0, True)

    for lesson in library.lessons:
        spans = heard[lesson.id]
        assert spans[0][0] == 0 and spans[-1][1] == int(lesson.duration_seconds * 1000)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert all(completed for _, completed in stored(database).values())
    clock.advance(days=1)
    assert speech(alexa.launch()).startswith("Welcome back.")
    assert "heard all 3 lessons" in speech(alexa.intent("NextLessonIntent"))


def test_launch_after_a_paused_lesson_mentions_it_neutrally(alexa: AlexaActions,
                                                           clock: Any) -> None:
    """The next launch welcomes back, names the unfinished lesson, and never counts days."""
    alexa.launch()
    alexa.session_ended()
    playing(alexa, LESSON_2, heard=40_000)
    alexa.intent("AMAZON.PauseIntent")
    clock.advance(days=4)
    said = speech(alexa.launch())
    assert said.startswith("Welcome back")
    assert "Neuroception" in said
    assert not any(word in said for word in ("day", "4", "four", "missed", "streak"))


def test_a_practice_played_to_the_end_is_not_resumed(alexa: AlexaActions,
                                                     database: Database) -> None:
    """After a practice finishes, 'resume' does not replay it."""
    playing(alexa, SOUND, heard=182_000)
    alexa.player_event("PlaybackFinished", SOUND, 182_000)
    assert "nothing to resume" in speech(alexa.intent("AMAZON.ResumeIntent"))


def test_user_ids_are_never_logged(alexa: AlexaActions,
                                   caplog: pytest.LogCaptureFixture) -> None:
    """A whole play, pause, resume and finish logs no user or device id."""
    with caplog.at_level(logging.DEBUG):
        alexa.intent("PlayLessonIntent", number="1")
        playing(alexa, LESSON_1, heard=5_000)
        alexa.intent("AMAZON.PauseIntent")
        alexa.player_event("PlaybackStopped", LESSON_1, 5_000)
        alexa.controller("PlayCommandIssued")
        alexa.player_event("PlaybackFinished", LESSON_1, 200_000)
    assert USER_ID not in caplog.text
    assert "TESTDEVICE" not in caplog.text


# --- The domain, without Alexa or a database ----------------------------------------------------
def _item(id: str, kind: str, senses: tuple[str, ...], seconds: float,
          order: int | None = None) -> Item:
    return Item(id=id, kind=kind, title=id.replace("-", " ").title(), senses=senses,
                order=order, duration_seconds=seconds, file=f"{id}-v1.mp3", version="v1",
                transcript=f"{id} transcript.")


REAL_SHAPE = Library(items=(
    _item("sound-practice", "practice", ("sound",), 185),
    _item("sight-practice", "practice", ("sight",), 182),
    _item("touch-practice", "practice", ("touch",), 181),
    _item("smell-practice", "practice", ("smell",), 152),
    _item("taste-practice", "practice", ("taste",), 184),
    _item("body-shifts", "practice", ("body",), 243),
    _item("shifting-the-question", "practice", ("body", "sight", "sound"), 186),
    _item("lingering", "practice", ("body", "connection"), 183),
    _item("grounding", "practice", ("touch", "sound", "body", "sight"), 180),
    _item("five-senses", "practice", ("sight", "sound", "touch", "smell", "taste"), 425),
    _item("grounding-minute", "clip", ("body", "sound"), 62),
    _item("linger", "clip", ("body",), 18),
    _item("lesson-b", "lesson", (), 200, order=2),
    _item("lesson-a", "lesson", (), 200, order=1),
))


@pytest.mark.parametrize(("topic", "expected"), [
    ("sound", "sound-practice"), ("sight", "sight-practice"), ("touch", "touch-practice"),
    ("smell", "smell-practice"), ("taste", "taste-practice"), ("body", "body-shifts"),
    ("grounding", "grounding"), ("linger", "lingering"), ("shift", "shifting-the-question"),
    ("five-senses", "five-senses"),
])
def test_every_topic_finds_its_practice_in_the_real_library_shape(topic: str,
                                                                  expected: str) -> None:
    """The topic table maps every PRACTICE_TOPIC id to the rendered library's practice ids."""
    chosen = playback.choose_practice(REAL_SHAPE, playback.topic_for(topic), None)
    assert chosen is not None and chosen.id == expected


def test_spoken_topics_and_lengths_resolve_without_entity_resolution() -> None:
    """Synonyms from the slot types resolve even when Alexa sends only the spoken words."""
    assert playback.topic_for("Listening") == playback.TOPICS_BY_ID["sound"]
    assert playback.topic_for("shifting the question") == playback.TOPICS_BY_ID["shift"]
    assert playback.topic_for("juggling") is None
    assert playback.length_for("quick") is playback.Length.SHORT
    assert playback.length_for("LONG") is playback.Length.LONG
    assert playback.length_for(None) is None


def test_choices_are_three_varied_with_the_longer_one_last() -> None:
    """Offered practices are at most three, of different topics, the long one offered last."""
    choices = playback.practice_choices(REAL_SHAPE)
    assert len(choices) == 3
    assert choices[-1].id == "five-senses"
    assert len({playback.topic_of(item) for item in choices}) == 3


def test_lessons_come_in_order_and_next_is_the_first_unfinished() -> None:
    """next_lesson follows teaching order and skips only finished lessons."""
    a = Position("lesson-a", "lesson-a@v1", 0, completed=True)
    b = Position("lesson-b", "lesson-b@v1", 5_000, completed=False)
    assert [item.id for item in REAL_SHAPE.lessons] == ["lesson-a", "lesson-b"]
    assert playback.next_lesson([], REAL_SHAPE) == REAL_SHAPE.get("lesson-a")
    assert playback.next_lesson([a], REAL_SHAPE) == REAL_SHAPE.get("lesson-b")
    assert playback.next_lesson([b, a], REAL_SHAPE) == REAL_SHAPE.get("lesson-b")
    assert playback.next_lesson([Position("lesson-b", "lesson-b@v1", 0, True), a],
                                REAL_SHAPE) is None


def test_continue_prefers_the_latest_lesson_partway_through() -> None:
    """continue_lesson resumes the most recently touched unfinished lesson at its offset."""
    progress = [Position("lesson-b", "lesson-b@v1", 9_000, False),
                Position("lesson-a", "lesson-a@v1", 4_000, False)]
    outcome = playback.continue_lesson(REAL_SHAPE, progress)
    assert isinstance(outcome, Play)
    assert (outcome.item.id, outcome.offset_ms) == ("lesson-b", 9_000)


def test_resume_falls_back_from_an_unknown_context_token() -> None:
    """resume uses the device's token when known, else the latest resumable stored item."""
    progress = [Position("sound-practice", "sound-practice@v1", 0, True),
                Position("lesson-a", "lesson-a@v1", 4_000, False)]
    plan = playback.resume(Player("gone@1", 100, "STOPPED"), progress, REAL_SHAPE)
    assert plan is not None and (plan.item.id, plan.offset_ms) == ("lesson-a", 4_000)
    plan = playback.resume(Player("sound-practice@v1", 100, "FINISHED"), progress, REAL_SHAPE)
    assert plan is not None and plan.item.id == "lesson-a"
    assert playback.resume(Player(), [], REAL_SHAPE) is None


def test_resume_uses_the_device_offset_when_no_stop_event_arrived() -> None:
    """If the stop event was lost, the device's own offset is used rather than the start."""
    plan = playback.resume(Player("lesson-b@v1", 7_000, "STOPPED"), [], REAL_SHAPE)
    assert plan is not None and plan.offset_ms == 7_000


def test_offsets_past_the_end_or_of_another_version_restart() -> None:
    """A stored offset is reused only for the same version and only inside the file."""
    item = REAL_SHAPE.get("lesson-a")
    assert item is not None
    assert playback.offset_in(item, Position("lesson-a", "lesson-a@v1", 5_000, False)) == 5_000
    assert playback.offset_in(item, Position("lesson-a", "lesson-a@v0", 5_000, False)) == 0
    assert playback.offset_in(item, Position("lesson-a", "lesson-a@v1", 999_000, False)) == 0


def test_events_map_to_what_is_stored() -> None:
    """Started, stopped and failed keep the offset; finished resets it and completes."""
    assert playback.record("AudioPlayer.PlaybackStopped", 42) == playback.Record(42, False)
    assert playback.record("AudioPlayer.PlaybackFinished", 42) == playback.Record(0, True)
    assert playback.record("AudioPlayer.PlaybackNearlyFinished", 42) is None
    assert playback.pause_record(Player("x@1", 10, "PLAYING")) == playback.Record(10, False)
    assert playback.pause_record(Player("x@1", 10, "FINISHED")) is None


def test_lesson_numbers_from_numbers_and_ordinals() -> None:
    """Numbers, ordinal words, '2nd' and 'last' all give a lesson number."""
    assert playback.requested_number("2", None, 5) == 2
    assert playback.requested_number(None, "second", 5) == 2
    assert playback.requested_number(None, "2nd", 5) == 2
    assert playback.requested_number(None, "last", 5) == 5
    assert playback.requested_number(None, None, 5) is None


def test_cards_are_cut_at_a_sentence_and_cite_sources() -> None:
    """Long transcripts are cut at a sentence before the card limit; sources are appended."""
    base = parse_manifest(LIBRARY_MANIFEST).get("lesson-neuroception")
    assert base is not None
    long = Item(**{**base.__dict__, "transcript": "A calm sentence here. " * 600})
    text = playback.card_text(long)
    assert len(text) < playback.CARD_LIMIT + 100
    assert text.startswith("A calm sentence here.")
    assert "here. …" in text
    assert text.endswith("Sources: Porges 2011")


def test_unknown_topic_offers_choices_and_never_plays() -> None:
    """A topic that did not resolve gets choices rather than a surprise practice."""
    outcome = playback.start_practice(REAL_SHAPE, None, None, named=True, audio_player=True)
    assert isinstance(outcome, Say) and outcome.key == "practice_unknown"
    assert 0 < len(outcome.choices) <= playback.MAX_CHOICES
