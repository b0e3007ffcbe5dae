"""The relation graph between members, and what networkx finds in it.

Edges (undirected, weighted by how often): A replied to B's message (or B to A's), and A and B
both answered "going" to the same event (events with more than MAX_EVENT_CROWD going add no
edges: a congress of 2,000 says nothing about who knows whom, and would add two million
pairs). "Who recruited whom" joins when the organising data exists (docs/market-and-insight.md).

Communities: Louvain modularity maximisation (networkx louvain_communities, seeded, so the same
data gives the same answer). Brokers: betweenness centrality, exact up to BETWEENNESS_SAMPLE
members, sampled from that many sources above it, and from fewer on big graphs so the
breadth-first searches stay within EDGE_VISITS (at least MIN_SAMPLE sources): each source costs
one pass over every edge in Python, and the analysis must finish within a minute.
Isolated: members of the scope's rooms with no edge at all. Communities smaller than
SMALL_GROUP are shown as sizes only, without names.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from rooms.community.database import Database
from rooms.community.schema import events, memberships, messages, rsvps, users
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import in_scope

MAX_EVENT_CROWD = 100
BETWEENNESS_SAMPLE = 300
EDGE_VISITS = 5_000_000
MIN_SAMPLE = 10
SEED = 18  # any fixed number: Louvain and the sampling are randomised
MAX_NODES_DRAWN = 300
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
    crowd = (
        select(rsvps.c.event_id)
        .where(rsvps.c.response == "going")
        .group_by(rsvps.c.event_id)
        .having(func.count() <= MAX_EVENT_CROWD)
    )
    going = await conn.execute(
        select(rsvps.c.event_id, rsvps.c.user_id)
        .join(events, events.c.id == rsvps.c.event_id)
        .where(
            rsvps.c.response == "going",
            rsvps.c.event_id.in_(crowd),
            in_scope(events.c.room_id, scope),
        )
        .order_by(rsvps.c.event_id)
    )
    for _event, rows in itertools.groupby(going, key=lambda row: row[0]):
        people = sorted(row[1] for row in rows)
        for a, b in itertools.combinations(people, 2):
            weights[(a, b)] += 1
    return weights


def analyse(weights: dict[tuple[int, int], int], members: Iterable[int]) -> dict[str, Any]:
    """Communities, modularity, betweenness and isolated members of a weighted graph. Pure."""
    # Only members with a relation enter the graph (building all and taking the connected
    # subgraph cost more than the community detection on 20,000 members).
    core: nx.Graph[int] = nx.Graph()
    core.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items())
    everyone = set(members) | set(core)
    if core.number_of_edges() == 0:
        return {"communities": [], "modularity": 0.0, "betweenness": {}, "isolated": len(everyone)}
    found = nx.community.louvain_communities(core, weight="weight", seed=SEED)
    communities = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    sample = betweenness_sample(len(core), core.number_of_edges())
    betweenness = nx.betweenness_centrality(core, k=sample, seed=SEED, normalized=True)
    return {
        "communities": communities,
        "modularity": nx.community.modularity(core, [set(c) for c in communities], weight="weight"),
        "betweenness": betweenness,
        "isolated": len(everyone) - len(core),
    }


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
    # Seconds of pure Python on a big organisation: after the database connection is given
    # back (a long read would hold SQLite's WAL from being checkpointed), and in a thread, so
    # the event loop (chat, meetings' signalling) keeps getting turns between its steps.
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
