"""Storage on SQLite and PostgreSQL: migrations, keyed people, cascades, times, pragmas."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from skill.cli import main
from skill.identity import PersonKeys
from skill.store import repo
from skill.store.db import Database, StorageError
from skill.store.migrate import current, downgrade, upgrade
from skill.store.models import Glimmer, Person, Preferences, Progress

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TABLES = {"people", "glimmers", "preferences", "progress", "alembic_version"}


def test_migrations_create_every_table_and_go_down_again(database: Database) -> None:
    """The migration runs up and down and up again on both backends."""
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    assert current(database) == "0001"
    downgrade(database, "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(database)
    assert set(inspect(database.engine).get_table_names()) >= TABLES


def test_person_is_keyed_by_hmac_and_created_once(database: Database) -> None:
    """A person is stored under an HMAC of the user id, never the id, and only once."""
    keys = PersonKeys("secret")
    key = keys.key("amzn1.ask.account.RAW")
    assert key != keys.key("amzn1.ask.account.OTHER")
    assert key != PersonKeys("other-secret").key("amzn1.ask.account.RAW")
    with database.transaction() as session:
        first = repo.person_for(session, key, NOW)
        again = repo.person_for(session, key, NOW)
        assert first.id == again.id
    with database.transaction() as session:
        stored = session.scalars(select(Person)).all()
    assert [person.user_key for person in stored] == [key]
    assert "amzn1" not in stored[0].user_key


def test_times_come_back_as_aware_utc(database: Database) -> None:
    """A time stored from any zone is read back as the same instant in UTC."""
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    with database.transaction() as session:
        person = repo.person_for(session, "k", NOW)
        repo.add_glimmer(session, person, "snow", ["sight"], local)
    with database.transaction() as session:
        glimmer = session.scalars(select(Glimmer)).one()
    assert glimmer.created_at == local
    assert glimmer.created_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(database: Database) -> None:
    """A naive datetime never reaches the database."""
    with pytest.raises(StorageError), database.transaction() as session:
        person = repo.person_for(session, "k", NOW)
        repo.add_glimmer(session, person, "x", [], datetime(2026, 1, 1))


def test_deleting_a_person_removes_everything(database: Database) -> None:
    """delete_person removes their glimmers, preferences and progress, and no one else's."""
    with database.transaction() as session:
        alice = repo.person_for(session, "alice", NOW)
        bob = repo.person_for(session, "bob", NOW)
        repo.add_glimmer(session, alice, "tea", ["taste"], NOW)
        repo.add_glimmer(session, bob, "sun", ["sight"], NOW)
        repo.preferences(session, alice).offer_linger = False
        repo.save_progress(session, alice, content_id="x", token="x@1", offset_ms=5,
                           completed=False, now=NOW)
    with database.transaction() as session:
        assert repo.delete_person(session, "alice") is True
        assert repo.delete_person(session, "nobody") is False
    with database.transaction() as session:
        assert [g.text for g in session.scalars(select(Glimmer))] == ["sun"]
        assert session.scalars(select(Preferences)).all() == []
        assert session.scalars(select(Progress)).all() == []


def test_foreign_keys_are_enforced(database: Database) -> None:
    """A glimmer for a person who does not exist is refused by the database itself."""
    with pytest.raises(StorageError), database.transaction() as session:
        session.add(Glimmer(person_id=999_999, text="orphan", senses="", created_at=NOW))


def test_sense_filter_matches_whole_tags_only(database: Database) -> None:
    """Filtering by a sense matches whole tags, first, middle or last in the list."""
    with database.transaction() as session:
        person = repo.person_for(session, "k", NOW)
        for index, senses in enumerate([["sound"], ["sight", "sound", "touch"], ["touch"],
                                        ["body", "sound"], ["sound", "taste"]]):
            repo.add_glimmer(session, person, f"g{index}", senses, NOW - timedelta(minutes=index))
        found = repo.glimmers_between(session, person, NOW - timedelta(days=1),
                                      NOW + timedelta(seconds=1), limit=10, sense="sound")
        assert sorted(g.text for g in found) == ["g0", "g1", "g3", "g4"]
        assert repo.count_between(session, person, NOW - timedelta(days=1),
                                  NOW + timedelta(seconds=1), "touch") == 2
        picked = {repo.random_glimmer(session, person, NOW - timedelta(days=1),
                                      NOW + timedelta(seconds=1), chooser=random.Random(seed),
                                      sense="touch").text for seed in range(20)}
        assert picked == {"g1", "g2"}


def test_progress_is_upserted_and_completion_sticks(database: Database) -> None:
    """Saving progress twice updates one row; once completed, it stays completed."""
    with database.transaction() as session:
        person = repo.person_for(session, "k", NOW)
        repo.save_progress(session, person, content_id="l1", token="l1@a", offset_ms=1000,
                           completed=False, now=NOW)
        repo.save_progress(session, person, content_id="l1", token="l1@a", offset_ms=0,
                           completed=True, now=NOW)
        repo.save_progress(session, person, content_id="l1", token="l1@a", offset_ms=500,
                           completed=False, now=NOW)
    with database.transaction() as session:
        [row] = session.scalars(select(Progress)).all()
    assert row.completed is True and row.offset_ms == 500


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    """Every SQLite connection has WAL, foreign keys on and a busy timeout."""
    database = Database(f"sqlite:///{tmp_path / 'sub' / 'g.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    database.dispose()


def test_unreachable_database_raises_storage_error_and_ping_fails() -> None:
    """A database that is not there is a StorageError, and ping says False."""
    database = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert database.ping() is False
    with pytest.raises(StorageError), database.transaction() as session:
        session.execute(text("SELECT 1"))


def test_healthz_reports_the_database(make_app, database: Database) -> None:
    """/healthz is 200 while the database answers at the newest schema, 503 otherwise."""
    client = make_app(database).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True, "schema": True}
    broken = make_app(Database("postgresql+psycopg://nobody@127.0.0.1:1/none")).test_client()
    response = broken.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False


def test_db_upgrade_command_migrates_the_configured_database(tmp_path: Path) -> None:
    """`glimmers db upgrade` creates the schema in the database GLIMMERS_DATABASE_URL names."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"GLIMMERS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output
    database = Database(url)
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    database.dispose()


def test_app_start_creates_no_tables(make_app, tmp_path: Path) -> None:
    """Building the app never creates tables: migrations do that."""
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    make_app(database)
    assert inspect(database.engine).get_table_names() == []
    database.dispose()


def test_healthz_is_503_until_the_database_is_migrated(make_app, tmp_path: Path) -> None:
    """A server started before `glimmers db upgrade` does not report itself healthy."""
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    client = make_app(database).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": True, "schema": False}
    upgrade(database)
    assert client.get("/healthz").status_code == 200
    database.dispose()
