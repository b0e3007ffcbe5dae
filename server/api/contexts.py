"""The bounded contexts beside the community (the marketplace, member insight) and Web Push,
opened when the server starts, after the community (server/app.py), and read by their
endpoints here."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from rooms.insight.insight import Insight
from rooms.market.market import Market
from server.api.routing import Call
from server.push import PushSender


@dataclass
class Contexts:
    market: Market | None = None
    insight: Insight | None = None
    push: PushSender | None = None  # server/push.py, open with the community


CONTEXTS_KEY = web.AppKey("kamar_contexts", Contexts)


def market_of(call: Call) -> Market:
    market = call.request.app[CONTEXTS_KEY].market
    if market is None:
        raise RuntimeError("the marketplace is not open")
    return market


def insight_of(call: Call) -> Insight:
    insight = call.request.app[CONTEXTS_KEY].insight
    if insight is None:
        raise RuntimeError("member insight is not open")
    return insight
