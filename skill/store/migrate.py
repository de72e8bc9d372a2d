"""Alembic migrations, run programmatically so no alembic.ini is needed."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from skill.store.db import Database


def alembic_config(database: Database | None) -> Config:
    """An Alembic config pointing at our migrations and, when given, the database."""
    config = Config()
    config.set_main_option("script_location", "skill.store:migrations")
    if database is not None:
        config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Brings the schema up to `revision` (the newest by default)."""
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str) -> None:
    """Takes the schema back to `revision`."""
    command.downgrade(alembic_config(database), revision)


@cache
def head() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def is_current(database: Database) -> bool:
    """Whether the database's schema is at the newest revision (False when unreachable)."""
    try:
        return current(database) == head()
    except SQLAlchemyError:
        return False


def current(database: Database) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
