"""What every session of this node shares (server/app.py builds it once): the meetings and
their placement, the secret, media settings, the community and the limits that span sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rooms.community.community import Community
from rooms.meeting.egress.egress import EgressSettings
from rooms.meeting.registry import MeetingRegistry, Placement
from sfu.ice_servers import IceServers
from signalling.cascade.home import Cascade
from signalling.feed import AUTH_CONCURRENCY
from signalling.peers import PeerFactory

if TYPE_CHECKING:  # for a type only: the session module builds on this one, not the reverse
    from signalling.session import Session


@dataclass
class Services:
    """What every session shares: the node's meetings, secret and media settings
    (server/wiring.py chooses the registry and placement)."""

    registry: MeetingRegistry
    placement: Placement
    secret: str
    peers: PeerFactory  # how sessions get their media connections (signalling/peers.py)
    clock: Callable[[], float]
    # STUN and TURN for the participants: each gets TURN credentials of its own in `welcome`.
    ice: IceServers = field(default_factory=IceServers)
    # The most participants this process serves at once; 0: no limit but the machine's.
    max_participants: int = 0
    # Shutting down gracefully (server/drain.py): meetings live here go on, no new one starts.
    draining: bool = False
    # Draining, and its meetings moved to other nodes (server/drain.py): it takes no socket.
    moved_out: bool = False
    # Sessions whose socket is open or whose media is still closing: shutdown waits for them.
    live_sessions: set[Session] = field(default_factory=set)
    # Accounts, rooms, chat and agenda; opened when the server starts (server/app.py).
    community: Community | None = None
    # Bounds the account look-ups of `auth` and of members' `hello` across all sockets
    # (signalling/feed.py AUTH_CONCURRENCY).
    auth_gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(AUTH_CONCURRENCY)
    )
    # Live out and recording (rooms/meeting/egress/); None: not offered by this server.
    egress: EgressSettings | None = None
    # Links to the other nodes (signalling/cascade/): a participant carried here from another
    # node receives media on that node. None on a single node.
    cascade: Cascade | None = None
