"""The `glimmers` command: serve, chat, render and db."""

from __future__ import annotations

import logging
import os

import click

from skill.config import Settings


@click.group()
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
    click.echo("Talk to it from another terminal with: .venv/bin/glimmers chat")
    app.run(host=host, port=port)


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
