"""`kamar-loadtest insight --members M --rooms R --messages N [--meetings K] [--repeat 3]
[--database-url URL] [--seed 1] [--json [FILE]]`: generate a community into an empty database
(SQLite in a temporary directory by default, PostgreSQL with --database-url) and time every
member-insight view on it, organisation-wide, as an administrator sees it.

The data: every member is in 1-3 rooms; messages are spread over the last 120 days, one in
five a reply to an earlier message of the same room; each meeting (an agenda event) gets RSVPs
from up to 20 of its room's members. Regions: 34 provinces x 3 cities. Seeded: the same
arguments give the same data. No network is used (the database is opened directly).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from loadtest.target import bounded
from rooms.community.accounts import User
from rooms.community.avatars import Avatars
from rooms.community.bus import LocalBus
from rooms.community.database import Database, open_database
from rooms.community.erasure import Erasure
from rooms.community.schema.accounts import users
from rooms.community.schema.agenda import events, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import memberships, rooms
from rooms.insight.insight import Insight
from signalling.events import encode

DAY_MS = 86_400_000
SPAN_DAYS = 120
BATCH = 5_000
VIEWS = ("participation", "rooms", "trends", "slipping", "regions", "meetings", "relations")
PROVINCES = [f"Provinsi {n}" for n in range(1, 35)]


@dataclass
class InsightResult:
    members: int
    rooms: int
    messages: int
    meetings: int
    database: str
    generate_s: float
    view_ms: dict[str, float]  # each view's slowest run
    # the most CPU of this process any run of each view took: on a shared machine the wall time
    # also holds the waits for a core; on PostgreSQL the database's own work is not in it
    view_cpu_ms: dict[str, float]
    load_average: float  # the machine's 1-minute load at the end (2 cores here)
    view_ms_p50: float
    view_ms_p99: float
    # The upkeep job's steps before the views: the relation analysis (the issue's "relation
    # analysis"; the relations view then answers from it), the roll-up of the whole history
    # and the past periods' counts.
    relations_s: float
    rollup_s: float
    periods_s: float
    communities: int
    modularity: float
    # Deleting one member's account afterwards (rooms/community/erasure.py): its transaction
    # deletes their rows from every table keyed to users, on the full data set.
    erase_ms: float


async def generate(
    db: Database,
    members: int,
    room_count: int,
    message_count: int,
    meetings: int,
    seed: int,
    now: int,
    progress: Callable[[str], None],
) -> None:
    rng = random.Random(seed)  # one sequence, drawn in this order: the same data every run
    async with db.read() as conn:
        if (await conn.execute(select(func.count()).select_from(users))).scalar_one():
            raise SystemExit("the database is not empty: the insight benchmark fills a new one")
    start = now - SPAN_DAYS * DAY_MS
    room_members = await _members_in_rooms(db, rng, members, room_count, start, now)
    progress(f"{members} members in {room_count} rooms")
    busy = [r for r, people_in in room_members.items() if people_in]
    await _messages(db, rng, room_members, busy, message_count, (start, now), progress)
    event_rooms = await _meetings(db, rng, busy, meetings, start, now)
    answers = await _rsvps(db, rng, event_rooms, room_members, now)
    attended = _attendance(rng, event_rooms, room_members, start, now)
    await _insert(db, meeting_attendance, attended)
    if not db.is_sqlite:  # explicit ids leave the sequences behind: move them past the data
        async with db.write() as conn:
            for table in ("users", "rooms", "messages", "events"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    progress(
        f"{message_count} messages, {meetings} meetings, {answers} RSVPs, "
        f"{len(attended)} attendances"
    )
    if not db.is_sqlite:
        # What autovacuum does to a live server's tables before anyone asks: statistics.
        async with db.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))


async def _members_in_rooms(
    db: Database, rng: random.Random, members: int, room_count: int, start: int, now: int
) -> dict[int, list[int]]:
    """The members, the rooms, and each member in one to three rooms: {room: its members}."""
    people = [
        {
            "id": n,
            "username": f"m{n}",
            "password_hash": "-",
            "display_name": f"Anggota {n}",
            "province": rng.choice(PROVINCES),
            "city": f"Kota {rng.randint(1, 3)}",
            "is_admin": n == 1,
            "created_at": start,
        }
        for n in range(1, members + 1)
    ]
    await _insert(db, users, people)
    await _insert(
        db,
        rooms,
        [
            {
                "id": r,
                "name": f"Kamar {r}",
                "kind": "work",
                "visibility": "invite",
                "created_by": 1,
                "created_at": start,
                "last_activity_at": now,
            }
            for r in range(1, room_count + 1)
        ],
    )
    room_members: dict[int, list[int]] = {r: [] for r in range(1, room_count + 1)}
    joined = []
    for person in range(1, members + 1):
        for room_id in rng.sample(range(1, room_count + 1), min(room_count, rng.randint(1, 3))):
            room_members[room_id].append(person)
            joined.append(
                {"room_id": room_id, "user_id": person, "role": "member", "joined_at": start}
            )
    await _insert(db, memberships, joined)
    return room_members


async def _messages(
    db: Database,
    rng: random.Random,
    room_members: dict[int, list[int]],
    busy: list[int],
    count: int,
    span: tuple[int, int],
    progress: Callable[[str], None],
) -> None:
    """`count` messages over `span` in the rooms with members, a fifth of them replies to one of
    the room's 50 latest, inserted a batch at a time."""
    last_in_room: dict[int, list[int]] = {}
    batch: list[dict[str, Any]] = []
    times = sorted(rng.randint(span[0], span[1] - 1) for _ in range(count))
    for n, at in enumerate(times, start=1):
        room_id = rng.choice(busy)
        recent = last_in_room.setdefault(room_id, [])
        reply = rng.choice(recent) if recent and rng.random() < 0.2 else None
        batch.append(
            {
                "id": n,
                "room_id": room_id,
                "author_id": rng.choice(room_members[room_id]),
                "text": "pesan",
                "reply_to": reply,
                "created_at": at,
            }
        )
        recent.append(n)
        del recent[:-50]
        if len(batch) == BATCH:
            await _insert(db, messages, batch)
            batch = []
            if n % 100_000 == 0:
                progress(f"{n} messages")
    await _insert(db, messages, batch)


async def _meetings(
    db: Database, rng: random.Random, busy: list[int], count: int, start: int, now: int
) -> dict[int, int]:
    """`count` one-hour meetings on the agenda of rooms with members: {event id: room}."""
    await _insert(
        db,
        events,
        [
            {
                "id": e,
                "room_id": rng.choice(busy),
                "title": "Rapat",
                "kind": "meeting",
                "starts_at": (at := rng.randint(start, now)),
                "ends_at": at + 3_600_000,
                "timezone": "Asia/Jakarta",
                "created_by": 1,
                "created_at": at - DAY_MS,
            }
            for e in range(1, count + 1)
        ],
    )
    async with db.read() as conn:
        return dict((await conn.execute(select(events.c.id, events.c.room_id))).all())


async def _rsvps(
    db: Database,
    rng: random.Random,
    event_rooms: dict[int, int],
    room_members: dict[int, list[int]],
    now: int,
) -> int:
    """Up to 20 answers from the room's members to each meeting; how many."""
    answers = []
    for event_id, room_id in event_rooms.items():
        crowd = room_members[room_id]
        for person in rng.sample(crowd, min(len(crowd), 20)):
            answers.append(
                {
                    "event_id": event_id,
                    "user_id": person,
                    "response": rng.choice(("going", "going", "maybe", "no")),
                    "updated_at": now - rng.randint(0, SPAN_DAYS) * DAY_MS,
                }
            )
    await _insert(db, rsvps, answers)
    return len(answers)


def _attendance(
    rng: random.Random,
    event_rooms: dict[int, int],
    room_members: dict[int, list[int]],
    start: int,
    now: int,
) -> list[dict[str, Any]]:
    """Each meeting's attendance: up to 15 of its room's members, each for 10-90 minutes
    (only meetings that have already ended)."""
    rows = []
    for event_id, room_id in event_rooms.items():
        began = rng.randint(start, now - 2 * 3_600_000)
        crowd = room_members[room_id]
        for person in rng.sample(crowd, min(len(crowd), rng.randint(0, 15))):
            rows.append(
                {
                    "room_id": room_id,
                    "event_id": event_id,
                    "user_id": person,
                    "joined_at": began,
                    "left_at": began + rng.randint(10, 90) * 60_000,
                }
            )
    return rows


async def _insert(db: Database, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for first in range(0, len(rows), BATCH):
        async with db.write() as conn:
            await conn.execute(insert(table), list(rows[first : first + BATCH]))


async def measure(args: argparse.Namespace, progress: Callable[[str], None]) -> InsightResult:
    with tempfile.TemporaryDirectory(prefix="kamar-insight-") as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'kamar.db'}"
        db = await open_database(url, migrate=True)  # an empty database, ours alone
        try:
            now = int(time.time() * 1000)
            began = time.perf_counter()
            await generate(
                db, args.members, args.rooms, args.messages, args.meetings, args.seed, now, progress
            )
            generate_s = time.perf_counter() - began
            insight = Insight(db, LocalBus(encode), time.time)
            # What the server's upkeep job has done before anyone looks (server/
            # insight_upkeep.py): the roll-up (here the whole history at once, as on the
            # first start after upgrading), past periods, the relation analysis.
            upkeep = await insight.maintain(analyse=True)
            progress("upkeep: " + ", ".join(f"{k} {v:.1f}" for k, v in upkeep.items()))
            admin = User(1, "m1", None, "Anggota 1", "", "", "", "", True)
            timings: dict[str, list[float]] = {view: [] for view in VIEWS}
            cpu: dict[str, list[float]] = {view: [] for view in VIEWS}
            relations: dict[str, Any] = {}
            for round_ in range(args.repeat):
                for view in VIEWS:
                    began, began_cpu = time.perf_counter(), time.process_time()
                    answer = await insight.view(admin, view)
                    timings[view].append((time.perf_counter() - began) * 1000)
                    cpu[view].append((time.process_time() - began_cpu) * 1000)
                    if view == "relations":
                        relations = answer
                progress(
                    f"round {round_ + 1}: "
                    + ", ".join(f"{view} {timings[view][-1]:.0f} ms" for view in VIEWS)
                )
            erasure = Erasure(db, LocalBus(encode), time.time, Avatars(Path(scratch)))
            began = time.perf_counter()
            await erasure.erase(2)  # "Anggota 2", in 1-3 rooms like everyone
            erase_ms = (time.perf_counter() - began) * 1000
            progress(f"deleting one account: {erase_ms:.0f} ms")
        finally:
            await db.close()
    every = sorted(ms for runs in timings.values() for ms in runs)
    return InsightResult(
        members=args.members,
        rooms=args.rooms,
        messages=args.messages,
        meetings=args.meetings,
        database="sqlite" if args.database_url is None else "postgresql",
        generate_s=round(generate_s, 1),
        view_ms={view: round(max(runs), 1) for view, runs in timings.items()},
        view_cpu_ms={view: round(max(runs), 1) for view, runs in cpu.items()},
        load_average=round(os.getloadavg()[0], 2),
        view_ms_p50=round(statistics.median(every), 1),
        view_ms_p99=round(_percentile(every, 0.99), 1),
        relations_s=round(upkeep["relations_s"], 2),
        rollup_s=round(upkeep["rollup_s"], 2),
        periods_s=round(upkeep["periods_s"], 2),
        communities=len(relations.get("rows", [])),
        modularity=relations.get("modularity", 0.0),
        erase_ms=round(erase_ms, 1),
    )


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: with few runs, p99 is the slowest, which is what a budget must cover."""
    rank = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
    return ordered[rank]


def add_parser(scenarios: Any) -> None:
    bench = scenarios.add_parser(
        "insight", help="generate members, rooms and messages; time every insight view"
    )
    bench.add_argument("--members", type=bounded(int, 10, 1_000_000), default=10_000)
    bench.add_argument("--rooms", type=bounded(int, 1, 100_000), default=100)
    bench.add_argument("--messages", type=bounded(int, 0, 10_000_000), default=100_000)
    bench.add_argument(
        "--meetings",
        type=bounded(int, 0, 1_000_000),
        default=None,
        help="agenda events with RSVPs (default: messages / 100)",
    )
    bench.add_argument("--repeat", type=bounded(int, 1, 20), default=3)
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    bench.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the figures as JSON (to stdout without FILE)",
    )


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    if args.meetings is None:
        args.meetings = max(1, args.messages // 100)
    result = asyncio.run(measure(args, progress))
    figures = asdict(result)
    if args.json == "-":
        print(json.dumps(figures, indent=2))
    else:
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print()
        for name, value in figures.items():
            print(f"{name:>14}: {value}")
    return 0
