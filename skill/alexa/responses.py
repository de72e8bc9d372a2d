"""Small builders for the shapes of answer the skill gives; shouldEndSession is always explicit."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill.alexa import request
from skill.speech import Speech, speech_for


def speech(handler_input: HandlerInput) -> Speech:
    """The speech catalog for this request's locale."""
    return speech_for(request.locale(handler_input))


def ask(handler_input: HandlerInput, text: str, reprompt: str) -> Response:
    """Speaks and keeps the session open for an answer."""
    builder = handler_input.response_builder.speak(text).ask(reprompt)
    builder.set_should_end_session(False)
    return builder.response


def tell(handler_input: HandlerInput, text: str) -> Response:
    """Speaks and ends the session."""
    builder = handler_input.response_builder.speak(text)
    builder.set_should_end_session(True)
    return builder.response


def silent(handler_input: HandlerInput) -> Response:
    """An empty answer, for AudioPlayer, PlaybackController and system requests."""
    return handler_input.response_builder.response


def card(title: str, text: str) -> SimpleCard:
    """A simple card for the Alexa app."""
    return SimpleCard(title=title, content=text)
