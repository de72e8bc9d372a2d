"""Scale-out: several stateless gunicorn workers share one database and lose nothing.

The app runs exactly as deployed (`gunicorn -w 4 "skill:create_app()"`), sixteen clients post
real Alexa envelopes over HTTP at once, and afterwards the database is compared with what was
sent. The first requests of every person arrive in bursts of eight at once, so several
workers race to create the same person (repo.person_for's INSERT ... ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import os
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from skill.identity import PersonKeys
from skill.store.db import Database
from skill.store.migrate import upgrade
from skill.store.models import Glimmer, Person
from tests.support.alexa import AlexaActions, speech
from tests.support.clock import FrozenClock
from tests.support.gunicorn import HttpClient, app_env, postgres_url, served

pytestmark = pytest.mark.slow

WORKERS = 4
CLIENTS = 16
PEOPLE = 50
GLIMMERS = 2_000
BURST = 8  # consecutive requests per person, so first visits of one person arrive together


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database's URL: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scale.db'}"
    else:
        schema = request.getfixturevalue("postgres_schema")
        url = postgres_url(os.environ["GLIMMERS_TEST_POSTGRES_URL"], schema)
        probe = create_engine(url)
        with probe.connect() as connection:  # the search_path really travels in the URL
            assert connection.execute(text("SHOW search_path")).scalar() == schema
        probe.dispose()
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url


def log_glimmer(client: HttpClient, user_id: str, moment: str) -> tuple[int, str]:
    """Posts a one-shot 'I noticed <moment>' and returns the status and the speech."""
    actions = AlexaActions(client=client, clock=FrozenClock(), user_id=user_id)
    intent = {"name": "LogGlimmerIntent", "confirmationStatus": "NONE",
              "slots": {"moment": {"name": "moment", "value": moment,
                                   "confirmationStatus": "NONE"}}}
    response = actions.post(actions.envelope({"type": "IntentRequest", "intent": intent},
                                             new=True))
    if response.status_code != 200:
        return response.status_code, response.get_data(as_text=True)[:300]
    return 200, speech(response.get_json())


def stored(url: str, secret: str, user_ids: list[str]) -> dict[str, list[str]]:
    """Every stored glimmer's text, by the raw user id it was logged for."""
    keys = PersonKeys(secret)
    by_key = {keys.key(user_id): user_id for user_id in user_ids}
    database = Database(url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Person.user_key, Glimmer.text).join(Glimmer, Glimmer.person_id == Person.id)
            ).all()
            people = session.scalars(select(Person.user_key)).all()
    finally:
        database.dispose()
    assert sorted(people) == sorted(by_key), "one person row per person, no duplicates"
    texts: dict[str, list[str]] = defaultdict(list)
    for user_key, moment in rows:
        texts[by_key[user_key]].append(moment)
    return texts


def test_four_workers_keep_every_glimmer_exactly_once(database_url: str, tmp_path: Path) -> None:
    """2,000 glimmers for 50 people, posted by 16 clients to 4 workers, are all kept once each."""
    env = app_env(database_url, tmp_path / "audio")
    run = uuid.uuid4().hex[:8]
    user_ids = [f"amzn1.ask.account.SCALE{run}{n:04d}" for n in range(PEOPLE)]
    jobs = [(user_ids[(index // BURST) % PEOPLE], f"the quiet light number {index} of run {run}")
            for index in range(GLIMMERS)]
    sent: dict[str, list[str]] = defaultdict(list)
    for user_id, moment in jobs:
        sent[user_id].append(moment)

    access = ["--access-logfile", "-", "--access-logformat", "served-by %(p)s %(s)s"]
    with served(env, tmp_path / "logs", workers=WORKERS, args=access) as server:
        client = server.client
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            answers = list(pool.map(lambda job: log_glimmer(client, *job), jobs))
        log = server.log()

    failed = [(moment, answer) for (_, moment), answer in zip(jobs, answers, strict=True)
              if answer[0] != 200 or f"Saved: {moment}." not in answer[1]]
    assert not failed, f"{len(failed)} requests did not save, e.g. {failed[:3]}"
    served_by = set(re.findall(r"served-by <?(\d+)>? 200", log))
    assert len(served_by) == WORKERS, f"requests were served by {len(served_by)} workers"

    kept = stored(database_url, env["GLIMMERS_SECRET_KEY"], user_ids)
    for user_id in user_ids:
        assert len(kept[user_id]) == len(sent[user_id]), f"count differs for {user_id}"
        assert set(kept[user_id]) == set(sent[user_id]), f"texts differ for {user_id}"
