"""The `glimmers` command: serve, chat, render and db."""

from __future__ import annotations

import importlib
import logging
import os
from typing import ClassVar, TextIO

import click

from skill.config import Settings


class Commands(click.Group):
    """The command group, with build-time commands loaded only when asked for."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {"render": ("skill.render.cli", "render")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, lazy ones included."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Loads a lazy command on first use, with a clear message if its extra is missing."""
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise click.ClickException(
                f"'glimmers {cmd_name}' needs the render extra ({error.name} is missing): "
                "pip install -e '.[render]'"
            ) from None
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=Commands)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """Glimmers: a voice skill for noticing small moments of safety."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Turn request verification off (local use only).")
def serve(host: str, port: int, dev: bool) -> None:
    """Serve the skill locally with Flask's server."""
    from skill import create_app

    if dev:
        os.environ["GLIMMERS_VERIFY_REQUESTS"] = "0"
        click.secho(
            "Request verification is OFF (--dev): only for trying Glimmers on this machine.",
            fg="yellow",
            bold=True,
            err=True,
        )
    app = create_app()
    click.echo(f"Glimmers is listening on http://{host}:{port}/alexa")
    click.echo(f"Talk to it from another terminal: glimmers chat --url http://{host}:{port}/alexa")
    app.run(host=host, port=port)


@main.command()
@click.option("--url", help="A running skill, e.g. http://127.0.0.1:5000/alexa "
              "(default: the skill in this process, verification off).")
@click.option("--script", type=click.File("r"), metavar="FILE",
              help="Read the lines to say from FILE (piped stdin works too).")
@click.option("--locale", default="en-US", show_default=True)
@click.option("--json", "show_json", is_flag=True, help="Also print request and response JSON.")
@click.option("--simulate-playback/--no-simulate-playback", default=True, show_default=True,
              help="Send AudioPlayer events as a device would.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="The interaction model (default: infra/alexa/.../<locale>.json).")
@click.option("--skill-id", envvar="GLIMMERS_SKILL_ID", show_envvar=True,
              help="The application id to send (default: the app's, or a local one).")
@click.option("--user", default="chat", show_default=True,
              help="Who is talking: each name is a different, stable Alexa user id.")
@click.pass_context
def chat(ctx: click.Context, *, url: str | None, script: TextIO | None, locale: str,
         show_json: bool, simulate_playback: bool, model_path: str | None,
         skill_id: str | None, user: str) -> None:
    """Talk to the skill from a terminal, in real Alexa request JSON."""
    from pathlib import Path

    from skill.chat.terminal import run

    run(url=url, script=script, locale=locale, show_json=show_json,
        simulate_playback=simulate_playback, model_path=Path(model_path) if model_path else None,
        skill_id=skill_id, user=user, verbose=bool(ctx.find_root().params.get("verbose")))


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (the newest by default)."""
    from skill.store.db import Database
    from skill.store.migrate import current, upgrade

    settings = Settings.load()
    database = Database(settings.database_url)
    try:
        upgrade(database, revision)
        click.echo(f"database at revision {current(database)}")
    finally:
        database.dispose()
