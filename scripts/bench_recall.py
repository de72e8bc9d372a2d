"""Benchmark: recall from a journal of 10,000 glimmers, server-side, through POST /alexa.

Prints p50/p99 per recall request (read one at random, read one about a sense, this week,
count) against the same requests on an empty journal, measured in the same run, on SQLite
and (when GLIMMERS_TEST_POSTGRES_URL is set) on PostgreSQL. Target: under 50 ms.

    .venv/bin/python scripts/bench_recall.py [--glimmers 10000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text

from skill import create_app
from skill.guide.library import Library
from skill.identity import PersonKeys
from skill.store import repo
from skill.store.db import Database
from skill.store.migrate import upgrade
from skill.store.models import Glimmer
from tests.support.alexa import AlexaActions
from tests.support.clock import FrozenClock

SECRET = "bench-secret-key-of-a-sufficient-length-0000"
PHRASES = ["the warm mug in my hands", "birdsong at dawn", "the smell of rain on the street",
           "my friend's laugh on the phone", "sun on my face", "soft blanket on the sofa",
           "the taste of fresh bread", "my shoulders dropped on the bus"]
SENSES = [["touch"], ["sound"], ["smell"], ["connection", "sound"], ["sight", "touch"],
          ["touch"], ["taste"], ["body"]]


def fill(database: Database, user_id: str, count: int, clock: FrozenClock) -> None:
    """Stores `count` glimmers over the last year for one person, plus other people."""
    chooser = random.Random(7)
    with database.transaction() as connection:
        person = repo.person_for(connection, PersonKeys(SECRET).key(user_id), clock())
        others = [repo.person_for(connection, f"other-{n}", clock()) for n in range(20)]
        rows = []
        for index in range(count):
            which = index % len(PHRASES)
            owner = person if index % 5 else chooser.choice(others)
            rows.append({"person_id": owner, "text": f"{PHRASES[which]} {index}",
                         "senses": ",".join(SENSES[which]), "shift": None,
                         "created_at": clock() - timedelta(minutes=index * 50)})
        connection.execute(insert(Glimmer), rows)


def measure(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p99 wall time of `call` in milliseconds, after a warm-up."""
    for _ in range(10):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def bench(name: str, url: str, glimmers: int, rounds: int, connect_args: dict) -> None:
    """Runs every recall request on a full and an empty journal and prints the ratios."""
    database = Database(url, connect_args=connect_args) if connect_args else Database(url)
    upgrade(database)
    clock = FrozenClock()
    fill(database, "full-user", glimmers, clock)
    app = create_app({"GLIMMERS_VERIFY_REQUESTS": "0", "GLIMMERS_SKILL_ID":
                      "amzn1.ask.skill.bench", "GLIMMERS_SECRET_KEY": SECRET,
                      "database": database, "clock": clock,
                      "library": Library(items=(), available=False),
                      "time_zone_fetcher": lambda *_: "Europe/Berlin"})
    client = app.test_client()
    full = AlexaActions(client=client, clock=clock, user_id="full-user",
                        skill_id="amzn1.ask.skill.bench")
    empty = AlexaActions(client=client, clock=clock, user_id="empty-user",
                         skill_id="amzn1.ask.skill.bench")
    requests: dict[str, Callable[[AlexaActions], object]] = {
        "read me a glimmer": lambda a: a.intent("ReadGlimmerIntent", new_session=True),
        "read one about sound": lambda a: a.intent("ReadGlimmerIntent", new_session=True,
                                                   sense="sound", slot_ids={"sense": "sound"}),
        "what did I notice this week": lambda a: a.intent(
            "RecallPeriodIntent", new_session=True, period="this week",
            slot_ids={"period": "WEEK"}),
        "how many glimmers": lambda a: a.intent("CountGlimmersIntent", new_session=True),
    }
    print(f"\n{name}: {glimmers} glimmers, {rounds} rounds each (ms)")
    print(f"  {'request':32} {'p50':>7} {'p99':>7} {'empty p50':>10} {'ratio':>6}  <50ms")
    for label, send in requests.items():
        p50, p99 = measure(lambda send=send: send(full), rounds)
        base50, _ = measure(lambda send=send: send(empty), rounds)
        verdict = "yes" if p99 < 50 else "NO"
        print(f"  {label:32} {p50:7.2f} {p99:7.2f} {base50:10.2f} {p50 / base50:6.2f}  {verdict}")
    database.dispose()


def main() -> None:
    """Parses options and runs the benchmark on each available backend."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--glimmers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        bench("SQLite", f"sqlite:///{directory}/bench.db", options.glimmers, options.rounds, {})
    postgres = os.environ.get("GLIMMERS_TEST_POSTGRES_URL")
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            bench("PostgreSQL", postgres, options.glimmers, options.rounds,
                  {"options": f"-csearch_path={schema}"})
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    else:
        print("\n(PostgreSQL skipped: set GLIMMERS_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
