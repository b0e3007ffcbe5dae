"""`kamar-loadtest search --messages N [--members M] [--rooms R] [--postgres] [--seed 1]
[--json [FILE]]`: fill an empty database with Indonesian-looking chat, index it as Kamar does,
and time searches; on PostgreSQL also the alternative considered, `pg_trgm` (docs/benchmarks.md
"Search").

Messages are 4-12 words drawn from a list of roots, each word affixed at random the way
Indonesian does ("beli", "membeli", "dibeli", "pembelian", "belinya"), so every root shows up in
many forms. A search for one inflected form should find every form of its root: `recall` is the
share of the messages holding any form of the root that a search returns (Kamar's stemmed
index, and a substring match `ILIKE '%word%'`, which is what a trigram index speeds up).
Searches run as members across their rooms, newest 20 first, as the app asks. Seeded; no
network (the database is opened directly; --postgres starts a throwaway cluster on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from loadtest.insight_bench import generate
from loadtest.postgres import throwaway_postgres
from loadtest.target import bounded
from rooms.community.accounts import User
from rooms.community.bus import LocalBus
from rooms.community.database import Database, open_database
from rooms.community.schema.chat import messages
from rooms.community.search import (
    Search,
    check_query,
    fts5_match,
    index_new_messages,
    tsquery_literal,
)
from signalling.events import encode

BATCH = 5_000
ROOTS = (
    "beli jual kirim tulis pakai ambil bayar kerja rumah rapat ajar baca tanya jawab "
    "pilih bantu catat lapor buat dengar panggil simpan tolak terima urus pinjam bangun"
).split()
AFFIXES = (
    "{}", "{}", "{}", "me{}", "di{}", "{}kan", "di{}kan", "pe{}an", "{}nya", "ber{}", "ter{}",
)  # fmt: skip
FILLER = "saya kita sudah belum nanti besok jam di ke dari untuk dan yang ini itu tolong".split()
PREFIX_SOUND = {"k": "meng", "t": "men", "p": "mem", "s": "meny"}  # "kirim" -> "mengirim"


@dataclass
class SearchResult:
    database: str
    messages: int
    members: int
    rooms: int
    index_s: float  # stemming and indexing every message, in batches
    index_bytes: int  # the index's size on disk (PostgreSQL: table + GIN index)
    search_ms_p50: float
    search_ms_p99: float
    search_cpu_ms_p50: float
    recall: float  # Kamar's index: share of the root's messages found
    load_average: float
    trigram: dict[str, float] = field(default_factory=dict)  # PostgreSQL: pg_trgm's figures


def affixed(rng: random.Random, root: str) -> str:
    form = rng.choice(AFFIXES)
    if form == "me{}" and root[0] in PREFIX_SOUND:  # the prefix swallows k, t, p, s
        return PREFIX_SOUND[root[0]] + root[1:]
    return form.format(root)


def sentence(rng: random.Random) -> str:
    words = [
        affixed(rng, rng.choice(ROOTS)) if rng.random() < 0.5 else rng.choice(FILLER)
        for _ in range(rng.randint(4, 12))
    ]
    return " ".join(words).capitalize()


async def fill(db: Database, count: int, members: int, room_count: int, seed: int) -> float:
    """Members, rooms and `count` messages; returns the seconds spent indexing them."""
    now = int(time.time() * 1000)
    await generate(db, members, room_count, 0, 0, seed, now, lambda _line: None)
    rng = random.Random(seed)
    indexing = 0.0
    for first in range(1, count + 1, BATCH):
        texts = [(n, sentence(rng)) for n in range(first, min(count, first + BATCH - 1) + 1)]
        rows = [
            {
                "id": n,
                "room_id": rng.randint(1, room_count),
                "author_id": rng.randint(1, members),
                "text": line,
                "created_at": now - (count - n) * 1000,
            }
            for n, line in texts
        ]
        async with db.write() as conn:
            await conn.execute(insert(messages), rows)
            began = time.perf_counter()
            await index_new_messages(conn, texts)
            indexing += time.perf_counter() - began
    return indexing


async def timed_searches(
    db: Database, members: int, queries: list[str], seed: int
) -> tuple[list[float], list[float]]:
    search = Search(db, LocalBus(encode), time.time)
    rng = random.Random(seed + 1)
    wall, cpu = [], []
    for query in queries:
        member = rng.randint(1, members)
        user = User(member, f"m{member}", None, f"Anggota {member}", "", "", "", "", False)
        began, began_cpu = time.perf_counter(), time.process_time()
        await search.messages(user, query)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return wall, cpu


async def recall_of(db: Database, root: str, found_sql: str, params: dict[str, Any]) -> float:
    """Share of the messages holding some form of `root` (as the generator writes them) that
    `found_sql`, a count, finds."""
    forms = {affixed(random.Random(n), root) for n in range(200)}
    async with db.read() as conn:
        texts = (await conn.execute(text("SELECT text FROM messages"))).scalars()
        expected = sum(1 for line in texts if forms & set(line.lower().split()))
        found = (await conn.execute(text(found_sql), params)).scalar_one()
    return round(found / expected, 3) if expected else 0.0


async def measure(
    url: str, args: argparse.Namespace, progress: Callable[[str], None]
) -> SearchResult:
    db = await open_database(url, migrate=True)
    try:
        index_s = await fill(db, args.messages, args.members, args.rooms, args.seed)
        progress(f"{args.messages} messages indexed in {index_s:.1f} s")
        rng = random.Random(args.seed + 2)
        queries = [affixed(rng, rng.choice(ROOTS)) for _ in range(args.searches)]
        wall, cpu = await timed_searches(db, args.members, queries, args.seed)
        found_sql = _stemmed_count_sql(db)
        recall = await recall_of(db, "kirim", found_sql, {"match": _match(db, "mengirim")})
        trigram = await _trigram(db, queries) if not db.is_sqlite else {}
        size = await _index_bytes(db)
    finally:
        await db.close()
    return SearchResult(
        database="sqlite" if url.startswith("sqlite") else "postgresql",
        messages=args.messages,
        members=args.members,
        rooms=args.rooms,
        index_s=round(index_s, 2),
        index_bytes=size,
        search_ms_p50=round(statistics.median(wall), 2),
        search_ms_p99=round(sorted(wall)[int(0.99 * (len(wall) - 1))], 2),
        search_cpu_ms_p50=round(statistics.median(cpu), 2),
        recall=recall,
        load_average=round(os.getloadavg()[0], 2),
        trigram=trigram,
    )


def _match(db: Database, word: str) -> str:
    found = check_query(word)
    return fts5_match(found) if db.is_sqlite else tsquery_literal(found)


def _stemmed_count_sql(db: Database) -> str:
    if db.is_sqlite:
        return "SELECT count(*) FROM message_search WHERE terms MATCH :match"
    return "SELECT count(*) FROM message_search WHERE terms @@ CAST(:match AS tsquery)"


async def _trigram(db: Database, queries: list[str]) -> dict[str, float]:
    """The alternative: a trigram GIN index on the text and `ILIKE '%word%'`."""
    async with db.write() as conn:
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        began = time.perf_counter()
        await conn.execute(
            text("CREATE INDEX bench_trgm ON messages USING GIN (text gin_trgm_ops)")
        )
        build_s = time.perf_counter() - began
    wall = []
    async with db.read() as conn:
        for query in queries:
            began = time.perf_counter()
            await conn.execute(
                text(
                    "SELECT id FROM messages WHERE text ILIKE :like"
                    " AND room_id IN (SELECT room_id FROM memberships WHERE user_id = 1)"
                    " ORDER BY id DESC LIMIT 20"
                ),
                {"like": f"%{query}%"},
            )
            wall.append((time.perf_counter() - began) * 1000)
        size = (await conn.execute(text("SELECT pg_relation_size('bench_trgm')"))).scalar_one()
    recall = await recall_of(
        db, "kirim", "SELECT count(*) FROM messages WHERE text ILIKE :like", {"like": "%mengirim%"}
    )
    return {
        "build_s": round(build_s, 2),
        "index_bytes": int(size),
        "search_ms_p50": round(statistics.median(wall), 2),
        "search_ms_p99": round(sorted(wall)[int(0.99 * (len(wall) - 1))], 2),
        "recall": recall,
    }


async def _index_bytes(db: Database) -> int:
    async with db.read() as conn:
        if db.is_sqlite:
            statement = "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'message_search%'"
            with contextlib.suppress(Exception):  # dbstat is a compile-time option
                return int((await conn.execute(text(statement))).scalar_one() or 0)
            return 0
        statement = "SELECT pg_total_relation_size('message_search')"
        return int((await conn.execute(text(statement))).scalar_one())


@contextlib.contextmanager
def _database(postgres: bool) -> Iterator[str]:
    if postgres:
        with throwaway_postgres() as base:
            yield f"{base}/postgres"
    else:
        with tempfile.TemporaryDirectory(prefix="kamar-search-") as scratch:
            yield f"sqlite:///{Path(scratch) / 'kamar.db'}"


def add_parser(scenarios: Any) -> None:
    bench = scenarios.add_parser("search", help="index Indonesian chat and time searches")
    bench.add_argument("--messages", type=bounded(int, 100, 10_000_000), default=100_000)
    bench.add_argument("--members", type=bounded(int, 10, 1_000_000), default=2_000)
    bench.add_argument("--rooms", type=bounded(int, 1, 100_000), default=100)
    bench.add_argument("--searches", type=bounded(int, 1, 10_000), default=200)
    bench.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE")


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    with _database(args.postgres) as url:
        result = asyncio.run(measure(url, args, progress))
    body = json.dumps(asdict(result), indent=2)
    if args.json and args.json != "-":
        Path(args.json).write_text(body + "\n", encoding="utf-8")
    print(body)
    return 0
