"""`kamar-loadtest campaign-report [--members 100000] [--messages 1000000] [--runs 5]
[--database-url postgresql://...] [--json FILE]`: how long a campaign's recruitment report takes
on PostgreSQL when the campaign brought in M members who posted N messages.

The data are generated here and written with COPY: M members (the first 1,000 are the
recruiters, each crediting every 1,000th sign-up), spread over 30 days and 50 regencies, 2% of
sign-ups flagged; N messages by 70% of them (the rest never post), each within 40 days of its
author's sign-up; 30,000 RSVPs. Then the report (rooms/organising/report.py, the query the API
runs) is timed `--runs` times, after VACUUM ANALYZE and the first roll-up of the activity (each
run refreshes the roll-up first, as the API does). Without --database-url a throwaway PostgreSQL
cluster is started from Debian's binaries (loadtest/postgres.py) inside a private network
namespace; with it, a database of that server is used and must be empty, unless --reuse says
it holds an earlier run's data: then only the report is timed (two versions of the report,
back to back on the same data).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
from sqlalchemy import text

from loadtest.chat_stats import percentile
from loadtest.netns import reexec_in_private_netns
from loadtest.postgres import throwaway_postgres
from loadtest.servers import process_cpu_seconds
from loadtest.target import bounded, print_summary
from rooms.community import activity_days
from rooms.community.database import open_database
from rooms.community.regions import regions
from rooms.organising.report import DAY_MS, Scope, recruitment_report

RECRUITERS = 1000
ROOMS = 100
EVENTS = 100
RSVPS = 30_000
REGENCIES = 50
START_MS = 1_780_000_000_000  # 2026-05-28, an arbitrary fixed start
SEED = 17


@dataclass(frozen=True)
class ReportResult:
    members: int
    messages: int
    runs: int
    report_ms_first: float
    report_ms_p50: float
    report_ms_max: float
    # CPU of the PostgreSQL backend that ran it: what the report costs, whatever else runs
    # on the machine (None for a server in another namespace or of another user).
    report_cpu_ms_p50: float | None
    signups: int
    active_7d: int
    active_30d: int
    load_s: float
    rollup_s: float  # the first roll-up of the loaded history (first_activity and the rest)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def signup_ms(member: int) -> int:
    """Member n's sign-up time: spread evenly over 30 days."""
    return START_MS + (member * 7919 % 30_000) * (30 * DAY_MS // 30_000)


async def load(url: str, members: int, messages: int, progress: Callable[[str], None]) -> None:
    database = await open_database(url, migrate=True)  # the schema, migrated
    await database.close()
    rng = random.Random(SEED)
    conn = await asyncpg.connect(url)
    try:
        await _members_in_a_campaign(conn, members, progress)
        await _activity(conn, rng, members, messages, progress)
        # What autovacuum does to a live server's tables: statistics, and the visibility map
        # that lets the report's index probes skip the table.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _vacuum_analyze(url: str) -> None:
    database = await open_database(url, migrate=True)
    await database.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _members_in_a_campaign(
    conn: asyncpg.Connection, members: int, progress: Callable[[str], None]
) -> None:
    """The members in West and East Java's regencies, the branch rooms, and the campaign all
    but the recruiters joined through."""
    regencies = [r.code for r in regions().children("32")] + [
        r.code for r in regions().children("35")
    ]
    await conn.copy_records_to_table(
        "users",
        columns=["id", "password_hash", "display_name", "region_code", "created_at"],
        records=(
            (n, "!", f"Anggota {n}", regencies[n % REGENCIES], signup_ms(n))
            for n in range(1, members + 1)
        ),
    )
    progress(f"{members} members written")
    await conn.copy_records_to_table(
        "rooms",
        columns=["id", "name", "kind", "visibility", "created_by", "created_at",
                 "last_activity_at"],
        records=((n, f"Ranting {n}", "region", "invite", 1, START_MS, START_MS)
                 for n in range(1, ROOMS + 1)),
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO campaigns (id, name, starts_at, ends_at, target, created_by, created_at)"
        " VALUES (1, 'Bench', $1, $2, $3, 1, $1)",
        START_MS,
        START_MS + 30 * DAY_MS,
        members,
    )
    await conn.copy_records_to_table(
        "referrals",
        columns=["user_id", "recruiter_id", "channel", "campaign_id", "created_at", "flags",
                 "region_code"],
        records=(
            (n, n % RECRUITERS + 1, "qr" if n % 3 else "link", 1, signup_ms(n),
             "same_device" if n % 50 == 0 else "", regencies[n % REGENCIES])
            for n in range(RECRUITERS + 1, members + 1)
        ),
    )  # fmt: skip


async def _activity(
    conn: asyncpg.Connection,
    rng: random.Random,
    members: int,
    messages: int,
    progress: Callable[[str], None],
) -> None:
    """Messages from seven in ten members, the branch meetings, and the RSVPs to them."""
    posters = [n for n in range(1, members + 1) if rng.random() < 0.7]
    batch = 200_000
    for start in range(0, messages, batch):
        rows = []
        for m in range(start, min(messages, start + batch)):
            author = posters[rng.randrange(len(posters))]
            at = signup_ms(author) + rng.randrange(40 * DAY_MS)
            rows.append((m + 1, rng.randrange(1, ROOMS + 1), author, "pesan", at))
        await conn.copy_records_to_table(
            "messages",
            columns=["id", "room_id", "author_id", "text", "created_at"],
            records=rows,
        )
        progress(f"{min(messages, start + batch)}/{messages} messages written")
    await conn.copy_records_to_table(
        "events",
        columns=["id", "room_id", "title", "kind", "starts_at", "ends_at", "timezone",
                 "created_by", "created_at"],
        records=((n, (n - 1) % ROOMS + 1, f"Rapat {n}", "meeting", START_MS, START_MS,
                  "Asia/Jakarta", 1, START_MS) for n in range(1, EVENTS + 1)),
    )  # fmt: skip
    pairs = {(rng.randrange(1, EVENTS + 1), rng.randrange(1, members + 1)) for _ in range(RSVPS)}
    await conn.copy_records_to_table(
        "rsvps",
        columns=["event_id", "user_id", "response", "updated_at"],
        records=((e, u, "going", signup_ms(u) + rng.randrange(40 * DAY_MS)) for e, u in pairs),
    )


def _cpu_seconds(pid: int) -> float | None:
    try:
        figures = process_cpu_seconds(pid)
    except OSError:  # not a process of this machine that we may read
        return None
    return None if figures is None else sum(figures)


@contextlib.asynccontextmanager
async def _database(given: str | None) -> AsyncIterator[str]:
    if given is not None:
        yield given
        return
    with throwaway_postgres() as base:
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute('CREATE DATABASE "kamar_bench"')
        finally:
            await admin.close()
        yield f"{base}/kamar_bench"


async def run_report(
    members: int,
    messages: int,
    runs: int,
    url: str | None,
    progress: Callable[[str], None],
    reuse: bool = False,
) -> ReportResult:
    async with _database(url) as database_url:
        started = time.monotonic()
        if not reuse:
            await load(database_url, members, messages, progress)
        else:  # a migration may have rewritten tables: what autovacuum does after it
            await _vacuum_analyze(database_url)
            regions()  # the regions' index, built once per process (the API's too), untimed
        loaded = time.monotonic() - started
        database = await open_database(database_url)
        timings: list[float] = []
        cpu: list[float] = []
        try:
            # The server's upkeep job rolls activity up as it happens; a database loaded at once
            # is rolled up at once (the first refresh after an upgrade does the same).
            started = time.monotonic()
            async with database.write() as conn:
                await activity_days.refresh(conn, int(time.time() * 1000))
            rolled = time.monotonic() - started
            for _ in range(runs):
                # What the API does per report: the roll-up's open days (nothing new here),
                # then the one statement, timed on its own (its backend's CPU too).
                async with database.write() as conn:
                    await activity_days.refresh(conn, int(time.time() * 1000))
                async with database.read() as conn:
                    backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                    cpu_before = _cpu_seconds(backend)
                    began = time.monotonic()
                    report = await recruitment_report(conn, Scope(campaign_id=1), members)
                    timings.append((time.monotonic() - began) * 1000)
                    cpu_after = _cpu_seconds(backend)
                    if cpu_before is not None and cpu_after is not None:
                        cpu.append((cpu_after - cpu_before) * 1000)
        finally:
            await database.close()
    return ReportResult(
        members=members,
        messages=messages,
        runs=runs,
        report_ms_first=round(timings[0], 1),
        report_ms_p50=round(percentile(timings, 0.5) or 0.0, 1),
        report_ms_max=round(max(timings), 1),
        report_cpu_ms_p50=round(percentile(cpu, 0.5) or 0.0, 1) if cpu else None,
        signups=report["signups"],
        active_7d=report["active_7d"],
        active_30d=report["active_30d"],
        load_s=round(loaded, 1),
        rollup_s=round(rolled, 1),
    )


def add_parser(scenarios: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = scenarios.add_parser(
        "campaign-report", help="a campaign report over M members and N messages on PostgreSQL"
    )
    bench.add_argument("--members", type=bounded(int, RECRUITERS + 1, 1_000_000), default=100_000)
    bench.add_argument("--messages", type=bounded(int, 0, 10_000_000), default=1_000_000)
    bench.add_argument("--runs", type=bounded(int, 1, 50), default=5)
    bench.add_argument(
        "--database-url", help="an empty PostgreSQL database (default: a throwaway cluster)"
    )
    bench.add_argument(
        "--reuse",
        action="store_true",
        help="the database holds an earlier run's data (same --members and --messages):"
        " migrate it and time the report only, to compare two versions on the same data",
    )
    bench.add_argument("--json", metavar="FILE", help="write the figures as JSON")


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    if args.database_url is None:
        if args.reuse:
            print("--reuse needs --database-url: a throwaway cluster starts empty")
            return 2
        reexec_in_private_netns()
    print(f"campaign report: {args.members} members, {args.messages} messages", flush=True)
    result = asyncio.run(
        run_report(args.members, args.messages, args.runs, args.database_url, progress, args.reuse)
    )
    print()
    print_summary(
        [
            ("data written (s)", result.load_s),
            ("first roll-up of the history (s)", result.rollup_s),
            (
                "report first / p50 / max (ms)",
                f"{result.report_ms_first} / {result.report_ms_p50} / {result.report_ms_max}",
            ),
            ("report's database CPU p50 (ms)", result.report_cpu_ms_p50),
            ("signups / active 7 d / active 30 d",
             f"{result.signups} / {result.active_7d} / {result.active_30d}"),
        ],
        36,
    )  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result.as_dict(), out, indent=2)
            out.write("\n")
        print(f"wrote {args.json}")
    return 0
