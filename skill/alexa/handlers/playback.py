"""AudioPlayer and PlaybackController: transport intents, buttons and the player's events.

Answers to AudioPlayer.* and PlaybackController.* requests carry directives only: Alexa
rejects outputSpeech, cards and reprompts there, and they are not part of any session.

Decisions (documented in the report and tests):
- PlaybackNearlyFinished is answered empty: every item is one file, so there is never a next
  segment to enqueue, and a repeated event cannot queue anything twice.
- PlaybackFailed is answered empty and logged; the place is stored, so "resume" picks up.
  Replaying automatically could loop forever on a broken file or a dead network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import (
    AudioItem,
    AudioItemMetadata,
    PlayBehavior,
    PlayDirective,
    StopDirective,
    Stream,
)

from skill.alexa import request
from skill.alexa.handlers import Handler
from skill.alexa.responses import card, silent, speech
from skill.guide import playback
from skill.guide.library import Item, Library
from skill.guide.playback import Clip, Outcome, Play, Player, Position, Record, Say
from skill.services import Services
from skill.speech import Speech
from skill.store import repo

log = logging.getLogger(__name__)

CONTROLLER = "PlaybackController."
STOP_INTENTS = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent"})
UNSUPPORTED_INTENTS = frozenset({
    "AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent",
    "AMAZON.ShuffleOffIntent", "AMAZON.RepeatIntent",
})
# Reprompts add help rather than repeat the question (CARE.md §7).
REPROMPTS = {
    "practice_list": "practice_list_reprompt",
    "practice_unknown": "practice_unknown_reprompt",
    "lesson_list": "lesson_list_reprompt",
    "lesson_list_next": "lesson_list_reprompt",
    "lesson_unknown": "lesson_unknown_reprompt",
    "lesson_all_done": "lesson_all_done_reprompt",
    "where_was_i": "where_was_i_reprompt",
    "where_was_i_done": "where_was_i_reprompt",
    "where_was_i_nothing": "lesson_list_reprompt",
    "resume_nothing": "resume_nothing_reprompt",
}
STEPS = {
    "AMAZON.NextIntent": 1, "PlaybackController.NextCommandIssued": 1,
    "AMAZON.PreviousIntent": -1, "PlaybackController.PreviousCommandIssued": -1,
}


# --- Reading the request and the store --------------------------------------------------------
def player(handler_input: HandlerInput) -> Player:
    """The device's AudioPlayer state from context (token, offset, activity)."""
    state = getattr(handler_input.request_envelope.context, "audio_player", None)
    activity = getattr(getattr(state, "player_activity", None), "value", None)
    token = getattr(state, "token", None)
    return Player(
        token=str(token) if token else None,
        offset_ms=max(0, int(getattr(state, "offset_in_milliseconds", 0) or 0)),
        activity=str(activity or "IDLE"),
    )


def as_positions(rows: Iterable[repo.ProgressRow]) -> list[Position]:
    """Stored progress rows as the pure guide's positions."""
    return [Position(row.content_id, row.token, row.offset_ms, row.completed) for row in rows]


def positions(services: Services, handler_input: HandlerInput) -> list[Position]:
    """The person's stored progress, most recently touched first (nothing created)."""
    key = services.keys.key(request.user_id(handler_input))
    with services.db.transaction() as tx:
        person = repo.find_person(tx, key)
        rows = repo.all_progress(tx, person) if person is not None else []
    return as_positions(rows)


def save(services: Services, handler_input: HandlerInput, token: str, done: Record) -> bool:
    """Stores where playback of the item a token names stands; False for unknown tokens."""
    item = services.library.from_token(token)
    if item is None:
        log.info("progress for an unknown token ignored: %.120r", token)
        return False
    key = services.keys.key(request.user_id(handler_input))
    with services.db.transaction() as tx:
        person = repo.person_for(tx, key, services.clock())
        repo.save_progress(tx, person, content_id=item.id, token=token,
                           offset_ms=done.offset_ms, completed=done.completed,
                           now=services.clock())
    return True


# --- Building answers -------------------------------------------------------------------------
def _length(say: Speech, item: Item) -> str:
    minutes = item.minutes
    return say.text("minutes_one") if minutes == 1 else say.text("minutes_many", count=minutes)


def _choices(say: Speech, library: Library, items: tuple[Item, ...]) -> str:
    """Lessons one sentence each, practices offered as 'a, b, or c'; plain text."""
    parts = [
        say.text("lesson_choice", number=playback.lesson_number(library, item) or 1,
                 title=item.title)
        if item.kind == "lesson"
        else say.text("practice_choice", topic=topic.label, minutes=item.minutes)
        if (topic := playback.topic_of(item)) is not None
        else say.text("practice_choice_plain", title=item.title, minutes=item.minutes)
        for item in items
    ]
    if len(parts) < 2 or items[0].kind == "lesson":
        return " ".join(parts)
    if len(parts) == 2:
        return say.text("choices_two", first=parts[0], second=parts[1])
    return say.text("choices_more", rest=", ".join(parts[:-1]), last=parts[-1])


def _intro(say: Speech, play: Play) -> str:
    item = play.item
    if play.resumed:
        text = say("resume_intro", title=item.title)
    elif item.kind == "lesson":
        text = say("lesson_intro", number=play.number or 1, title=item.title,
                   length=_length(say, item))
    elif play.topic is not None:
        text = say("practice_intro", topic=play.topic, title=item.title,
                   length=_length(say, item))
    else:
        text = say("practice_intro_plain", title=item.title, length=_length(say, item))
    if item.content_note:
        text = f"{say('lesson_content_note')} {text}"
    return text


def play_directive(services: Services, item: Item, offset_ms: int) -> PlayDirective:
    """REPLACE_ALL with the item's stable token and its public URL."""
    return PlayDirective(
        play_behavior=PlayBehavior.REPLACE_ALL,
        audio_item=AudioItem(
            stream=Stream(token=item.token, url=services.audio_url(item.file),
                          offset_in_milliseconds=offset_ms),
            metadata=AudioItemMetadata(title=item.title, subtitle="Glimmers"),
        ),
    )


def _is_controller(handler_input: HandlerInput) -> bool:
    return request.request_type(handler_input).startswith(CONTROLLER)


def play(services: Services, handler_input: HandlerInput, plan: Play, *,
         announce: bool = True) -> Response:
    """Plays a plan: for intents with an intro and a card, for buttons with nothing else."""
    if not _is_controller(handler_input) and not request.supports_audio_player(handler_input):
        return respond(services, handler_input, Say("no_audio_player_plain", card=plan.item))
    builder = handler_input.response_builder
    builder.add_directive(play_directive(services, plan.item, plan.offset_ms))
    if _is_controller(handler_input):
        return builder.response
    if announce:
        say = speech(handler_input)
        builder.speak(_intro(say, plan))
        builder.set_card(card(plan.item.title, playback.card_text(plan.item)))
    builder.set_should_end_session(True)
    return builder.response


def stop(handler_input: HandlerInput, text: str | None = None) -> Response:
    """AudioPlayer.Stop at once (where the device has a player); intents also end the session."""
    builder = handler_input.response_builder
    if request.supports_audio_player(handler_input):
        builder.add_directive(StopDirective())
    if _is_controller(handler_input):
        return builder.response
    if text:
        builder.speak(text)
    builder.set_should_end_session(True)
    return builder.response


def respond(services: Services, handler_input: HandlerInput, outcome: Outcome) -> Response:
    """Renders a domain outcome for an IntentRequest."""
    say = speech(handler_input)
    builder = handler_input.response_builder
    if isinstance(outcome, Play):
        return play(services, handler_input, outcome)
    if isinstance(outcome, Clip):
        item = outcome.item
        text = say("no_audio_player", title=item.title, length=_length(say, item),
                   url=services.audio_url(item.file))
        builder.speak(text).set_card(card(item.title, playback.card_text(item)))
        builder.set_should_end_session(True)
        return builder.response
    values = dict(outcome.values)
    if outcome.choices:
        values["choices"] = _choices(say, services.library, outcome.choices)
    builder.speak(say(outcome.key, **values))
    if outcome.card is not None:
        builder.set_card(card(outcome.card.title, playback.card_text(outcome.card)))
    if outcome.listen:
        builder.ask(say(REPROMPTS.get(outcome.key, "playback_reprompt")))
    builder.set_should_end_session(not outcome.listen)
    return builder.response


# --- Handlers ---------------------------------------------------------------------------------
class PauseHandler(Handler):
    """'Pause', the pause button, or stop and cancel while audio plays: stop now, keep the place."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        name = request.intent_name(handler_input)
        return (
            name == "AMAZON.PauseIntent"
            or request.request_type(handler_input) == "PlaybackController.PauseCommandIssued"
            or (name in STOP_INTENTS and player(handler_input).playing)
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        state = player(handler_input)
        done = playback.pause_record(state)
        if done is not None and state.token:
            save(self.services, handler_input, state.token, done)
        # Pausing audio is silent, as on any player; stop, cancel, or a pause with nothing
        # playing get one kind word so the person is not met with silence.
        kind_word = request.intent_name(handler_input) in STOP_INTENTS or not state.playing
        return stop(handler_input, speech(handler_input)("playback_stop") if kind_word else None)


class ResumeHandler(Handler):
    """'Resume' or the play button: the device's item, or the latest unfinished, where it was."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (request.intent_name(handler_input) == "AMAZON.ResumeIntent"
                or request.request_type(handler_input) == "PlaybackController.PlayCommandIssued")

    def handle(self, handler_input: HandlerInput) -> Response:
        plan = playback.resume(player(handler_input), positions(self.services, handler_input),
                               self.services.library)
        if plan is None:
            nothing = Say("resume_nothing", listen=True)
            return silent(handler_input) if _is_controller(handler_input) else respond(
                self.services, handler_input, nothing)
        return play(self.services, handler_input, plan, announce=False)


class StartOverHandler(Handler):
    """'Start over': the current item from the beginning."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "AMAZON.StartOverIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        plan = playback.start_over(player(handler_input),
                                   positions(self.services, handler_input), self.services.library)
        if plan is None:
            return respond(self.services, handler_input, Say("resume_nothing", listen=True))
        return play(self.services, handler_input, plan, announce=False)


class SkipHandler(Handler):
    """'Next', 'previous' and their buttons: the adjacent lesson, or practice."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (request.intent_name(handler_input) or request.request_type(handler_input)) in STEPS

    def handle(self, handler_input: HandlerInput) -> Response:
        step = STEPS[request.intent_name(handler_input) or request.request_type(handler_input)]
        outcome = playback.move(player(handler_input), positions(self.services, handler_input),
                                self.services.library, step)
        if _is_controller(handler_input):
            return play(self.services, handler_input, outcome) if isinstance(
                outcome, Play) else silent(handler_input)
        return respond(self.services, handler_input, outcome)


class UnsupportedHandler(Handler):
    """Loop, shuffle and repeat: a gentle word on what is possible instead."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) in UNSUPPORTED_INTENTS

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(self.services, handler_input, Say("playback_unsupported"))


class PlaybackEventHandler(Handler):
    """AudioPlayer events: started, stopped, finished and failed store the place; never speak."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.request_type(handler_input) in playback.EVENT_RECORDS

    def handle(self, handler_input: HandlerInput) -> Response:
        kind = request.request_type(handler_input)
        token = request.audio_token(handler_input)
        offset = _failed_offset(handler_input) if kind.endswith("Failed") else (
            request.audio_offset_ms(handler_input))
        done = playback.record(kind, offset)
        if done is not None and token:
            save(self.services, handler_input, token, done)
        if kind.endswith("Failed"):
            error = getattr(handler_input.request_envelope.request, "error", None)
            log.warning("playback failed for %.120r: %.60r %.200r", token,
                        getattr(getattr(error, "object_type", None), "value", "unknown"),
                        str(getattr(error, "message", "")))
        return silent(handler_input)


def _failed_offset(handler_input: HandlerInput) -> int:
    """PlaybackFailed carries the offset in currentPlaybackState, not on the request."""
    state = getattr(handler_input.request_envelope.request, "current_playback_state", None)
    offset = getattr(state, "offset_in_milliseconds", None)
    return max(0, int(offset)) if offset is not None else request.audio_offset_ms(handler_input)


class ExceptionEncounteredHandler(Handler):
    """System.ExceptionEncountered: Alexa could not use an answer of ours; log it, say nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.request_type(handler_input) == "System.ExceptionEncountered"

    def handle(self, handler_input: HandlerInput) -> Response:
        req = handler_input.request_envelope.request
        error = getattr(req, "error", None)
        log.error("Alexa reported an error with our answer: %.60r %.300r (cause %.120r)",
                  getattr(getattr(error, "object_type", None), "value", "unknown"),
                  str(getattr(error, "message", "")),
                  getattr(getattr(req, "cause", None), "request_id", "unknown"))
        return silent(handler_input)
