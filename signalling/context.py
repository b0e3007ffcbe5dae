"""One session's place in a meeting: what the meeting's handlers (signalling/joining.py,
signalling/media.py, signalling/townhall.py, signalling/egress.py) work on instead of the whole
session. Joining fills it in at `hello` and the session marks it ended; the handlers read who
and where, reach the client, and read the clock, and see nothing of the feed, the frame limits
or the dispatch."""

from __future__ import annotations

from collections.abc import Callable

from rooms.community.community import Community
from rooms.meeting.meeting import Meeting, Participant
from signalling.errors import ProtocolError
from signalling.events import ServerEvent

# A message for the socket: an event, or text already encoded (community events,
# rooms/community/bus.py).
Send = Callable[[ServerEvent | str], None]
Close = Callable[[str], None]


class MeetingContext:
    def __init__(
        self,
        send: Send,
        close: Close,
        clock: Callable[[], float],
        community: Callable[[], Community | None],
    ) -> None:
        self.send = send
        self.close = close
        self.clock = clock
        self._community = community
        self.participant: Participant | None = None
        self.meeting: Meeting | None = None
        self.event_id: int | None = None  # a town hall's agenda event (its record)
        self.in_lobby = False
        self.ended = False

    @property
    def community(self) -> Community | None:
        return self._community()

    @property
    def joined(self) -> bool:
        return self.participant is not None and not self.ended and not self.in_lobby

    def me(self) -> tuple[Meeting, Participant]:
        """The meeting and participant of a joined session, else `bad_state` (the session's
        dispatch names the message it answers)."""
        if not self.joined or self.meeting is None or self.participant is None:
            raise ProtocolError("bad_state", "join a meeting with hello first")
        return self.meeting, self.participant
