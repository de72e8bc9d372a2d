"""ask-sdk-core handlers: thin translators from requests to domain calls to speech."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from skill.services import Services


class Handler(AbstractRequestHandler):
    """A request handler with the app's services passed in at build time."""

    def __init__(self, services: Services) -> None:
        self.services = services
