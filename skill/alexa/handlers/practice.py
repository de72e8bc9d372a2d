"""Practices and lessons: start, list, play, next, continue, where was I."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa import request
from skill.alexa.handlers import Handler
from skill.alexa.handlers.playback import positions, respond
from skill.guide import playback


class StartPracticeHandler(Handler):
    """'Start a sound practice', 'I need a short practice', 'start the grounding practice'."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "StartPracticeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        spoken = request.slot_value(handler_input, "topic")
        topic = playback.topic_for(request.slot_id(handler_input, "topic") or spoken)
        length = playback.length_for(
            request.slot_id(handler_input, "length") or request.slot_value(handler_input, "length")
        )
        outcome = playback.start_practice(
            self.services.library, topic, length, named=spoken is not None,
            audio_player=request.supports_audio_player(handler_input),
        )
        return respond(self.services, handler_input, outcome)


class ListPracticesHandler(Handler):
    """'What practices are there': at most three, by sense and length."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "ListPracticesIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(self.services, handler_input,
                       playback.list_practices(self.services.library))


class PlayLessonHandler(Handler):
    """'Play lesson 2', 'play the first lesson'."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "PlayLessonIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        library = self.services.library
        number = playback.requested_number(
            request.slot_value(handler_input, "number"),
            request.slot_value(handler_input, "ordinal"),
            len(library.lessons),
        )
        progress = positions(self.services, handler_input)
        return respond(self.services, handler_input,
                       playback.play_lesson(library, progress, number))


class NextLessonHandler(Handler):
    """'Next lesson': the first one not yet finished, in teaching order."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "NextLessonIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = positions(self.services, handler_input)
        return respond(self.services, handler_input,
                       playback.next_lesson_outcome(self.services.library, progress))


class ContinueLessonHandler(Handler):
    """'Continue my lesson': the most recently heard unfinished lesson, where it was left."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "ContinueLessonIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = positions(self.services, handler_input)
        return respond(self.services, handler_input,
                       playback.continue_lesson(self.services.library, progress))


class WhereWasIHandler(Handler):
    """'Where was I': the lesson partway through, or the next one."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "WhereWasIIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = positions(self.services, handler_input)
        return respond(self.services, handler_input,
                       playback.where_was_i(self.services.library, progress))


class ListLessonsHandler(Handler):
    """'What lessons are there': how many, and up to three from where the person is."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request.intent_name(handler_input) == "ListLessonsIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = positions(self.services, handler_input)
        return respond(self.services, handler_input,
                       playback.list_lessons(self.services.library, progress))
