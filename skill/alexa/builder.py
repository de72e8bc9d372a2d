"""build_skill(): the one ordered list of handlers. Specific first, catch-alls last."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder

from skill.alexa.handlers import session
from skill.services import Services


def build_skill(services: Services) -> CustomSkill:
    """Registers every handler in dispatch order and returns the skill."""
    builder = SkillBuilder()
    handlers = [
        # Session edges.
        session.LaunchHandler(services),
        session.SessionEndedHandler(services),
        # Built-in intents.
        session.HelpHandler(services),
        session.StopHandler(services),
        session.NavigateHomeHandler(services),
        session.FallbackHandler(services),
        # Catch-alls: any other intent gets a pointer to help; anything else is answered empty.
        session.UnhandledIntentHandler(services),
        session.QuietHandler(services),
    ]
    for handler in handlers:
        builder.add_request_handler(handler)
    builder.add_exception_handler(session.ErrorHandler())
    return builder.create()
