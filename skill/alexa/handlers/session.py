"""Launch, help, stop, fallback and the session's edges."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SsmlOutputSpeech

from skill.alexa import request
from skill.alexa.handlers import Handler
from skill.alexa.handlers.playback import as_positions
from skill.alexa.responses import ask, silent, speech, tell
from skill.guide.playback import lesson_in_progress
from skill.services import Services
from skill.store import StorageError, repo

log = logging.getLogger(__name__)

SPEAKING_TYPES = frozenset({"LaunchRequest", "IntentRequest"})
# Stop means stop: these answers are never lengthened, not even by the first-use note.
STOPPING_INTENTS = frozenset({
    "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent",
    "AMAZON.NavigateHomeIntent", "AMAZON.NoIntent",
})
SKIP_FIRST_USE_NOTE = "skip_first_use_note"
NOTE_HEARD = "note_heard"  # session attribute: spares a database look-up on later turns


def skip_first_use_note(handler_input: HandlerInput) -> None:
    """Keeps the one-time note out of this answer (crisis resources come first; deletion)."""
    handler_input.attributes_manager.request_attributes[SKIP_FIRST_USE_NOTE] = True


def _intent_in(handler_input: HandlerInput, *names: str) -> bool:
    return request.intent_name(handler_input) in names


class LaunchHandler(Handler):
    """Opens the skill: the one-time note on first use, a neutral welcome after that."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.request_type(handler_input) == "LaunchRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        key = self.services.keys.key(request.user_id(handler_input))
        now = self.services.clock()
        with self.services.db.transaction() as tx:
            person, first_visit = repo.visit(tx, key, now)
            progress = as_positions(repo.all_progress(tx, person))
        request.session_attributes(handler_input)[NOTE_HEARD] = True
        lesson = lesson_in_progress(progress, self.services.library)
        if first_visit:
            text = f"{say('disclaimer')} {say('welcome_first')}"
        elif lesson is not None:
            text = say("welcome_back_lesson", title=lesson.title)
        else:
            text = say("welcome_back")
        return ask(handler_input, text, say("welcome_reprompt"))


class HelpHandler(Handler):
    """Says what the skill can do, with examples."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.HelpIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        request.session_attributes(handler_input).pop("expecting", None)
        return ask(handler_input, say("help"), say("help_reprompt"))


class StopHandler(Handler):
    """Stop and cancel end at once, with one kind sentence and no "are you sure"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.StopIntent", "AMAZON.CancelIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        return tell(handler_input, speech(handler_input)("goodbye"))


class NavigateHomeHandler(Handler):
    """Going home on a screen device ends the skill quietly."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.NavigateHomeIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        return tell(handler_input, speech(handler_input)("goodbye"))


class FallbackHandler(Handler):
    """Out-of-domain speech: says what is possible instead of repeating the question."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.FallbackIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        return ask(handler_input, say("fallback"), say("fallback_reprompt"))


class SessionEndedHandler(Handler):
    """The session closed (user silence, error, or exit): nothing may be spoken."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.request_type(handler_input) == "SessionEndedRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        reason = getattr(handler_input.request_envelope.request, "reason", None)
        log.info("session ended: %s", getattr(reason, "value", "unknown"))
        return silent(handler_input)


class StrayAnswerHandler(Handler):
    """Yes or no when nothing was asked: yes hears the choices, no closes kindly."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.YesIntent", "AMAZON.NoIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        say = speech(handler_input)
        if _intent_in(handler_input, "AMAZON.NoIntent"):
            return tell(handler_input, say("goodbye"))
        return ask(handler_input, say("fallback"), say("fallback_reprompt"))


class UnhandledIntentHandler(Handler):
    """Any intent nothing else took (from a newer model, say): a polite pointer to help."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.request_type(handler_input) in SPEAKING_TYPES

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("unhandled intent: %.80r", request.intent_name(handler_input))
        say = speech(handler_input)
        return ask(handler_input, say("fallback"), say("fallback_reprompt"))


class QuietHandler(Handler):
    """Any other request (events, future types): answered empty, never with speech."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("request answered empty: %.80r", request.request_type(handler_input))
        return silent(handler_input)


class FirstUseNote(AbstractResponseInterceptor):
    """Says the one-time 'not therapy' note on a person's first spoken answer, whatever they asked.

    Launch says it itself; this covers a first use that is a one-shot ("tell glimmers ...").
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        speech_out = getattr(response, "output_speech", None)
        if (
            not isinstance(speech_out, SsmlOutputSpeech)
            or request.request_type(handler_input) not in SPEAKING_TYPES
            or request.intent_name(handler_input) in STOPPING_INTENTS
            or handler_input.attributes_manager.request_attributes.get(SKIP_FIRST_USE_NOTE)
        ):
            return
        attributes = request.session_attributes(handler_input)
        if attributes.get(NOTE_HEARD):
            return
        key = self.services.keys.key(request.user_id(handler_input))
        try:
            with self.services.db.transaction() as tx:
                first = repo.mark_note_heard(tx, key, self.services.clock())
        except StorageError:
            return  # the note waits for the next answer; this one still goes out
        attributes[NOTE_HEARD] = True
        if not first:
            return
        note = speech(handler_input)("disclaimer")
        speech_out.ssml = str(speech_out.ssml).replace("<speak>", f"<speak>{note} ", 1)


class ErrorHandler(AbstractExceptionHandler):
    """The one catch-all: kind speech where speech is allowed, silence elsewhere; cannot fail."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        kind = "unknown"
        try:
            kind = request.request_type(handler_input)
            if isinstance(exception, StorageError):
                log.warning("storage unavailable while handling %s", kind)
            else:
                log.error("error handling %s: %s", kind, type(exception).__name__, exc_info=True)
            if kind not in SPEAKING_TYPES:
                return silent(handler_input)
            say = speech(handler_input)
            key = "storage_error_read" if isinstance(exception, StorageError) else "error"
            return ask(handler_input, say(key), say("help_reprompt"))
        except Exception:  # the last line of defence must not raise
            log.exception("error handler failed for %s", kind)
            return silent(handler_input)
