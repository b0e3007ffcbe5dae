"""Graceful shutdown (SIGTERM): stop taking newcomers, move or finish the meetings here, exit.

While draining, `/healthz` answers 503 so a load balancer sends new sockets elsewhere, and a
`hello` that would start a meeting here is refused with `draining` (signalling/joining.py).

With several nodes (`--redis`) and another live node that is not draining, the meetings move
(docs/cluster.md, "Moving a live meeting"): for each meeting it is home of, the node releases
its claim at once and leaves the stage for the next home (rooms/meeting/handover.py), then tells
each participant `bye` `moved`, on which the client connects again at once and the next `hello`
places the meeting on a live node. Sockets this node carries to another node's meeting (its
participant receives media here) are told `moved` too, so they come back through another node;
from then on this node takes no socket, and it exits as soon as the sessions have ended.

Otherwise (one node, or every node drains, as the workers of one machine do together) the
meetings stay: the node exits when its last participant has left and the last socket it carries
to another node has closed, when `timeout` has passed (meetings have no time limit, so someone
must set one), or at once on a second signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.exceptions import RedisError

from rooms.meeting import handover
from rooms.meeting.events import bye
from rooms.meeting.meeting import Meeting
from signalling.services import Services

log = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds between looks at the participant count


async def drain(services: Services, stop_now: asyncio.Event, timeout: float) -> None:
    services.draining = True
    services.placement.drain()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    log.info(
        "draining: %d participants still here, %d carried to other nodes",
        services.registry.participant_count,
        carried_sockets(services),
    )
    if services.registry.meetings() or carried_sockets(services):
        await move_meetings(services)
    while (
        services.registry.participant_count or carried_sockets(services)
    ) and not stop_now.is_set():
        left = deadline - loop.time()
        if left <= 0:
            log.info("draining: %.0f s passed; ending the meetings still here", timeout)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_now.wait(), min(CHECK_INTERVAL, left))
    log.info("draining: done")


async def move_meetings(services: Services) -> bool:
    """Move this node's meetings and carried sockets to the other nodes; False when there is
    no live node to take them (they stay here, as on a single node)."""
    try:
        successor = await services.placement.successor()
    except (RedisError, OSError) as exc:
        log.warning("draining: cannot look for another node (%s); the meetings stay", exc)
        return False
    if successor is None:
        log.info("draining: no other node takes meetings; they stay here until they end")
        return False
    services.moved_out = True
    meetings = services.registry.meetings()
    moved = 0
    for meeting in meetings:
        moved += await _move(services, meeting)
    carried = [s for s in services.live_sessions if s.joining.carry_to is not None]
    for session in carried:
        session.move()
    log.info(
        "draining: %d of %d meetings moved (node %s is live), %d participants and %d "
        "carried sockets told to connect again",
        moved, len(meetings), successor, _people(meetings), len(carried),
    )  # fmt: skip
    return True


async def _move(services: Services, meeting: Meeting) -> int:
    """Release `meeting`'s claim with its stage, then send everyone in it (the lobby included)
    away to come back at once: in this order, so that their next `hello` finds it free.
    1 when moved; 0 when Redis failed, and the meeting stays here (a `hello` would find the
    claim still naming this node). A claim that was no longer this node's is moved all the
    same: the meeting's home is elsewhere already."""
    present = [p.identity for p in meeting.participants.values()]
    try:
        await services.placement.release(meeting.name, handover.stage_state(meeting.stage, present))
    except (RedisError, OSError) as exc:
        log.warning("draining: could not release %s (%s); it stays here", meeting.name, exc)
        return 0
    everyone = [*meeting.participants.values(), *(p for p, _enter in meeting.waiting.values())]
    for participant in everyone:
        participant.deliver(bye("moved"))
        participant.disconnect("moved")
    return 1


def _people(meetings: list[Meeting]) -> int:
    return sum(len(meeting.participants) + len(meeting.waiting) for meeting in meetings)


def carried_sockets(services: Services) -> int:
    """Sockets this node carries to the node hosting their meeting (signalling/cascade/
    tunnel.py)."""
    return sum(1 for session in services.live_sessions if session.joining.carry_to is not None)
