"""The skill's skeleton: launch, help, stop, fallback and the edges of a session."""

from __future__ import annotations

from sqlalchemy import select

from skill.store.models import Person
from tests.support.alexa import USER_ID, AlexaActions, ends_session, reprompt, speech


def test_first_launch_says_the_note_once_then_welcomes(alexa: AlexaActions, database) -> None:
    """The first visit carries the not-therapy note; the next visit is a neutral welcome."""
    first = alexa.launch()
    assert "not a substitute for professional care" in speech(first)
    assert "not for emergencies" in speech(first)
    assert ends_session(first) is False
    assert reprompt(first)
    alexa.session_ended()
    second = alexa.launch()
    assert "not a substitute" not in speech(second)
    assert speech(second).startswith("Welcome back")
    with database.session() as session:
        people = session.scalars(select(Person)).all()
    assert len(people) == 1
    assert people[0].user_key != USER_ID and len(people[0].user_key) == 64


def test_help_keeps_the_session_open(alexa: AlexaActions) -> None:
    """Help explains with examples and waits for an answer."""
    answer = alexa.intent("AMAZON.HelpIntent")
    assert "I noticed" in speech(answer)
    assert ends_session(answer) is False


def test_stop_and_cancel_end_at_once(alexa: AlexaActions) -> None:
    """Stop and cancel end with one kind sentence and no question."""
    for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"):
        alexa.launch()
        answer = alexa.intent(name)
        assert ends_session(answer) is True
        assert "?" not in speech(answer)


def test_fallback_offers_what_is_possible(alexa: AlexaActions) -> None:
    """Out-of-domain speech gets choices, and the reprompt adds help."""
    answer = alexa.intent("AMAZON.FallbackIntent")
    assert "start a practice" in speech(answer)
    assert ends_session(answer) is False
    assert reprompt(answer) != speech(answer)


def test_unknown_intent_is_answered_politely(alexa: AlexaActions) -> None:
    """An intent from a newer model than this code knows gets a pointer, not an error."""
    answer = alexa.intent("SomeFutureIntent")
    assert speech(answer)
    assert ends_session(answer) is False


def test_session_ended_is_answered_empty(alexa: AlexaActions) -> None:
    """SessionEndedRequest is answered with nothing to say."""
    alexa.launch()
    answer = alexa.session_ended(reason="ERROR")
    assert answer["response"].get("outputSpeech") is None


def test_first_use_as_a_one_shot_also_hears_the_note_once(alexa: AlexaActions) -> None:
    """'Tell glimmers I noticed ...' as the very first use carries the note, and only once."""
    first = alexa.intent("LogGlimmerIntent", moment="the warm mug in my hands")
    assert speech(first).startswith("Before we start")
    assert "Saved: the warm mug in my hands." in speech(first)
    again = alexa.intent("LogGlimmerIntent", new_session=True, moment="rain on the roof")
    assert "not a substitute" not in speech(again)
    launch = alexa.launch()
    assert "not a substitute" not in speech(launch)


def test_crisis_on_first_use_puts_resources_first(alexa: AlexaActions) -> None:
    """When the first words are crisis language, the resource comes first and the note waits."""
    answer = alexa.intent("LogGlimmerIntent", moment="i want to die")
    assert speech(answer).startswith("You can call or text")
    assert "not a substitute" not in speech(answer)
    later = alexa.intent("AMAZON.HelpIntent", new_session=True)
    assert speech(later).startswith("Before we start")


def test_the_note_is_checked_once_per_session(alexa: AlexaActions, database) -> None:
    """After launch, later turns in the session neither repeat the note nor need to look it up."""
    alexa.launch()
    assert alexa.attributes.get("note_heard") is True
    answer = alexa.intent("AMAZON.HelpIntent")
    assert "not a substitute" not in speech(answer)
