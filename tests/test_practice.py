"""Practices and lessons: starting, choosing, listing, and devices that can't play long audio."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from skill.guide.library import Library
from skill.store.db import Database
from skill.store.models import Progress
from tests.support.alexa import AlexaActions, directives, ends_session, reprompt, speech


def play_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The one AudioPlayer.Play directive of an answer."""
    plays = [d for d in directives(answer) if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1, directives(answer)
    return plays[0]


def stream_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The stream of the answer's Play directive."""
    stream: dict[str, Any] = play_of(answer)["audioItem"]["stream"]
    return stream


def stored(database: Database) -> dict[str, tuple[int, bool]]:
    """Every progress row as content id -> (offset, completed)."""
    with database.session() as session:
        return {row.content_id: (row.offset_ms, row.completed)
                for row in session.scalars(select(Progress))}


def start(alexa: AlexaActions, topic: str | None = None, length: str | None = None,
          resolved: bool = True) -> dict[str, Any]:
    """'Start a {topic} practice', with the slot resolved as Alexa's entity resolution does."""
    slot_ids = {}
    if resolved and topic:
        slot_ids["topic"] = topic
    if resolved and length:
        slot_ids["length"] = length
    return alexa.intent("StartPracticeIntent", slot_ids=slot_ids, topic=topic, length=length)


# --- Starting a practice ----------------------------------------------------------------------
def test_a_sense_practice_plays_after_a_short_intro(alexa: AlexaActions) -> None:
    """'Start a sound practice' says what is coming and how long, then plays it by its token."""
    answer = start(alexa, "sound")
    directive = play_of(answer)
    assert directive["playBehavior"] == "REPLACE_ALL"
    assert directive["audioItem"]["stream"] == {
        "token": "sound-practice@aaaa1111",
        "url": "http://localhost/audio/sound-practice-aaaa1111.mp3",
        "offsetInMilliseconds": 0,
    }
    said = speech(answer)
    assert "sound practice" in said and "3 minutes" in said and "stop at any time" in said
    assert ends_session(answer) is True
    assert "reprompt" not in answer["response"]


def test_a_practice_start_carries_its_transcript_on_a_card(alexa: AlexaActions) -> None:
    """The transcript goes to the Alexa app, for people who prefer to read."""
    card = start(alexa, "touch")["response"]["card"]
    assert card == {"type": "Simple", "title": "Textures",
                    "content": "This is a short touch practice."}


@pytest.mark.parametrize(("topic", "expected"), [
    ("sound", "sound-practice"),
    ("touch", "touch-practice"),
    ("grounding", "grounding-practice"),
    ("body", "grounding-practice"),
    ("five-senses", "five-senses"),
    ("linger", "linger"),
])
def test_topics_find_items_by_sense_and_id(alexa: AlexaActions, topic: str,
                                           expected: str) -> None:
    """Each topic id from the interaction model finds the item that fits it best."""
    assert stream_of(start(alexa, topic))["token"].startswith(f"{expected}@")


def test_an_unresolved_spoken_topic_is_still_understood(alexa: AlexaActions) -> None:
    """A synonym that entity resolution did not match ('listening') still finds the practice."""
    answer = start(alexa, "listening", resolved=False)
    assert stream_of(answer)["token"] == "sound-practice@aaaa1111"


def test_start_a_practice_plays_an_everyday_one_never_the_long_one(alexa: AlexaActions) -> None:
    """With no topic the default is the listening practice; the longer one is never default."""
    answer = start(alexa)
    assert stream_of(answer)["token"] == "sound-practice@aaaa1111"


def test_a_short_practice_is_the_shortest(alexa: AlexaActions) -> None:
    """'I need a short practice' plays the shortest practice."""
    assert stream_of(start(alexa, length="SHORT"))["token"] == "grounding-practice@cccc3333"


def test_a_long_practice_is_offered_when_asked(alexa: AlexaActions) -> None:
    """'Start a long practice' plays the longer one, and says it takes nine minutes."""
    answer = start(alexa, length="LONG")
    assert stream_of(answer)["token"] == "five-senses@dddd4444"
    assert "9 minutes" in speech(answer)


def test_a_practice_always_starts_from_the_beginning(alexa: AlexaActions,
                                                     database: Database) -> None:
    """Asking for a practice by name starts it afresh; 'resume' is how to pick it up."""
    alexa.player_event("PlaybackStarted", "sound-practice@aaaa1111", 0)
    alexa.player_event("PlaybackStopped", "sound-practice@aaaa1111", 60_000)
    assert stream_of(start(alexa, "sound"))["offsetInMilliseconds"] == 0
    assert stored(database)["sound-practice"] == (60_000, False)


def test_an_unknown_topic_offers_three_choices(alexa: AlexaActions) -> None:
    """A practice we don't have is answered with at most three choices, and a question."""
    answer = start(alexa, "juggling", resolved=False)
    said = speech(answer)
    assert "I don't have a practice like that" in said
    assert said.count("-minute") == 3
    assert ends_session(answer) is False
    assert reprompt(answer) and reprompt(answer) != said
    assert not directives(answer)


def test_listing_practices_offers_at_most_three_by_sense_and_length(
        alexa: AlexaActions) -> None:
    """'What practices are there' names three varied practices, the longer one among them."""
    answer = alexa.intent("ListPracticesIntent")
    said = speech(answer)
    assert "There are 4 practices" in said
    assert said.count("-minute") == 3
    assert "the 3-minute sound practice" in said and "the 2-minute touch practice" in said
    assert "the 9-minute five senses practice" in said
    assert ends_session(answer) is False


# --- Devices without AudioPlayer ------------------------------------------------------------
def test_a_device_without_audio_player_gets_the_grounding_clip_in_speech(
        alexa: AlexaActions) -> None:
    """No AudioPlayer: a short clip plays inside speech, with no directive and a card."""
    alexa.device.audio_player = False
    answer = start(alexa)
    assert '<audio src="http://localhost/audio/grounding-minute-efef9999.mp3"/>' in speech(answer)
    assert "1 minute" in speech(answer) or "one minute" in speech(answer)
    assert not directives(answer)
    assert answer["response"]["card"]["title"] == "One minute of grounding"
    assert ends_session(answer) is True


def test_lingering_on_a_device_without_audio_player_is_its_clip(alexa: AlexaActions) -> None:
    """The lingering clip is short enough to play inside speech."""
    alexa.device.audio_player = False
    assert 'src="http://localhost/audio/linger-cdcd8888.mp3"' in speech(start(alexa, "linger"))


def test_a_long_practice_on_a_device_without_audio_player_is_a_plain_answer(
        alexa: AlexaActions) -> None:
    """A practice with no fitting short clip is explained plainly, never played inside speech."""
    alexa.device.audio_player = False
    answer = start(alexa, "five-senses")
    assert "can't play longer practices" in speech(answer)
    assert "<audio" not in speech(answer)
    assert not directives(answer)


def test_a_lesson_on_a_device_without_audio_player_offers_the_transcript(
        alexa: AlexaActions) -> None:
    """Lessons on such devices get the plain answer and the transcript on a card."""
    alexa.device.audio_player = False
    answer = alexa.intent("PlayLessonIntent", number="2")
    assert "read the transcript" in speech(answer)
    assert answer["response"]["card"]["title"] == "Neuroception"
    assert not directives(answer)


# --- No library -----------------------------------------------------------------------------
@pytest.mark.parametrize(("intent", "slots", "line"), [
    ("StartPracticeIntent", {"topic": "sound"}, "practices aren't ready"),
    ("ListPracticesIntent", {}, "practices aren't ready"),
    ("PlayLessonIntent", {"number": "1"}, "lessons aren't ready"),
    ("NextLessonIntent", {}, "lessons aren't ready"),
    ("ContinueLessonIntent", {}, "lessons aren't ready"),
    ("WhereWasIIntent", {}, "lessons aren't ready"),
    ("ListLessonsIntent", {}, "lessons aren't ready"),
])
def test_no_rendered_library_is_answered_kindly(make_app: Any, database: Database,
                                                clock: Any, intent: str,
                                                slots: dict[str, str], line: str) -> None:
    """Without a manifest, every practice and lesson request gets kind speech, not an error."""
    app = make_app(database, library=Library(items=(), available=False))
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    answer = alexa.intent(intent, **slots)
    assert line in speech(answer)
    assert not directives(answer)


# --- Lessons --------------------------------------------------------------------------------
@pytest.mark.parametrize(("slots", "token"), [
    ({"ordinal": "first"}, "lesson-what-are-glimmers@eeee5555"),
    ({"ordinal": "1st"}, "lesson-what-are-glimmers@eeee5555"),
    ({"number": "2"}, "lesson-neuroception@ffff6666"),
    ({"ordinal": "last"}, "lesson-after-trauma@abab7777"),
])
def test_lessons_play_by_number_or_ordinal(alexa: AlexaActions, slots: dict[str, str],
                                           token: str) -> None:
    """'Play the first lesson', 'play lesson 2' and 'the last lesson' find their lesson."""
    answer = alexa.intent("PlayLessonIntent", **slots)
    assert stream_of(answer)["token"] == token
    assert stream_of(answer)["url"].endswith(".mp3")


def test_a_lesson_intro_says_which_and_how_long(alexa: AlexaActions) -> None:
    """The intro names the lesson and its length, and the card carries transcript and sources."""
    answer = alexa.intent("PlayLessonIntent", ordinal="first")
    assert "lesson 1, What glimmers are" in speech(answer)
    assert "3 minutes" in speech(answer)
    card = answer["response"]["card"]
    assert card["title"] == "What glimmers are"
    assert "Glimmers are small moments." in card["content"] and "Dana 2018" in card["content"]


def test_a_lesson_with_a_content_note_says_it_first(alexa: AlexaActions) -> None:
    """A lesson that touches trauma directly is preceded by its content note."""
    alexa.launch()  # a returning person: the one-time first-use note is said at launch
    said = speech(alexa.intent("PlayLessonIntent", number="3"))
    assert said.startswith("A note first")
    assert "trauma" in said and "lesson 3" in said


def test_a_lesson_number_out_of_range_says_the_range(alexa: AlexaActions) -> None:
    """'Play lesson 9' of three explains the range and waits."""
    answer = alexa.intent("PlayLessonIntent", number="9")
    assert "There's no lesson 9" in speech(answer) and "1 to 3" in speech(answer)
    assert ends_session(answer) is False
    assert not directives(answer)


def test_listing_lessons_names_at_most_three(alexa: AlexaActions) -> None:
    """'What lessons are there' gives the count and the first three titles."""
    answer = alexa.intent("ListLessonsIntent")
    said = speech(answer)
    assert "There are 3 short lessons" in said
    assert "Lesson 1 is What glimmers are." in said and "Lesson 3 is Why glimmers matter." in said
    assert ends_session(answer) is False


def test_listing_lessons_after_one_starts_from_the_next(alexa: AlexaActions) -> None:
    """Once a lesson is finished, the list starts at the next one."""
    alexa.player_event("PlaybackStarted", "lesson-what-are-glimmers@eeee5555", 0)
    alexa.player_event("PlaybackFinished", "lesson-what-are-glimmers@eeee5555", 200_000)
    said = speech(alexa.intent("ListLessonsIntent"))
    assert "Coming up for you" in said and "Lesson 2 is Neuroception." in said
    assert "Lesson 1" not in said


def test_where_was_i_before_any_lesson(alexa: AlexaActions) -> None:
    """'Where was I' with nothing heard explains how to begin."""
    assert "haven't started a lesson" in speech(alexa.intent("WhereWasIIntent"))


def test_where_was_i_partway_and_between_lessons(alexa: AlexaActions) -> None:
    """'Where was I' names the lesson partway through, or the next one once it is finished."""
    token = "lesson-what-are-glimmers@eeee5555"
    alexa.player_event("PlaybackStarted", token, 0)
    alexa.player_event("PlaybackStopped", token, 80_000)
    assert "partway through lesson 1, What glimmers are" in speech(
        alexa.intent("WhereWasIIntent"))
    alexa.session_ended()
    alexa.player_event("PlaybackStarted", token, 80_000)
    alexa.player_event("PlaybackFinished", token, 200_000)
    assert "The next lesson is lesson 2, Neuroception" in speech(alexa.intent("WhereWasIIntent"))


def test_next_lesson_after_all_are_heard(alexa: AlexaActions, library: Library) -> None:
    """When every lesson is finished, 'next lesson' says so and offers to replay."""
    for lesson in library.lessons:
        alexa.player_event("PlaybackStarted", lesson.token, 0)
        alexa.player_event("PlaybackFinished", lesson.token, int(lesson.duration_seconds * 1000))
    answer = alexa.intent("NextLessonIntent")
    assert "You've heard all 3 lessons" in speech(answer)
    assert not directives(answer)
    assert ends_session(answer) is False


def test_continue_with_nothing_started_plays_the_first_lesson(alexa: AlexaActions) -> None:
    """'Continue my lesson' before any lesson begins the series at the start."""
    answer = alexa.intent("ContinueLessonIntent")
    assert stream_of(answer) == {"token": "lesson-what-are-glimmers@eeee5555",
                                 "url": "http://localhost/audio/lesson-1-eeee5555.mp3",
                                 "offsetInMilliseconds": 0}


def test_directive_urls_use_the_public_audio_base(make_app: Any, database: Database,
                                                  clock: Any) -> None:
    """GLIMMERS_AUDIO_BASE_URL is the base of every stream URL when set."""
    app = make_app(database, GLIMMERS_AUDIO_BASE_URL="https://cdn.example.org/glimmers")
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    answer = start(alexa, "sound")
    assert stream_of(answer)["url"] == "https://cdn.example.org/glimmers/sound-practice-aaaa1111.mp3"
