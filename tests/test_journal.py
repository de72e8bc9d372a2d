"""The voice journal through POST /alexa: log, body, linger, nothing today, recall, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from skill.store.db import Database
from skill.store.models import Glimmer, Person, Preferences
from tests.support.alexa import DEVICE_ID, AlexaActions, directives, ends_session, reprompt, speech
from tests.support.clock import FrozenClock
from tests.support.settings_api import SettingsApi

ROOT = Path(__file__).resolve().parent.parent


def glimmers(database: Database) -> list[Glimmer]:
    """Every stored glimmer, oldest first."""
    with database.session() as session:
        return list(session.scalars(select(Glimmer).order_by(Glimmer.id)))


def log(alexa: AlexaActions, moment: str | None) -> dict:
    """Logs a glimmer as a one-shot and closes the session quietly."""
    answer = alexa.intent("LogGlimmerIntent", new_session=True, moment=moment)
    return answer


# --- logging -------------------------------------------------------------------------------

def test_log_saves_verbatim_tags_senses_and_offers_to_linger(
    alexa: AlexaActions, database: Database
) -> None:
    """'I noticed the warm mug in my hands' is kept as said, tagged, and acknowledged."""
    answer = log(alexa, "the warm mug in my hands")
    assert "Saved: the warm mug in my hands." in speech(answer)
    assert "stay with it" in speech(answer)
    assert ends_session(answer) is False
    [stored] = glimmers(database)
    assert stored.text == "the warm mug in my hands"
    assert "touch" in stored.sense_names
    assert stored.created_at == alexa.clock()


def test_log_without_content_elicits_the_moment(alexa: AlexaActions, database: Database) -> None:
    """'Log a glimmer' alone asks 'What did you notice?' through Dialog.ElicitSlot."""
    answer = log(alexa, None)
    assert speech(answer).endswith("What did you notice?")
    [directive] = directives(answer)
    assert directive["type"] == "Dialog.ElicitSlot"
    assert directive["slotToElicit"] == "moment"
    assert ends_session(answer) is False
    assert glimmers(database) == []
    answer = alexa.intent("LogGlimmerIntent", dialog_state="IN_PROGRESS",
                          moment="birdsong outside")
    assert "Saved: birdsong outside." in speech(answer)
    assert [g.text for g in glimmers(database)] == ["birdsong outside"]


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_moment_in_dialog_is_asked_again_and_nothing_saved(
    alexa: AlexaActions, database: Database, value: str
) -> None:
    """An empty or whitespace answer to the elicitation is met kindly and stores nothing."""
    answer = alexa.intent("LogGlimmerIntent", dialog_state="IN_PROGRESS", moment=value)
    assert "didn't catch" in speech(answer)
    assert ends_session(answer) is False
    assert glimmers(database) == []


def test_huge_moment_is_cut_at_a_word_and_the_person_is_told(
    alexa: AlexaActions, database: Database
) -> None:
    """A 5,000-character moment keeps the first part (≤ 500 chars, whole words) and says so."""
    words = ("sunlight on the kitchen table " * 200)[:5000]
    answer = log(alexa, words)
    assert "kept the first part" in speech(answer)
    [stored] = glimmers(database)
    assert 400 < len(stored.text) <= 500
    assert words.startswith(stored.text)
    assert words[len(stored.text)] == " "


def test_emoji_only_moment_is_not_saved(alexa: AlexaActions, database: Database) -> None:
    """A moment with no words in it gets a gentle ask to say it again."""
    answer = log(alexa, "🌞🌿☕")
    assert "couldn't make out words" in speech(answer)
    assert ends_session(answer) is False
    assert glimmers(database) == []


def test_ssml_like_moment_is_stored_verbatim_and_spoken_escaped(
    alexa: AlexaActions, database: Database
) -> None:
    """Text like <speak>, & and quotes is kept as said and escaped in the answer."""
    moment = 'tea & "toast" <speak>with</speak> my cat\'s purr'
    answer = log(alexa, moment)
    assert glimmers(database)[0].text == moment
    ssml = speech(answer)
    assert "&amp;" in ssml and "&lt;speak&gt;" in ssml and "&quot;toast&quot;" in ssml
    assert "<speak>with" not in ssml


def test_non_english_moment_is_kept(alexa: AlexaActions, database: Database) -> None:
    """Words in another language or script are kept as said, with no sense guessed wrongly."""
    answer = log(alexa, "el olor del café de mi abuela")
    assert "Saved:" in speech(answer)
    log(alexa, "お茶の温かさ")
    assert [g.text for g in glimmers(database)] == ["el olor del café de mi abuela", "お茶の温かさ"]


# --- body and lingering --------------------------------------------------------------------

def test_bodily_shift_is_noted_on_the_glimmer_just_logged(
    alexa: AlexaActions, database: Database
) -> None:
    """'My body felt lighter' right after logging is stored with that glimmer."""
    log(alexa, "a friend's laugh")
    answer = alexa.intent("RecordShiftIntent", shift="my shoulders dropped")
    assert "my shoulders dropped" in speech(answer)
    assert ends_session(answer) is True
    [stored] = glimmers(database)
    assert stored.shift == "my shoulders dropped"


def test_bodily_shift_without_a_recent_glimmer_is_not_stored(
    alexa: AlexaActions, database: Database, clock: FrozenClock
) -> None:
    """A shift with no glimmer in the last hour asks for the moment first."""
    log(alexa, "rain on the window")
    clock.advance(hours=2)
    answer = alexa.intent("RecordShiftIntent", new_session=True, shift="my breath slowed")
    assert "First" in speech(answer)
    assert glimmers(database)[0].shift is None


def test_yes_to_lingering_gives_about_fifteen_seconds_with_real_pauses(
    alexa: AlexaActions, library
) -> None:
    """Yes after a log plays the linger clip, or guidance with breaks of at most 10 s."""
    log(alexa, "the cat asleep on my lap")
    answer = alexa.intent("AMAZON.YesIntent")
    clip = library.get("linger")
    assert f'<audio src="http://localhost/audio/{clip.file}"/>' in speech(answer)
    assert ends_session(answer) is True


def test_linger_guidance_without_a_clip_uses_short_breaks(
    make_app, database: Database, clock: FrozenClock
) -> None:
    """Without rendered audio the linger guidance is speech with breaks of at most 10 s."""
    from skill.guide.library import Library

    app = make_app(database, library=Library(items=(), available=False))
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    log(alexa, "warm socks")
    ssml = speech(alexa.intent("AMAZON.YesIntent"))
    import re
    breaks = [int(s) for s in re.findall(r'<break time="(\d+)s"/>', ssml)]
    assert breaks and max(breaks) <= 10 and 10 <= sum(breaks) <= 20


def test_no_to_lingering_closes_gently(alexa: AlexaActions) -> None:
    """No after a log closes with one word, no pep talk."""
    log(alexa, "a good song")
    answer = alexa.intent("AMAZON.NoIntent")
    assert speech(answer) == "Okay."
    assert ends_session(answer) is True


def test_stop_offering_turns_lingering_off_for_good_and_back_on(
    alexa: AlexaActions, database: Database
) -> None:
    """'Stop offering that' removes the offer for good; 'offer lingering again' restores it."""
    answer = alexa.intent("LingerOffIntent", new_session=True)
    assert "won't offer" in speech(answer)
    after = log(alexa, "the smell of rain")
    assert "stay with it" not in speech(after)
    with database.session() as session:
        assert session.scalars(select(Preferences)).one().offer_linger is False
    alexa.intent("LingerOnIntent", new_session=True)
    assert "stay with it" in speech(log(alexa, "soft blanket"))


# --- nothing today -------------------------------------------------------------------------

def test_nothing_today_is_warm_and_offers_the_shifted_question(
    alexa: AlexaActions, database: Database
) -> None:
    """'I can't find one' gets warmth, the shifted question, and no pep talk."""
    answer = alexa.intent("NothingTodayIntent")
    text = speech(answer)
    assert "That's okay" in text and "neutral" in text
    assert "bright side" not in text and "grateful" not in text
    assert ends_session(answer) is False
    closing = alexa.intent("AMAZON.NoIntent")
    assert ends_session(closing) is True
    assert glimmers(database) == []


def test_nothing_today_then_something_neutral_is_logged(
    alexa: AlexaActions, database: Database
) -> None:
    """Yes to the shifted question asks Alexa to capture the next words as the moment."""
    alexa.intent("NothingTodayIntent")
    answer = alexa.intent("AMAZON.YesIntent")
    [directive] = directives(answer)
    assert directive["type"] == "Dialog.ElicitSlot" and directive["slotToElicit"] == "moment"
    assert directive["updatedIntent"]["name"] == "LogGlimmerIntent"
    alexa.intent("LogGlimmerIntent", dialog_state="IN_PROGRESS",
                 moment="the chair holding me up")
    assert [g.text for g in glimmers(database)] == ["the chair holding me up"]


# --- recall --------------------------------------------------------------------------------

def test_read_me_a_glimmer_picks_one_from_the_last_thirty_days(
    alexa: AlexaActions, clock: FrozenClock
) -> None:
    """A random glimmer is read only from the last thirty days."""
    log(alexa, "an old memory of snow")
    clock.advance(days=31)
    log(alexa, "morning light on the wall")
    for _ in range(5):
        answer = alexa.intent("ReadGlimmerIntent", new_session=True)
        assert "morning light on the wall" in speech(answer)
        assert "snow" not in speech(answer)
        assert ends_session(answer) is True


def test_read_me_a_glimmer_about_a_sense(alexa: AlexaActions) -> None:
    """Asking for a sense reads a glimmer tagged with it, from a resolved or spoken value."""
    log(alexa, "birdsong at dawn")
    log(alexa, "the smell of fresh bread")
    answer = alexa.intent("ReadGlimmerIntent", sense="smells", slot_ids={"sense": "smell"})
    assert "fresh bread" in speech(answer)
    answer = alexa.intent("ReadGlimmerIntent", new_session=True, sense="hearing")
    assert "birdsong" in speech(answer)


def test_unknown_sense_says_what_it_knows_and_reads_any(alexa: AlexaActions) -> None:
    """An unknown sense names the known ones and reads any glimmer instead."""
    log(alexa, "a warm bath")
    answer = alexa.intent("ReadGlimmerIntent", new_session=True, sense="telepathy")
    assert "don't know that one as a sense" in speech(answer)
    assert "a warm bath" in speech(answer)


def test_read_with_an_empty_journal(alexa: AlexaActions) -> None:
    """With nothing logged, the answer is plain and kind."""
    answer = alexa.intent("ReadGlimmerIntent")
    assert "don't have any glimmers" in speech(answer)
    assert ends_session(answer) is True


def test_this_week_reads_three_newest_first_then_offers_more(
    alexa: AlexaActions, clock: FrozenClock
) -> None:
    """Recall lists up to three, newest first, then asks before reading more."""
    for index in range(5):
        log(alexa, f"moment number {index}")
        clock.advance(hours=1)
    answer = alexa.intent("RecallPeriodIntent", new_session=True, period="this week",
                          slot_ids={"period": "WEEK"})
    text = speech(answer)
    assert text.index("number 4") < text.index("number 3") < text.index("number 2")
    assert "number 1" not in text
    assert "hear more" in text and ends_session(answer) is False
    more = alexa.intent("AMAZON.YesIntent")
    assert "number 1" in speech(more) and "number 0" in speech(more)
    assert "number 4" not in speech(more)
    assert ends_session(more) is True


def test_today_uses_the_persons_time_zone(
    alexa: AlexaActions, clock: FrozenClock, time_zones: SettingsApi
) -> None:
    """'Today' starts at local midnight from the Settings API, cached between requests."""
    time_zones.zones[DEVICE_ID] = "America/Los_Angeles"
    clock.now = clock.now.replace(hour=7)  # 07:00 UTC is 23:00 the day before in Los Angeles
    log(alexa, "late evening tea")
    clock.advance(hours=2)  # 01:00 local: a new day there
    answer = alexa.intent("RecallPeriodIntent", new_session=True, period="today",
                          slot_ids={"period": "TODAY"})
    assert "late evening tea" not in speech(answer)
    assert "don't have any glimmers from today" in speech(answer)
    week = alexa.intent("RecallPeriodIntent", new_session=True, period="this week")
    assert "yesterday, late evening tea" in speech(week)
    assert time_zones.calls == 1


def test_time_zone_falls_back_to_utc_when_the_api_fails(
    alexa: AlexaActions, clock: FrozenClock, time_zones: SettingsApi
) -> None:
    """A failing Settings API means UTC, not an error."""
    time_zones.status = 500
    log(alexa, "a kind text message")
    answer = alexa.intent("RecallPeriodIntent", new_session=True, period="today")
    assert "today, a kind text message" in speech(answer)
    alexa.intent("RecallPeriodIntent", new_session=True, period="today")
    assert time_zones.calls == 1  # a failure is remembered for an hour, not retried each time
    clock.advance(minutes=61)
    alexa.intent("RecallPeriodIntent", new_session=True, period="today")
    assert time_zones.calls == 2


def test_count_is_a_plain_total(alexa: AlexaActions, clock: FrozenClock) -> None:
    """'How many glimmers have I logged' gives the total and nothing about days."""
    assert "haven't logged any" in speech(alexa.intent("CountGlimmersIntent"))
    for day in range(3):
        log(alexa, f"day {day} sunshine")
        clock.advance(days=3)
    answer = alexa.intent("CountGlimmersIntent", new_session=True)
    assert speech(answer) == "You've logged 3 glimmers in all."


# --- delete and know -----------------------------------------------------------------------

def test_delete_last_asks_then_deletes_on_yes(alexa: AlexaActions, database: Database) -> None:
    """'Delete my last glimmer' reads it back and deletes only after yes."""
    log(alexa, "first light")
    log(alexa, "second light")
    answer = alexa.intent("DeleteLastGlimmerIntent", new_session=True)
    assert "second light" in speech(answer) and ends_session(answer) is False
    assert reprompt(answer)
    done = alexa.intent("AMAZON.YesIntent")
    assert speech(done) == "Deleted."
    assert [g.text for g in glimmers(database)] == ["first light"]


def test_delete_last_no_keeps_it(alexa: AlexaActions, database: Database) -> None:
    """No keeps the glimmer."""
    log(alexa, "quiet morning")
    alexa.intent("DeleteLastGlimmerIntent", new_session=True)
    answer = alexa.intent("AMAZON.NoIntent")
    assert "kept it" in speech(answer)
    assert len(glimmers(database)) == 1


def test_delete_all_needs_confirmation(alexa: AlexaActions, database: Database) -> None:
    """'Delete all my glimmers' confirms first; DENIED keeps all; CONFIRMED deletes all."""
    log(alexa, "the dog's warm fur")
    ask = alexa.intent("DeleteAllDataIntent", new_session=True)
    assert directives(ask)[0]["type"] == "Dialog.ConfirmIntent"
    assert "can't be undone" in speech(ask) and ends_session(ask) is False
    denied = alexa.intent("DeleteAllDataIntent", confirmation="DENIED")
    assert "nothing was deleted" in speech(denied)
    assert len(glimmers(database)) == 1
    alexa.intent("DeleteAllDataIntent", new_session=True)
    done = alexa.intent("DeleteAllDataIntent", confirmation="CONFIRMED")
    assert "deleted everything" in speech(done)
    assert glimmers(database) == []
    with database.session() as session:
        assert session.scalars(select(Person)).all() == []


def test_privacy_answer_is_plain(alexa: AlexaActions) -> None:
    """'What do you keep about me' says what, where and how to delete."""
    text = speech(alexa.intent("PrivacyIntent"))
    assert "your own words" in text and "delete all my glimmers" in text
    assert "server" in text


def test_skill_disabled_event_deletes_the_persons_data(
    alexa: AlexaActions, database: Database
) -> None:
    """AlexaSkillEvent.SkillDisabled deletes everything kept about that person."""
    log(alexa, "the hum of the fridge")
    other = AlexaActions(client=alexa.client, clock=alexa.clock, user_id="amzn1.ask.account.OTHER")
    log(other, "a neighbour waving")
    response = alexa.skill_event("SkillDisabled", userInformationPersistenceStatus="PERSISTED")
    assert response.status_code == 200
    assert [g.text for g in glimmers(database)] == ["a neighbour waving"]


# --- crisis --------------------------------------------------------------------------------

@pytest.mark.parametrize("moment", [
    "i want to die",
    "honestly i dont want to wake up tomorrow",
    "the tea was warm but i cant do this anymore",
])
def test_crisis_language_gets_resources_first_and_is_never_stored(
    alexa: AlexaActions, database: Database, moment: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Crisis language gets the locale's resources first and is stored and logged nowhere."""
    caplog.set_level("DEBUG")
    answer = log(alexa, moment)
    text = speech(answer)
    assert text.index("988") < text.index("grounding")
    assert "haven't saved" in text
    assert ends_session(answer) is False
    assert glimmers(database) == []
    assert moment not in caplog.text
    grounding = alexa.intent("AMAZON.YesIntent")
    assert "grounding" in speech(grounding) or "<audio" in speech(grounding)
    assert ends_session(grounding) is False


def test_crisis_resources_follow_the_locale(alexa: AlexaActions) -> None:
    """In en-GB the Samaritans number comes first; in en-AU, Lifeline."""
    alexa.locale = "en-GB"
    assert "116 123" in speech(log(alexa, "I want to hurt myself"))
    alexa.locale = "en-AU"
    assert "13 11 14" in speech(log(alexa, "I want to hurt myself"))


def test_crisis_in_a_bodily_shift_is_not_stored(alexa: AlexaActions, database: Database) -> None:
    """A shift that carries crisis language gets resources and is not stored."""
    log(alexa, "sun on my face")
    answer = alexa.intent("RecordShiftIntent", shift="like I want to end it all")
    assert "988" in speech(answer)
    assert glimmers(database)[0].shift is None


def test_near_miss_is_logged_as_a_normal_glimmer(alexa: AlexaActions, database: Database) -> None:
    """'This cake is to die for' is a glimmer, not a crisis."""
    answer = log(alexa, "this cake is to die for")
    assert "Saved:" in speech(answer)
    assert glimmers(database)[0].text == "this cake is to die for"


def test_declining_grounding_repeats_the_resource_kindly(alexa: AlexaActions) -> None:
    """No to grounding repeats where help is and closes without abruptness."""
    log(alexa, "i want to die")
    answer = alexa.intent("AMAZON.NoIntent")
    assert "988" in speech(answer) and "alone" in speech(answer)


def test_yes_with_nothing_asked_is_not_an_error(alexa: AlexaActions) -> None:
    """A stray yes, with no question pending, is met with choices instead of an error."""
    answer = alexa.intent("AMAZON.YesIntent")
    assert speech(answer)
    assert ends_session(answer) is False


def test_recall_reads_nothing_of_another_person(alexa: AlexaActions) -> None:
    """One person's journal is never read to another."""
    log(alexa, "my private moment")
    other = AlexaActions(client=alexa.client, clock=alexa.clock, user_id="amzn1.ask.account.B")
    answer = other.intent("ReadGlimmerIntent")
    assert "private" not in speech(answer)


@pytest.mark.parametrize("moment", ["tea\x00 with honey", "warm \ud800socks", "\x07bell\x1b"])
def test_control_characters_and_lone_surrogates_are_dropped(
    alexa: AlexaActions, database: Database, moment: str
) -> None:
    """Characters that can't be spoken or stored are dropped, and the rest is kept."""
    answer = log(alexa, moment)
    assert "Saved:" in speech(answer)
    [stored] = glimmers(database)
    assert stored.text.replace(" ", "") in {"teawithhoney", "warmsocks", "bell"}


@pytest.mark.parametrize("moment", ["nothing", "Nothing today.", "not much", "I don't know"])
def test_nothing_as_a_moment_is_met_warmly_and_not_saved(
    alexa: AlexaActions, database: Database, moment: str
) -> None:
    """'I noticed nothing' is the nothing-today answer, never 'Saved: nothing'."""
    answer = log(alexa, moment)
    assert "That's okay" in speech(answer) and "Saved" not in speech(answer)
    assert glimmers(database) == []


def test_an_empty_shift_asks_again_through_the_dialog(alexa: AlexaActions) -> None:
    """A blank bodily shift asks again with Dialog.ElicitSlot, so a bare answer routes."""
    log(alexa, "sun on my hands")
    answer = alexa.intent("RecordShiftIntent", shift="   ")
    [directive] = directives(answer)
    assert directive["slotToElicit"] == "shift"
    assert directive["updatedIntent"]["name"] == "RecordShiftIntent"


@pytest.mark.parametrize("said", [
    "I want to die", "I can't do this anymore", "I'm not safe", "I don't want to wake up",
    "everyone would be better off without me", "I want to hurt myself",
])
def test_crisis_said_on_its_own_routes_to_resources(alexa: AlexaActions, said: str) -> None:
    """CARE's crisis phrases said on their own reach the crisis answer, not the fallback."""
    from skill.chat.language import load_model, resolve

    model = load_model(ROOT / "infra/alexa/skill-package/interactionModels/custom/en-US.json")
    resolution = resolve(said, model)
    assert resolution.intent == "CrisisIntent", said
    answer = alexa.intent("CrisisIntent")
    assert speech(answer).startswith("You can call or text")
    assert ends_session(answer) is False


def test_feelings_are_screened_and_met_warmly(alexa: AlexaActions, database: Database) -> None:
    """'I feel ...' with crisis language gets resources; otherwise a warm word; nothing stored."""
    crisis = alexa.intent("FeelingIntent", feeling="like i want to end it all")
    assert speech(crisis).startswith("You can call or text")
    calm = alexa.intent("FeelingIntent", new_session=True, feeling="tired and a bit flat")
    assert "Thank you for telling me" in speech(calm)
    assert "bright side" not in speech(calm)
    assert glimmers(database) == []


def test_crisis_numbers_are_read_digit_by_digit(alexa: AlexaActions) -> None:
    """988 and 741741 are marked up so Alexa says each digit."""
    ssml = speech(alexa.intent("CrisisIntent"))
    assert '<say-as interpret-as="digits">988</say-as>' in ssml
    assert '<say-as interpret-as="digits">741741</say-as>' in ssml
