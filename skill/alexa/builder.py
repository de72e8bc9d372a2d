"""build_skill(): the one ordered list of handlers. Specific first, catch-alls last."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope

from skill.alexa.handlers import journal, playback, practice, session
from skill.services import Services


@dataclass(frozen=True)
class AlexaSkill:
    """The built skill: answers one request envelope with the response's JSON."""

    skill: CustomSkill
    serializer: DefaultSerializer = field(default_factory=DefaultSerializer)

    def answer(self, envelope: RequestEnvelope) -> dict[str, Any]:
        """Dispatches the envelope; raises what no exception handler answered."""
        response = self.skill.invoke(request_envelope=envelope, context=None)
        serialized = self.serializer.serialize(response)
        assert isinstance(serialized, dict)
        return serialized


def build_skill(services: Services) -> AlexaSkill:
    """Registers every handler in dispatch order and returns the skill."""
    builder = SkillBuilder()
    handlers = [
        # Session edges.
        session.LaunchHandler(services),
        session.SessionEndedHandler(services),
        # Journal: logging, the body, lingering, recall, deletion, privacy.
        journal.CrisisHandler(services),
        journal.FeelingHandler(services),
        journal.LogGlimmerHandler(services),
        journal.RecordShiftHandler(services),
        journal.LingerPreferenceHandler(services),
        journal.NothingTodayHandler(services),
        journal.ReadGlimmerHandler(services),
        journal.RecallPeriodHandler(services),
        journal.CountGlimmersHandler(services),
        journal.DeleteLastHandler(services),
        journal.DeleteAllHandler(services),
        journal.PrivacyHandler(services),
        # Yes and no, answering the question this session last asked.
        journal.AnswerHandler(services),
        # Practice and lessons.
        practice.StartPracticeHandler(services),
        practice.ListPracticesHandler(services),
        practice.PlayLessonHandler(services),
        practice.NextLessonHandler(services),
        practice.ContinueLessonHandler(services),
        practice.WhereWasIHandler(services),
        practice.ListLessonsHandler(services),
        # AudioPlayer and PlaybackController. Before the built-in Stop: stop, cancel and pause
        # while audio plays must stop the player, not just end the session.
        playback.PauseHandler(services),
        playback.ResumeHandler(services),
        playback.StartOverHandler(services),
        playback.SkipHandler(services),
        playback.UnsupportedHandler(services),
        playback.PlaybackEventHandler(services),
        playback.ExceptionEncounteredHandler(services),
        # Built-in intents.
        session.HelpHandler(services),
        session.StopHandler(services),
        session.NavigateHomeHandler(services),
        session.FallbackHandler(services),
        session.StrayAnswerHandler(services),
        # Catch-alls: any other intent gets a pointer to help; anything else is answered empty.
        session.UnhandledIntentHandler(services),
        session.QuietHandler(services),
    ]
    for handler in handlers:
        builder.add_request_handler(handler)
    builder.add_global_response_interceptor(session.FirstUseNote(services))
    builder.add_exception_handler(session.ErrorHandler())
    return AlexaSkill(builder.create())
