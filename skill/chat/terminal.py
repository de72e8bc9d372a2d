"""Wires `glimmers chat`: the model, the transport, the device and a styled terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

import click

from skill.chat.conversation import Conversation, Send
from skill.chat.device import LOCAL_SKILL_ID, Device, fake_id, local_time_zone
from skill.chat.display import (
    CARD,
    DEVICE,
    DIRECTIVE,
    ENDED,
    ERROR,
    JSON,
    NOTE,
    REPROMPT,
    REQUEST,
    SPEECH,
    USER,
)
from skill.chat.language import ModelError, find_model, load_model
from skill.chat.transport import in_process, over_http

PROMPT = "you> "
STYLES: dict[str, dict[str, Any]] = {
    USER: {"bold": True},
    REQUEST: {"fg": "cyan", "dim": True},
    SPEECH: {"fg": "green", "bold": True},
    REPROMPT: {"dim": True},
    CARD: {"fg": "magenta"},
    DIRECTIVE: {"fg": "yellow"},
    DEVICE: {"fg": "blue"},
    ENDED: {"dim": True},
    NOTE: {"dim": True},
    JSON: {"dim": True},
    ERROR: {"fg": "red"},
}


def write(kind: str, text: str) -> None:
    """Prints one line of the conversation in its style."""
    click.secho(text, **STYLES.get(kind, {}))


def run(*, url: str | None, script: TextIO | None, locale: str, show_json: bool,
        simulate_playback: bool, model_path: Path | None, skill_id: str | None, user: str,
        verbose: bool) -> None:
    """Runs a chat: loads the model, picks the transport, then reads lines until /quit or EOF."""
    try:
        path = model_path or find_model(locale, _model_roots())
        model = load_model(path)
    except ModelError as error:
        raise click.ClickException(f"{error} (pass --model PATH)") from None
    with _skill_logs(verbose):
        send, skill_id, where = _transport(url, skill_id)
        device = Device(skill_id=skill_id, user_id=fake_id("account", user),
                        device_id=fake_id("device", user), locale=locale)
        conversation = Conversation(send, write, model, device=device,
                                    simulate_playback=simulate_playback, show_json=show_json)
        write(NOTE, f"Talking to {where} as {locale}, understood with {path.name}.")
        if path.stem != locale:
            write(NOTE, f"(there is no {locale} model, so the {path.stem} one stands in)")
        write(NOTE, 'Say what you would say to Alexa, like "open glimmers". /help lists commands.')
        try:
            for line in _lines(script):
                if not conversation.handle(line):
                    break
        except KeyboardInterrupt:
            click.echo()


def _transport(url: str | None, skill_id: str | None) -> tuple[Send, str, str]:
    """The send callable, the skill id to put in envelopes, and a description of the target."""
    if url:
        try:
            return over_http(url), skill_id or LOCAL_SKILL_ID, url
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--url") from None
    from skill import create_app
    from skill.config import ConfigError

    zone = local_time_zone()
    try:
        app = create_app({
            "GLIMMERS_VERIFY_REQUESTS": "0",
            # The device's time zone is this machine's: chat's fake token can't ask Amazon.
            "time_zone_fetcher": lambda _endpoint, _token, _device: zone,
        })
    except ConfigError as error:
        raise click.ClickException(f"can't start the skill here: {error}") from None
    configured = app.config["GLIMMERS_SETTINGS"].skill_id
    write(NOTE, f"(in-process skill with request verification off, for chat only; "
                f"time zone {zone or 'UTC'})")
    return in_process(app), skill_id or configured or LOCAL_SKILL_ID, "the in-process skill"


def _lines(script: TextIO | None) -> Iterator[str]:
    """Lines from the script, piped stdin (both echoed), or an interactive prompt."""
    stdin = click.get_text_stream("stdin")
    if script is None and stdin.isatty():
        with suppress(ImportError):
            import readline  # noqa: F401 - gives input() line editing and history
        while True:
            try:
                yield input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
    for line in script or stdin:
        text = line.rstrip("\n")
        if text.strip() and not text.lstrip().startswith("#"):
            write(USER, f"{PROMPT}{text}")
        yield text


def _model_roots() -> list[Path]:
    """Where to look for infra/alexa/...: the working directory, then this checkout."""
    return [Path.cwd(), Path(__file__).resolve().parents[2]]


@contextmanager
def _skill_logs(verbose: bool) -> Iterator[None]:
    """Keeps the skill's INFO logs and the server warning off the chat, unless verbose."""
    logger = logging.getLogger("skill")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
