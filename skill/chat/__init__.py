"""`glimmers chat`: talk to the skill from a terminal, in real Alexa request JSON.

`language` resolves typed text against the interaction model the way Alexa's NLU would,
`device` builds the envelopes an Echo sends and keeps its session and player state,
`conversation` runs the turns over any `send(body) -> answer` callable, `display` turns answers
into readable lines, `transport` sends in-process or over HTTP, and `terminal` wires the CLI.
"""

from skill.chat.conversation import Conversation
from skill.chat.language import InteractionModel, Resolution, SlotFill, load_model, resolve

__all__ = ["Conversation", "InteractionModel", "Resolution", "SlotFill", "load_model", "resolve"]
