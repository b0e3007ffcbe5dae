"""The share of packets a subscriber's link lost, counted over all its streams together.

A receiver report block (RFC 3550 6.4.1) says, per stream, what fraction of the packets
expected since the stream's previous report was lost. Taken one block at a time it is noise on
a phone's link: Chromium reports each stream in its own RTCP packet, about once a second, and a
320x180 video sends 15-30 packets a second, so one packet lost of three just after a video
restarts reads as 33 % (the field benchmark's trace: such reports stopped every restarted video
on a link that had room for all of them). The tally weighs streams by their packets instead:
from each block's cumulative count lost and extended highest sequence number it adds what was
expected and what was lost since that stream's previous block, and gives a share only when at
least MIN_SAMPLE packets over at least MIN_SPAN seconds stand behind it.

After an outage the first blocks count the packets sent into the dead link as lost (a
receiver's report interval ends at its previous report, which the outage swallowed, and the
expected count only moves once a packet arrives): up to 98 % in the trace, read as congestion
on a link that had just come back. So `link_returned` marks, per stream, the last packet sent
before the return: a stream's blocks count again once one of them has reached past it.

Sans-I/O: report blocks and times come in, shares go out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sfu.downlink import MIN_SPAN  # a share over the same span as the sent rate beside it

MIN_SAMPLE = 50  # packets expected: fewer say nothing (one lost of 50 is 2 %)
# What arrives is measured per stream, between two of its blocks: Chromium reports a video
# stream about every second and an audio stream about every five, so counted per share (over
# every stream's blocks since the last share) it swung from 150 to 690 kbit/s while 310-560
# were sent (the field benchmark's trace). A stream whose last block is older than this has
# stopped (or left): it counts no more.
STREAM_MEMORY = 8.0  # seconds
MIN_GAP = 0.2  # seconds between two blocks of a stream for a rate (a repeated report: none)


@dataclass
class _Stream:
    highest: int  # extended highest sequence number in the stream's previous block
    lost: int  # its cumulative count lost then
    # The last sequence number (16 bits) sent before an outage ended: blocks count again
    # after one reaches past it.
    outage_end: int | None = None
    at: float = 0.0  # when its previous block came
    rate: float | None = None  # packets a second that arrived between its last two blocks


@dataclass
class LossTally:
    _streams: dict[int, _Stream] = field(default_factory=dict)
    _expected = 0  # packets expected since the last share, over every stream
    _lost = 0
    _since: float | None = None  # when the tally started counting towards the next share

    def add(self, ssrc: int, highest: int, lost: int, now: float = 0.0) -> None:
        """One report block, come at `now`: stream `ssrc`'s extended highest sequence number
        received and its cumulative count lost."""
        stream = self._streams.get(ssrc)
        mark = stream.outage_end if stream is not None else None
        not_past = mark is not None and (highest - mark) & 0xFFFF >= 0x8000
        new = self._streams[ssrc] = _Stream(highest, lost, mark if not_past else None, now)
        if stream is None or mark is not None:
            # The first block only sets where the stream's count starts; one before the mark,
            # or the one that reaches past it, still spans the outage.
            return
        new.rate = stream.rate
        expected = highest - stream.highest
        if expected < 0 or expected >= 0x8000:
            return  # the stream started over: a new start
        lost_now = min(max(lost - stream.lost, 0), expected)
        self._expected += expected
        self._lost += lost_now
        if now - stream.at >= MIN_GAP:
            new.rate = (expected - lost_now) / (now - stream.at)

    def take(self, now: float) -> float | None:
        """The share lost since the last one, or None while too few packets or too little time
        stand behind it (the counts go on adding up)."""
        if self._since is None:
            self._since = now
        if now - self._since < MIN_SPAN or self._expected < MIN_SAMPLE:
            return None
        share = self._lost / self._expected
        self._expected = self._lost = 0
        self._since = now
        return share

    def received_rate(self, now: float) -> float | None:
        """Packets a second that reach the receiver, over all its streams that reported within
        STREAM_MEMORY, each between its last two blocks; None before any stream has two. While
        a queue stands on its link, that is what the link carries.

        A stream that has reported only once is left out, so just after a join (audio reports
        every ~5 s) this reads low and a queue cut goes deeper than the link needs: a video
        stops that would fit. Waiting for every stream instead left the first cuts to 0.85x
        the most sent, above the link, and the queue stood for seconds (8.9-15.9 % of one
        participant's audio concealed in the field benchmark): the audio comes first."""
        streams = self._streams.values()
        rates = [s.rate for s in streams if s.rate is not None and now - s.at <= STREAM_MEMORY]
        return sum(rates) if rates else None

    def link_returned(self, last_sent: dict[int, int]) -> None:
        """The subscriber's link was down. `last_sent`: per stream (SSRC), the sequence number
        of the last packet sent to it before now; the counts so far are dropped too."""
        for ssrc, seq in last_sent.items():
            stream = self._streams.get(ssrc)
            if stream is not None:
                stream.outage_end = seq & 0xFFFF
        for stream in self._streams.values():
            stream.rate = None  # what arrived before the outage says nothing now
        self._expected = self._lost = 0
        self._since = None
