"""The engine and sessions: SQLite embedded by default, PostgreSQL past one machine."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


# What repository functions take: one transaction's connection (Database.transaction()).
Transaction = Connection


class StorageError(Exception):
    """The database could not be reached or refused the work; nothing was saved."""


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Sets busy_timeout before WAL so workers booting together wait instead of failing."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def make_engine(url: str, **options: Any) -> Engine:
    """Builds an engine with the settings each backend needs to be safe under several workers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 5)
    options.setdefault("pool_timeout", 5)
    if parsed.get_backend_name() == "postgresql":
        connect_args = options.pop("connect_args", {})
        # connect_args override the URL's query, so a timeout given in the URL must win here.
        if "connect_timeout" not in parsed.query:
            connect_args.setdefault("connect_timeout", 3)
        options["connect_args"] = connect_args
    return create_engine(url, **options)


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turns any database failure into StorageError (logged by type only, never with data)."""
    try:
        yield
    except SQLAlchemyError as error:
        log.warning("database error: %s", type(error).__name__)
        raise StorageError(type(error).__name__) from error


class Database:
    """Owns the engine and hands out transactions; the caller decides their scope."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yields a connection in a transaction that commits on success, rolls back on error.

        The request path runs Core statements on it (skill/store/repo.py). Any database
        failure comes out as StorageError so callers can answer kindly.
        """
        with _storage_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in a transaction, for tests and tools that want model objects."""
        with _storage_errors(), self._sessions.begin() as session:
            yield session

    def ping(self) -> bool:
        """Answers whether the database responds to a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        """Closes pooled connections (tests and forked workers)."""
        self.engine.dispose()
