"""A Consumer's native route: while it simply forwards, its producer sends for it from C.

Where the native send step was built (sfu/native.py), a consumer that is simply forwarding
hands its numbering to a `Route` and its producer sends for it from C, many consumers per call
(`routes`). The consumer takes the state back (`_leave_route`) before anything changes it: a
pause, a layer switch, a send that failed; the next packet it forwards itself gives it a new
route. Everything else (repairs, sender reports, NACKs) reads state a route never changes.

A part of sfu/consumer.py's Consumer, kept apart as its own concept, as layer_switching.py is:
`RouteHandover` holds no state of its own and works on the consumer's numbering and counters,
which the declarations below name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from sfu.forwarding import VIDEO

if TYPE_CHECKING:
    from sfu.consumer import Consumer
    from sfu.forwarding import Producer


class RouteSource(Protocol):
    """What hands out native routes: the subscriber's packet output (sfu/peer.py)."""

    def route(self, owner: Consumer, ssrc: int, payload_type: int) -> Any | None:
        """A `sfu._rtpsend.Route` on the current path, or None when there is none to use."""

    def count_failure(self, code: int) -> None:
        """A route's send failed with this sfu.native code."""


class RouteHandover:
    if TYPE_CHECKING:  # the Consumer's state this part reads and writes (its __slots__)
        producer: Producer
        layer: Producer
        ssrc: int
        payload_type: int
        route: Any
        _routes: RouteSource | None
        _packets_sent: int
        _octets_sent: int
        _seq_delta: int
        _ts_delta: int
        _pid_delta: int
        _tl0_delta: int
        _last_seq: int
        _last_ts: int
        _last_pid: int
        _last_tl0: int
        _sent_at: float

        def _skip_to_keyframe(self) -> None: ...

    else:  # no __dict__ beside the Consumer's slots; mypy would check each name against ()
        __slots__ = ()

    @property
    def packets_sent(self) -> int:
        route = self.route
        return self._packets_sent + (route.packets_sent if route is not None else 0)

    @property
    def octets_sent(self) -> int:
        route = self.route
        return self._octets_sent + (route.octets_sent if route is not None else 0)

    def _take_route(self) -> None:
        """Let the producer send for this consumer from C, numbered as it would number."""
        assert self._routes is not None
        route = self._routes.route(cast("Consumer", self), self.ssrc, self.payload_type)
        if route is None:  # no native path to this subscriber (e.g. an IPv6 zone address)
            self._routes = None
            return
        route.seq_delta = self._seq_delta
        route.ts_delta = self._ts_delta
        route.picture_id_delta = self._pid_delta
        route.tl0_delta = self._tl0_delta
        route.last_seq = self._last_seq
        route.last_ts = self._last_ts
        route.last_picture_id = self._last_pid
        route.last_tl0 = self._last_tl0
        self.route = route
        self.layer.routes.append(route)

    def _leave_route(self) -> None:
        """Take the numbering and counters back from the route before changing anything."""
        route = self.route
        if route is None:
            return
        self.route = None
        self.layer.routes.remove(route)
        self._last_seq = route.last_seq
        self._last_ts = route.last_ts
        self._last_pid = route.last_picture_id
        self._last_tl0 = route.last_tl0
        self._packets_sent += route.packets_sent
        self._octets_sent += route.octets_sent
        self._sent_at = self.layer.last_arrival  # the last packet the route forwarded came then

    def route_failed(self, code: int) -> None:
        """The route could not send a packet (a full queue, a new ICE pair, a libsrtp error):
        as when `send` refuses one, video waits for its next key frame."""
        if self._routes is not None:
            self._routes.count_failure(code)
        self._leave_route()
        if self.producer.kind == VIDEO:
            self._skip_to_keyframe()
