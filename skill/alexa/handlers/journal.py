"""Journal intents: log, bodily shift, linger, nothing today, recall, delete, privacy, crisis."""

from __future__ import annotations

import calendar
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, Response, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ConfirmIntentDirective, ElicitSlotDirective

from skill.alexa import request
from skill.alexa.handlers import Handler
from skill.alexa.handlers.session import skip_first_use_note
from skill.alexa.responses import ask, speech, tell
from skill.journal.glimmers import Kind, Period, When, WhenKind, describe_when, prepare
from skill.journal.senses import Sense, parse_sense
from skill.journal.service import DeviceAccess, Journal
from skill.speech import Speech
from skill.store import StorageError

EXPECTING = "expecting"


def _journal(handler: Handler, handler_input: HandlerInput) -> Journal:
    key = handler.services.keys.key(request.user_id(handler_input))
    return Journal(handler.services, key)


def _expect(handler_input: HandlerInput, what: str | None, **values: Any) -> None:
    attributes = request.session_attributes(handler_input)
    attributes.pop(EXPECTING, None)
    if what is not None:
        attributes[EXPECTING] = what
    attributes.update(values)


def _expecting(handler_input: HandlerInput) -> str | None:
    value = request.session_attributes(handler_input).get(EXPECTING)
    return str(value) if value else None


def _access(handler_input: HandlerInput) -> DeviceAccess | None:
    api = request.api_access(handler_input)
    device = request.device_id(handler_input)
    return DeviceAccess(api[0], api[1], device) if api and device else None


def _elicit(handler_input: HandlerInput, intent_name: str, slot: str) -> None:
    """Asks Alexa to capture the next words as `slot` of `intent_name`, so a bare answer routes."""
    handler_input.response_builder.add_directive(ElicitSlotDirective(
        slot_to_elicit=slot,
        updated_intent=Intent(
            name=intent_name,
            confirmation_status=IntentConfirmationStatus.NONE,
            slots={slot: Slot(name=slot, confirmation_status=SlotConfirmationStatus.NONE)},
        ),
    ))


def crisis_answer(handler_input: HandlerInput, say: Speech) -> Response:
    """Resources first, nothing stored, and an offer to stay for a minute of grounding."""
    skip_first_use_note(handler_input)
    _expect(handler_input, "grounding")
    return ask(handler_input, say("crisis"), say("crisis_reprompt"))


class LogGlimmerHandler(Handler):
    """'I noticed the warm mug in my hands': kept verbatim, tagged, acknowledged in their words."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "LogGlimmerIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        moment = request.slot_value(handler_input, "moment")
        if moment is None and request.dialog_state(handler_input) != "IN_PROGRESS":
            _elicit(handler_input, "LogGlimmerIntent", "moment")
            return ask(handler_input, say("ask_moment"), say("ask_moment_reprompt"))
        try:
            logged = _journal(self, handler_input).log(moment)
        except StorageError:
            skip_first_use_note(handler_input)  # the database is away: don't wait for it twice
            return ask(handler_input, say("storage_error"), say("help_reprompt"))
        kind, entry = logged.prepared.kind, logged.entry
        if kind is Kind.CRISIS:
            return crisis_answer(handler_input, say)
        if entry is None:
            if kind is Kind.NOTHING:
                _expect(handler_input, "shifted")
                return ask(handler_input, say("nothing_today"), say("nothing_today_reprompt"))
            _elicit(handler_input, "LogGlimmerIntent", "moment")
            key = "empty_moment" if kind is Kind.EMPTY else "unclear_moment"
            return ask(handler_input, say(key), say("ask_moment_reprompt"))
        ack = say("logged_cut" if logged.prepared.was_cut else "logged", moment=entry.text)
        if logged.offer_linger:
            _expect(handler_input, "linger", glimmer_id=entry.id)
            return ask(handler_input, f"{ack} {say('linger_offer')}", say("linger_offer_reprompt"))
        _expect(handler_input, None, glimmer_id=entry.id)
        return ask(handler_input, f"{ack} {say('logged_shift_offer')}", say("help_reprompt"))


class CrisisHandler(Handler):
    """Crisis language said on its own ('I want to die'): resources first, nothing kept."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "CrisisIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return crisis_answer(handler_input, speech(handler_input))


class FeelingHandler(Handler):
    """'I feel ...': screened like any free text, then met warmly; nothing is stored."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "FeelingIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        if prepare(request.slot_value(handler_input, "feeling"), tag=False).kind is Kind.CRISIS:
            return crisis_answer(handler_input, say)
        _expect(handler_input, None)
        return ask(handler_input, say("feeling_ack"), say("feeling_reprompt"))


class RecordShiftHandler(Handler):
    """'My body felt lighter': noted alongside the glimmer just logged."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "RecordShiftIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        shift = request.slot_value(handler_input, "shift")
        glimmer_id = request.session_attributes(handler_input).get("glimmer_id")
        try:
            prepared, saved = _journal(self, handler_input).add_shift(
                glimmer_id if isinstance(glimmer_id, int) else None, shift
            )
        except StorageError:
            skip_first_use_note(handler_input)  # the database is away: don't wait for it twice
            return ask(handler_input, say("storage_error"), say("help_reprompt"))
        if prepared.kind is Kind.CRISIS:
            return crisis_answer(handler_input, say)
        if prepared.kind is not Kind.ENTRY:
            _elicit(handler_input, "RecordShiftIntent", "shift")
            return ask(handler_input, say("shift_ask"), say("help_reprompt"))
        if not saved:
            return ask(handler_input, say("shift_nothing_logged"), say("help_reprompt"))
        _expect(handler_input, None)
        return tell(handler_input, say("shift_saved", shift=prepared.text))


class LingerPreferenceHandler(Handler):
    """'Stop offering that' / 'offer lingering again': a lasting preference."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) in {"LingerOffIntent", "LingerOnIntent"}

    def handle(self, handler_input: HandlerInput) -> Response:
        on = request.intent_name(handler_input) == "LingerOnIntent"
        _journal(self, handler_input).set_linger(on)
        _expect(handler_input, None)
        return tell(handler_input, speech(handler_input)("linger_on" if on else "linger_off"))


class NothingTodayHandler(Handler):
    """'I can't find one': warm, no pep talk, the shifted question or a simple close."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "NothingTodayIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        _expect(handler_input, "shifted")
        return ask(handler_input, say("nothing_today"), say("nothing_today_reprompt"))


class ReadGlimmerHandler(Handler):
    """'Read me a glimmer (about sound)': one at random from the last thirty days."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "ReadGlimmerIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        spoken = request.slot_value(handler_input, "sense")
        sense = _sense(request.slot_id(handler_input, "sense"), spoken)
        journal = _journal(self, handler_input)
        found = journal.random_recent(sense, _access(handler_input))
        prefix = say("unknown_sense") + " " if spoken and sense is None else ""
        if found is None:
            key = "recall_none_sense" if sense else "recall_none_recent"
            return tell(handler_input, prefix + say(key, sense=_sense_words(say, sense)))
        when = _when_words(say, describe_when(found.entry.created_at, self.services.clock(),
                                              found.zone))
        key = "recall_one_sense" if sense else "recall_one"
        text = say(key, when=when, moment=found.entry.text, sense=_sense_words(say, sense))
        return tell(handler_input, prefix + text)


class RecallPeriodHandler(Handler):
    """'What did I notice today / this week': three at a time, newest first."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "RecallPeriodIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        period = Period.parse(
            request.slot_id(handler_input, "period"), request.slot_value(handler_input, "period")
        )
        return recall_page(self, handler_input, period, offset=0)


def recall_page(handler: Handler, handler_input: HandlerInput, period: Period,
                offset: int) -> Response:
    """Speaks one page of a period's glimmers and offers more when there are more."""
    say = speech(handler_input)
    journal = _journal(handler, handler_input)
    page = journal.page(period, _access(handler_input), offset)
    words = say.text(PERIOD_LINES[period])
    if not page.entries:
        key = "recall_list_none" if offset == 0 else "recall_list_end"
        _expect(handler_input, None)
        return tell(handler_input, say(key, period=words))
    now = handler.services.clock()
    items = " ".join(
        say("recall_list_item",
            when=_when_words(say, describe_when(entry.created_at, now, page.zone)),
            moment=entry.text)
        for entry in page.entries
    )
    text = f"{say('recall_list_intro', period=words)} {items}"
    if page.more:
        _expect(handler_input, "more", period=period.value,
                offset=offset + len(page.entries))
        return ask(handler_input, f"{text} {say('recall_list_more')}",
                   say("recall_list_more_reprompt"))
    _expect(handler_input, None)
    return tell(handler_input, text)


class CountGlimmersHandler(Handler):
    """'How many glimmers have I logged': a plain total, never a streak."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "CountGlimmersIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        total = _journal(self, handler_input).count()
        key = {0: "recall_count_none", 1: "recall_count_one"}.get(total, "recall_count")
        return tell(handler_input, say(key, count=total))


class DeleteLastHandler(Handler):
    """'Delete my last glimmer': read it back, then delete only on yes."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "DeleteLastGlimmerIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        entry = _journal(self, handler_input).last()
        if entry is None:
            return tell(handler_input, say("delete_last_none"))
        _expect(handler_input, "delete_last", delete_id=entry.id)
        return ask(handler_input, say("delete_last_confirm", moment=entry.text),
                   say("delete_last_confirm_reprompt"))


class DeleteAllHandler(Handler):
    """'Delete all my glimmers': Alexa confirms the intent; only CONFIRMED deletes."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "DeleteAllDataIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        status = request.confirmation(handler_input)
        if status == "NONE":
            handler_input.response_builder.add_directive(ConfirmIntentDirective(
                updated_intent=request.intent(handler_input)))
            return ask(handler_input, say("delete_all_confirm"), say("delete_all_confirm_reprompt"))
        if status != "CONFIRMED":
            return tell(handler_input, say("delete_all_kept"))
        _journal(self, handler_input).delete_everything()
        skip_first_use_note(handler_input)
        return tell(handler_input, say("delete_all_done"))


class PrivacyHandler(Handler):
    """'What do you keep about me': a plain answer about what, where and how to delete."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "PrivacyIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        return ask(handler_input, f"{say('privacy')} {say('anything_else')}",
                   say("help_reprompt"))


class AnswerHandler(Handler):
    """Yes or no, answering whatever the skill last asked in this session."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            request.intent_name(handler_input) in {"AMAZON.YesIntent", "AMAZON.NoIntent"}
            and _expecting(handler_input) in ANSWERS
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        yes = request.intent_name(handler_input) == "AMAZON.YesIntent"
        expecting = _expecting(handler_input) or ""
        _expect(handler_input, None)
        return ANSWERS[expecting](self, handler_input, yes)


def _answer_linger(handler: Handler, handler_input: HandlerInput, yes: bool) -> Response:
    say = speech(handler_input)
    if not yes:
        return tell(handler_input, say("linger_skipped"))
    clip = handler.services.library.get("linger")
    if clip is not None:
        return tell(handler_input, say("audio_clip", url=handler.services.audio_url(clip.file)))
    return tell(handler_input, say("linger_guide"))


def _answer_grounding(handler: Handler, handler_input: HandlerInput, yes: bool) -> Response:
    say = speech(handler_input)
    skip_first_use_note(handler_input)
    if not yes:
        return tell(handler_input, say("crisis_declined"))
    clip = handler.services.library.get("grounding-minute")
    guide = (
        say("audio_clip", url=handler.services.audio_url(clip.file)) + " " + say("crisis_reprompt")
        if clip is not None and request.supports_audio_player(handler_input)
        else say("grounding_speech")
    )
    _expect(handler_input, "grounding")
    return ask(handler_input, guide, say("crisis_reprompt"))


def _answer_shifted(handler: Handler, handler_input: HandlerInput, yes: bool) -> Response:
    say = speech(handler_input)
    if not yes:
        return tell(handler_input, say("goodbye"))
    _elicit(handler_input, "LogGlimmerIntent", "moment")
    return ask(handler_input, say("ask_moment"), say("ask_moment_reprompt"))


def _answer_more(handler: Handler, handler_input: HandlerInput, yes: bool) -> Response:
    attributes = request.session_attributes(handler_input)
    if not yes:
        return tell(handler_input, speech(handler_input)("goodbye"))
    period = Period.parse(str(attributes.get("period")), None)
    offset = attributes.get("offset")
    return recall_page(handler, handler_input, period, offset if isinstance(offset, int) else 0)


def _answer_delete_last(handler: Handler, handler_input: HandlerInput, yes: bool) -> Response:
    say = speech(handler_input)
    glimmer_id = request.session_attributes(handler_input).get("delete_id")
    if not yes or not isinstance(glimmer_id, int):
        return tell(handler_input, say("delete_kept"))
    _journal(handler, handler_input).delete(glimmer_id)
    attributes = request.session_attributes(handler_input)
    if attributes.get("glimmer_id") == glimmer_id:
        del attributes["glimmer_id"]  # a later bodily shift must not land on another glimmer
    return tell(handler_input, say("delete_last_done"))


ANSWERS = {
    "linger": _answer_linger,
    "grounding": _answer_grounding,
    "shifted": _answer_shifted,
    "more": _answer_more,
    "delete_last": _answer_delete_last,
}


def _sense(slot_id: str | None, spoken: str | None) -> Sense | None:
    if slot_id:
        try:
            return Sense(slot_id)
        except ValueError:
            pass
    return parse_sense(spoken) if spoken else None


SENSE_LINES = {
    Sense.SIGHT: "sense_sight", Sense.SOUND: "sense_sound", Sense.TOUCH: "sense_touch",
    Sense.SMELL: "sense_smell", Sense.TASTE: "sense_taste", Sense.BODY: "sense_body",
    Sense.CONNECTION: "sense_connection",
}
WHEN_LINES = {
    WhenKind.TODAY: "when_today", WhenKind.YESTERDAY: "when_yesterday",
    WhenKind.WEEKDAY: "when_weekday", WhenKind.DATE: "when_date",
}
PERIOD_LINES = {Period.TODAY: "period_today", Period.WEEK: "period_week"}


def _sense_words(say: Speech, sense: Sense | None) -> str:
    return say.text(SENSE_LINES[sense]) if sense is not None else ""


def _when_words(say: Speech, when: When) -> str:
    return say.text(WHEN_LINES[when.kind], weekday=calendar.day_name[when.day.weekday()],
               month=calendar.month_name[when.day.month], day=when.day.day)
