"""The relation graph between members, and what igraph finds in it.

Edges (undirected, weighted by how often): A replied to B's message (or B to A's); A and B
met: were both recorded in the meeting of the same agenda event, or, for an event held
offline (no stay recorded), both said "going" (events with more than MAX_EVENT_CROWD such
members add no edges: a congress of 2,000 says nothing about who knows whom, and would add
two million pairs), or were in a room's meeting without an event at the same time; and A
recruited B (the community's `referrals`, written by rooms/organising/: read here as the
community's table, so insight still needs nothing of organising), weighted RECRUITED:
bringing someone in is a personal tie, worth more than one reply.

Communities: Louvain modularity maximisation (igraph community_multilevel, with igraph's
random choices drawn from a generator seeded here: the same data gives the same answer).
Brokers: betweenness centrality, exact up to BETWEENNESS_SAMPLE members, sampled from that
many sources above it, and from fewer on big graphs so the breadth-first searches stay within
EDGE_VISITS (at least MIN_SAMPLE sources; igraph's C walks 650,000 edges from one source in
about 0.1 s on this machine). Isolated: members of the scope's rooms with no edge at all.
Communities smaller than SMALL_GROUP are shown as sizes only, without names.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from rooms.community.database import Database
from rooms.community.schema.accounts import users
from rooms.community.schema.agenda import events, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.organising import referrals
from rooms.community.schema.rooms import memberships
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import in_scope

MAX_EVENT_CROWD = 100
MAX_STAY_MS = 86_400_000
RECRUITED = 3
BETWEENNESS_SAMPLE = 300
EDGE_VISITS = 30_000_000
MIN_SAMPLE = 10
SEED = 18  # any fixed number: Louvain and the sampling are randomised
MAX_NODES_DRAWN = 300
_SEEDED = threading.Lock()
BROKERS = 10


async def edges(conn: AsyncConnection, scope: Scope) -> dict[tuple[int, int], int]:
    weights: dict[tuple[int, int], int] = defaultdict(int)
    parent = aliased(messages)
    replies = await conn.execute(
        select(messages.c.author_id, parent.c.author_id, func.count())
        .join(parent, parent.c.id == messages.c.reply_to)
        .where(
            messages.c.author_id != parent.c.author_id,
            messages.c.deleted.is_(False),
            in_scope(messages.c.room_id, scope),
        )
        .group_by(messages.c.author_id, parent.c.author_id)
    )
    for a, b, n in replies:
        weights[_pair(a, b)] += n
    for a, b in await _met_together(conn, scope):
        weights[(a, b)] += 1
    # Everyone's recruiter; pairs outside the scope's members are dropped with the others.
    for recruiter, recruited in await conn.execute(
        select(referrals.c.recruiter_id, referrals.c.user_id).where(
            referrals.c.recruiter_id != referrals.c.user_id
        )
    ):
        weights[_pair(recruiter, recruited)] += RECRUITED
    return weights


async def _met_together(conn: AsyncConnection, scope: Scope) -> list[tuple[int, int]]:
    """(a, b) with a < b, once per meeting they were at together: the members recorded in an
    agenda event's meeting (rooms/community/attendance.py), or, for an event without any
    recorded stay (held offline: a demonstration, a meeting in a hall), those who said
    "going"; and members whose stays in a room's meeting without an event overlapped."""
    came = select(meeting_attendance.c.event_id, meeting_attendance.c.user_id).where(
        meeting_attendance.c.event_id.is_not(None)
    )
    going = select(rsvps.c.event_id, rsvps.c.user_id).where(rsvps.c.response == "going")
    people: dict[int, set[int]] = defaultdict(set)
    held_here: set[int] = set()
    for rows in (came, going):
        found = rows.subquery()
        for event, person in await conn.execute(
            select(found.c.event_id, found.c.user_id)
            .join(events, events.c.id == found.c.event_id)
            .where(in_scope(events.c.room_id, scope))
        ):
            if rows is came:
                held_here.add(event)
            elif event in held_here:
                continue  # who came is known: a "going" who did not come did not meet them
            people[event].add(person)
    pairs = [
        pair
        for crowd in people.values()
        if len(crowd) <= MAX_EVENT_CROWD
        for pair in itertools.combinations(sorted(crowd), 2)
    ]
    return pairs + await _overlapping_stays(conn, scope)


async def _overlapping_stays(conn: AsyncConnection, scope: Scope) -> list[tuple[int, int]]:
    """Pairs whose stays in the same room's meeting (not an agenda event's) overlapped, once
    per pair of stays: b's began during a's (or with it, then b has the greater id). A stay
    pairs only with those that began in its last MAX_STAY_MS, so the self-join reads at most a
    day of a room's stays for each, not its history."""
    a, b = aliased(meeting_attendance), aliased(meeting_attendance)
    later = or_(
        b.c.joined_at > a.c.joined_at,
        and_(b.c.joined_at == a.c.joined_at, b.c.user_id > a.c.user_id),
    )
    found = await conn.execute(
        select(a.c.user_id, b.c.user_id)
        .join(
            b,
            and_(
                b.c.room_id == a.c.room_id,
                b.c.event_id.is_(None),
                b.c.user_id != a.c.user_id,
                b.c.joined_at < a.c.left_at,
                b.c.joined_at >= a.c.left_at - MAX_STAY_MS,
                later,
            ),
        )
        .where(a.c.event_id.is_(None), in_scope(a.c.room_id, scope))
    )
    return [_pair(x, y) for x, y in found]


def analyse(weights: dict[tuple[int, int], int], members: Iterable[int]) -> dict[str, Any]:
    """Communities, modularity, betweenness and isolated members of a weighted graph. Pure
    (igraph's random choices come from a generator seeded here)."""
    # Imported here, not at the top: igraph brings matplotlib when it is installed (the bench
    # extra), about a second of every process start, and only this analysis needs it.
    import igraph  # noqa: PLC0415

    # Only members with a relation enter the graph: isolated ones change neither the
    # communities nor anyone's betweenness.
    nodes = sorted({node for pair in weights for node in pair})
    everyone = set(members) | set(nodes)
    if not nodes:
        return {"communities": [], "modularity": 0.0, "betweenness": {}, "isolated": len(everyone)}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = list(weights.items())
    graph = igraph.Graph(
        n=len(nodes),
        edges=[(index[a], index[b]) for (a, b), _ in pairs],
        edge_attrs={"weight": [w for _, w in pairs]},
    )
    with _SEEDED:  # igraph draws from one process-wide generator: seed it, one at a time
        igraph.set_random_number_generator(random.Random(SEED))
        found = graph.community_multilevel(weights="weight")
        sample = betweenness_sample(len(nodes), len(pairs))
        sources = None if sample is None else random.Random(SEED).sample(range(len(nodes)), sample)
        raw = graph.betweenness(directed=False, sources=sources)
        igraph.set_random_number_generator(random)
    groups = [[nodes[i] for i in group] for group in found]
    communities = sorted((sorted(c) for c in groups), key=lambda c: (-len(c), c[0]))
    return {
        "communities": communities,
        "modularity": graph.modularity(found.membership, weights="weight"),
        "betweenness": _normalised(raw, nodes, sample),
        "isolated": len(everyone) - len(nodes),
    }


def _normalised(raw: list[float], nodes: list[int], sample: int | None) -> dict[int, float]:
    """Share of the shortest paths between the other members through each member, 0..1 (as
    networkx's normalized betweenness), scaled up from the sampled sources' paths."""
    n = len(nodes)
    if n <= 2:
        return {node: 0.0 for node in nodes}
    scale = 2 / ((n - 1) * (n - 2)) * (1 if sample is None else n / sample)
    return {node: value * scale for node, value in zip(nodes, raw, strict=True)}


def betweenness_sample(nodes: int, edges: int) -> int | None:
    """How many sources betweenness samples (None: all of them, exact). Pure."""
    if nodes <= BETWEENNESS_SAMPLE:
        return None
    return max(MIN_SAMPLE, min(BETWEENNESS_SAMPLE, EDGE_VISITS // max(1, edges)))


async def relations(db: Database, scope: Scope) -> dict[str, Any]:
    async with db.read() as conn:
        weights = await edges(conn, scope)
        names = await _names(conn, scope)
    members = list(names)
    # Only today's members: someone who left keeps their old messages, not a place in the graph.
    weights = {pair: w for pair, w in weights.items() if pair[0] in names and pair[1] in names}
    # Seconds on a big organisation: after the database connection is given back (a long
    # read would hold SQLite's WAL from being checkpointed), and in a thread, so the event
    # loop (chat, meetings' signalling) keeps getting turns meanwhile.
    found = await asyncio.to_thread(analyse, weights, members)
    community_of = {
        node: index for index, group in enumerate(found["communities"]) for node in group
    }
    named = {node for group in found["communities"] if len(group) >= SMALL_GROUP for node in group}
    rows = [
        {
            "community": index,
            "size": len(group),
            "members": ", ".join(names[n] for n in group) if len(group) >= SMALL_GROUP else None,
        }
        for index, group in enumerate(found["communities"])
    ]
    ranked = sorted(found["betweenness"].items(), key=lambda item: (-item[1], item[0]))
    brokers = [
        {"user_id": node, "name": names[node], "betweenness": round(value, 4)}
        for node, value in ranked
        if node in named and value > 0
    ][:BROKERS]
    strength: dict[int, int] = defaultdict(int)
    for (a, b), w in weights.items():
        strength[a] += w
        strength[b] += w
    drawn_set = set(sorted(named, key=lambda node: (-strength[node], node))[:MAX_NODES_DRAWN])
    return {
        "rows": rows,
        "modularity": round(found["modularity"], 4),
        "isolated": found["isolated"],
        "members": len(members),
        "brokers": brokers,
        "nodes": [
            {"id": n, "name": names[n], "community": community_of[n]} for n in sorted(drawn_set)
        ],
        "edges": [
            {"a": a, "b": b, "weight": w}
            for (a, b), w in weights.items()
            if a in drawn_set and b in drawn_set
        ],
    }


async def membership_mark(conn: AsyncConnection, scope: Scope) -> tuple[int, int]:
    """A cheap fingerprint of the scope's memberships (how many, and the sum of their members'
    ids): a kept analysis whose mark differs has someone who left, or lacks a newcomer."""
    found = await conn.execute(
        select(func.count(), func.coalesce(func.sum(memberships.c.user_id), 0)).where(
            in_scope(memberships.c.room_id, scope)
        )
    )
    count, total = found.one()
    return int(count), int(total)


async def _names(conn: AsyncConnection, scope: Scope) -> dict[int, str]:
    """Every member of the scope's rooms and their name, read at once (an IN list of 100,000
    ids would pass PostgreSQL's 32,767 parameters)."""
    in_rooms = select(memberships.c.user_id).where(in_scope(memberships.c.room_id, scope))
    rows = await conn.execute(
        select(users.c.id, users.c.display_name).where(users.c.id.in_(in_rooms))
    )
    return {user_id: name for user_id, name in rows}


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)
