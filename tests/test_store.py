"""Storage on SQLite and PostgreSQL: migrations, keyed people, cascades, times, pragmas."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text

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
    with database.transaction() as connection:
        first = repo.person_for(connection, key, NOW)
        again = repo.person_for(connection, key, NOW)
        assert first == again
    with database.session() as session:
        stored = session.scalars(select(Person)).all()
    assert [person.user_key for person in stored] == [key]
    assert "amzn1" not in stored[0].user_key


def test_times_come_back_as_aware_utc(database: Database) -> None:
    """A time stored from any zone is read back as the same instant in UTC."""
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    with database.transaction() as connection:
        person = repo.person_for(connection, "k", NOW)
        repo.add_glimmer(connection, person, "snow", ["sight"], local)
    with database.session() as session:
        glimmer = session.scalars(select(Glimmer)).one()
    assert glimmer.created_at == local
    assert glimmer.created_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(database: Database) -> None:
    """A naive datetime never reaches the database."""
    with pytest.raises(StorageError), database.transaction() as connection:
        person = repo.person_for(connection, "k", NOW)
        repo.add_glimmer(connection, person, "x", [], datetime(2026, 1, 1))


def test_deleting_a_person_removes_everything(database: Database) -> None:
    """delete_person removes their glimmers, preferences and progress, and no one else's."""
    with database.transaction() as connection:
        alice = repo.person_for(connection, "alice", NOW)
        bob = repo.person_for(connection, "bob", NOW)
        repo.add_glimmer(connection, alice, "tea", ["taste"], NOW)
        repo.add_glimmer(connection, bob, "sun", ["sight"], NOW)
        repo.set_preferences(connection, alice, offer_linger=False)
        repo.save_progress(connection, alice, content_id="x", token="x@1", offset_ms=5,
                           completed=False, now=NOW)
    with database.transaction() as connection:
        assert repo.delete_person(connection, "alice") is True
        assert repo.delete_person(connection, "nobody") is False
    with database.session() as session:
        assert [g.text for g in session.scalars(select(Glimmer))] == ["sun"]
        assert session.scalars(select(Preferences)).all() == []
        assert session.scalars(select(Progress)).all() == []


def test_stored_glimmers_come_back_as_they_were_given(database: Database) -> None:
    """add_glimmer's entry is the stored row; one person cannot read another's by id."""
    with database.transaction() as connection:
        alice = repo.person_for(connection, "alice", NOW)
        bob = repo.person_for(connection, "bob", NOW)
        added = repo.add_glimmer(connection, alice, "tea", ["smell", "taste"], NOW)
        repo.set_shift(connection, added.id, "my shoulders dropped")
    with database.transaction() as connection:
        assert repo.glimmer(connection, alice, added.id) == repo.Entry(
            added.id, "tea", ("smell", "taste"), "my shoulders dropped", NOW)
        assert repo.latest_glimmer(connection, alice) == repo.glimmer(connection, alice, added.id)
        assert added.shift is None and added.senses == ("smell", "taste")
        assert repo.glimmer(connection, bob, added.id) is None
        assert repo.latest_glimmer(connection, bob) is None
        assert repo.delete_glimmer(connection, bob, added.id) is False
        assert repo.count_glimmers(connection, alice) == 1


def test_preferences_default_until_changed_and_change_in_place(database: Database) -> None:
    """No row means the defaults; each change upserts the one row and keeps the other values."""
    later = NOW + timedelta(hours=1)
    with database.transaction() as connection:
        person = repo.person_for(connection, "k", NOW)
        assert repo.preferences(connection, person) == repo.Prefs(True, None, None)
        repo.set_preferences(connection, person, time_zone="Europe/Berlin",
                             time_zone_checked_at=NOW)
        repo.set_preferences(connection, person, offer_linger=False)
        repo.set_preferences(connection, person, time_zone_checked_at=later)
    with database.transaction() as connection:
        assert repo.preferences(connection, person) == repo.Prefs(False, "Europe/Berlin", later)
        assert connection.execute(select(func.count()).select_from(Preferences)).scalar() == 1
    with pytest.raises(TypeError), database.transaction() as connection:
        repo.set_preferences(connection, person, colour="blue")


def test_a_visit_says_whether_the_note_is_still_to_be_said(database: Database) -> None:
    """The first visit (or the first after a one-shot that did not say it) reports True once."""
    with database.transaction() as connection:
        person, first = repo.visit(connection, "k", NOW)
        assert first is True
        assert repo.visit(connection, "k", NOW) == (person, False)
        assert repo.mark_note_heard(connection, "k", NOW) is False
        other = repo.person_for(connection, "other", NOW)
        assert repo.visit(connection, "other", NOW) == (other, True)
        third = repo.person_for(connection, "third", NOW)
        assert repo.mark_note_heard(connection, "third", NOW) is True  # a one-shot said it
        assert repo.visit(connection, "third", NOW) == (third, False)
    with database.session() as session:
        stored = session.scalars(select(Person).order_by(Person.id)).all()
    assert [(p.disclaimer_heard, p.last_visit_at) for p in stored] == [(True, NOW)] * 3


def test_foreign_keys_are_enforced(database: Database) -> None:
    """A glimmer for a person who does not exist is refused by the database itself."""
    with pytest.raises(StorageError), database.session() as session:
        session.add(Glimmer(person_id=999_999, text="orphan", senses="", created_at=NOW))


def test_sense_filter_matches_whole_tags_only(database: Database) -> None:
    """Filtering by a sense matches whole tags, first, middle or last in the list."""
    with database.transaction() as connection:
        person = repo.person_for(connection, "k", NOW)
        for index, senses in enumerate([["sound"], ["sight", "sound", "touch"], ["touch"],
                                        ["body", "sound"], ["sound", "taste"]]):
            repo.add_glimmer(connection, person, f"g{index}", senses,
                             NOW - timedelta(minutes=index))
        found = repo.glimmers_between(connection, person, NOW - timedelta(days=1),
                                      NOW + timedelta(seconds=1), limit=10, sense="sound")
        assert sorted(g.text for g in found) == ["g0", "g1", "g3", "g4"]
        assert repo.count_between(connection, person, NOW - timedelta(days=1),
                                  NOW + timedelta(seconds=1), "touch") == 2
        picked = {repo.random_glimmer(connection, person, NOW - timedelta(days=1),
                                      NOW + timedelta(seconds=1), chooser=random.Random(seed),
                                      sense="touch").text for seed in range(20)}
        assert picked == {"g1", "g2"}


def test_progress_is_upserted_and_completion_sticks(database: Database) -> None:
    """Saving progress twice updates one row; once completed, it stays completed."""
    with database.transaction() as connection:
        person = repo.person_for(connection, "k", NOW)
        repo.save_progress(connection, person, content_id="l1", token="l1@a", offset_ms=1000,
                           completed=False, now=NOW)
        repo.save_progress(connection, person, content_id="l1", token="l1@a", offset_ms=0,
                           completed=True, now=NOW)
        repo.save_progress(connection, person, content_id="l1", token="l1@a", offset_ms=500,
                           completed=False, now=NOW)
        repo.save_progress(connection, person, content_id="l2", token="l2@a", offset_ms=-5,
                           completed=False, now=NOW + timedelta(minutes=1))
    with database.transaction() as connection:
        assert repo.all_progress(connection, person) == [
            repo.ProgressRow("l2", "l2@a", 0, False), repo.ProgressRow("l1", "l1@a", 500, True)]
    with database.session() as session:
        rows = session.scalars(select(Progress).order_by(Progress.content_id)).all()
    assert [(row.completed, row.offset_ms) for row in rows] == [(True, 500), (False, 0)]


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
    with pytest.raises(StorageError), database.transaction() as connection:
        connection.execute(text("SELECT 1"))


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
