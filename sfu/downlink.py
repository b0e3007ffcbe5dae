"""What one subscriber's downlink carries: its REMB, lowered by the loss its receiver reports.

REMB (draft-alvestrand-rmcat-remb) comes from the receiver's delay-based estimator: it falls
when queueing delay grows. A mobile link whose queue is already full adds no more delay; it
drops what does not fit, so the estimate stays put while a third of the packets vanish (seen
in the field benchmark: 2 Mbit/s sent into a 500 kbit/s link for the whole window, 1,000
packets queued, a third of the audio concealed). Loss-based control as libwebrtc's send-side
estimator does it (draft-ietf-rmcat-gcc-02 section 6): above 10 % loss (twice in a row, or
once above 25 %: `_heavy`) the rate falls to sent x (1 - loss / 2); between 2 and 10 % it
holds; below 2 % it may rise again by 8 % a second, up to 1.5x what was sent lately. Once
set, that cap decides alone (`for_video`): it was measured from what the link carried, and
the layer choice steps up only within it.
A queue that stays full hides even the loss when the receiver's repairs fill its gaps: a
standing queue in the round trips (sfu/round_trip.py) lowers the rate too, to a little less
than what reached the receiver (sfu/loss_tally.py), so that the queue drains.

Repairs (NACK answers) add to a congested link what it is already dropping, so above that
loss they stop until the loss falls again.

Sans-I/O: reports and times come in; the caller measures what it sent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

HIGH_LOSS = 0.10  # above: the link drops what it cannot carry; lower the rate
# Reports are not smoothed: smoothed over two, the field benchmark's mobile link sent 1.7
# Mbit/s of repairs and media into 500 kbit/s for a whole window and concealed a quarter of
# one participant's audio. Above SEVERE_LOSS one report acts at once. Between the two, one
# report alone is the noise of a mobile link's random loss: with 3 % lost each way the reports
# read 3-9 % (a lost packet counts until its repair arrives), and one in a hundred of ~150
# packets read above 10 %, which stopped a video about once a minute (three times in one run
# of the benchmark); two such reports in a row are congestion (a drop-tail queue, a policer).
SEVERE_LOSS = 0.25
LOW_LOSS = 0.02  # below: the link carries it; let the loss cap rise
RISE = 1.08  # a second while loss stays low
RISE_BOUND = 1.5  # times the most sent lately, as far as a rise goes
# Chromium sends a compound RTCP packet per receive stream, microseconds apart (the field
# benchmark's trace: six for a subscriber of three people); each is a report, so the steps
# are paced by time, not counted per report.
RISE_INTERVAL = 1.0  # seconds between two rises
MIN_INTERVAL = 0.3  # seconds between two decreases, so one burst is not counted twice
# Repairs stay off this long after a report of heavy loss, so that the next stream's report
# of low loss (its own RTCP packet, a millisecond later) does not turn them on again.
REPAIR_PAUSE = 1.0
# Browsers report about once a second; RTCP after a longer silence ends an outage (a lift, a
# tunnel): what held the rate down before it says nothing about the link once it is back
# (`link_returned`), nor do the losses of what was sent into it (sfu/loss_tally.py).
OUTAGE_GAP = 3.0
# A standing queue on the downlink (sfu/round_trip.py): above QUEUE_HIGH and not draining, the
# link holds more than it carries, as a loss above HIGH_LOSS says; the rate falls to the most
# sent lately x QUEUE_BACKOFF (libwebrtc's delay-based decrease: 0.85x what arrives). Below
# QUEUE_LOW the link carries what it gets: the cap may rise though the loss is above LOW_LOSS
# (a mobile link loses a few percent at random, whatever is sent).
QUEUE_HIGH = 0.15  # seconds: at 500 kbit/s about 6 full packets waiting
QUEUE_LOW = 0.05
QUEUE_BACKOFF = 0.85
QUEUE_FRESH = 3.0  # seconds a queue measured stays the latest word on it
# After a decrease the queue must drain at least this fast (seconds of queue a second) while it
# stays above QUEUE_HIGH: sent at QUEUE_BACKOFF times what the link carries it drains 0.15 s a
# second. Only "no lower" counted as not draining before, and a link still all but full held
# 0.3-0.55 s of queue for 5 s after a cut, which the audio waited through (the trace).
DRAIN = 0.1
# A queue measured now was filled by what was sent a round trip and a queue ago; by then the
# videos that filled it may have stopped. The cut starts from the most sent in the last few
# seconds (the link carried at least that much less its queue), not from the audio alone: cut
# from that, every video stopped on a link that had room for one (the benchmark's trace).
SENT_MEMORY = 3.0  # seconds
# Near the rate that last filled the link, the cap rises by NEAR_RISE a second instead of RISE
# (additive rather than multiplicative, as libwebrtc's AIMD near its link capacity estimate):
# at 8 % a second it passed the 500 kbit/s of the benchmark's link within two seconds of the
# last cut, and the queue grew to a second before the next.
NEAR = 0.9  # of that rate
NEAR_RISE = 1.02


@dataclass
class Downlink:
    remb: int | None = None  # bit/s, the receiver's own estimate
    loss_cap: int | None = None  # bit/s, once losses or a queue held the rate down; None: not yet
    loss: float = 0.0  # the latest report's fraction lost
    _decreased_at: float | None = None
    _rose_at: float | None = None
    _reported_at: float | None = None
    _heavy_at: float | None = None  # the latest heavy loss (`_heavy`) or growing queue
    _high_before = False  # the previous report's loss was above HIGH_LOSS
    _queue: float | None = None  # the latest standing queue measured, seconds
    _queue_at: float | None = None  # when
    # The latest reading timed after the last cut, and when it came.
    _queue_since_decrease: tuple[float, float] | None = None
    _sent: deque[tuple[float, int]] = field(default_factory=deque)  # (time, bit/s) recently
    _filled_at: int | None = None  # bit/s: the most sent lately when the link last filled

    @property
    def estimate(self) -> int | None:
        if self.loss_cap is None:
            return self.remb
        return self.loss_cap if self.remb is None else min(self.remb, self.loss_cap)

    def for_video(self, audio: int, video_sent: int = 0, now: float | None = None) -> int | None:
        """Bit/s the videos may use beside `audio` bit/s of audio. REMB is theirs alone:
        libwebrtc's receive-side estimator reads video packets only (audio only with
        transport-cc, which the SFU does not send to subscribers), so a REMB of 200 kbit/s
        beside 180 kbit/s of audio is 200 kbit/s for video, not 20. While losses or a queue
        hold the rate down, that cap, less the audio, decides alone: it was measured from what
        the link carried, whereas a REMB that fell while the link was full never rises again
        while overuse goes on (libwebrtc does not raise its estimate while overusing): the
        field benchmark's trace had a REMB of 27 kbit/s for 30 s while 320 kbit/s of video
        arrived, and the videos never dropped to what the link carried.

        Without a cap, while the round trips show no queue (`unqueued` at `now`), a REMB below
        the `video_sent` bit/s the videos are sent now is the estimator reading a key frame's
        burst (it times packets, not the queue), not a full link: the budget stays what they
        are sent. Taken at its word, such a REMB stopped the videos restarted after an outage
        on a link that had room for them (the field benchmark's trace: 267 -> 214 kbit/s at a
        restart, the queue at 0.3 ms). A queue that really grows sets a cap within a reading
        or two."""
        if self.loss_cap is not None:
            return max(0, self.loss_cap - audio)
        if self.remb is not None and now is not None and self.unqueued(now):
            return max(self.remb, video_sent)
        return self.remb

    @property
    def repairs_allowed(self) -> bool:
        """No repairs from a report of heavy loss until one comes REPAIR_PAUSE after it."""
        heavy, latest = self._heavy_at, self._reported_at
        return heavy is None or latest is None or latest - heavy >= REPAIR_PAUSE

    def on_loss(
        self,
        fraction: float,
        sent: int,
        now: float,
        queue: float | None = None,
        queue_from: float | None = None,
        delivered: int | None = None,
    ) -> None:
        """A receiver report: `fraction` lost since the last one, while `sent` bit/s went out;
        `queue`: seconds of standing queue measured since (sfu/round_trip.py), None if none,
        timed by a sender report that went out at `queue_from` (None: lately); `delivered`:
        bit/s that reached the receiver over the last few seconds, None if not known."""
        self._reported_at = now
        self.loss = fraction
        queued = self._queued(queue, queue_from, now)
        heavy = self._heavy(fraction)
        if heavy or queued:
            self._heavy_at = now
        if sent <= 0:
            return  # nothing measured yet (the first report, or counters that started over)
        recent = self._sent
        recent.append((now, sent))
        while recent[0][0] < now - SENT_MEMORY:
            recent.popleft()
        if heavy or queued:
            if self._decreased_at is None or now - self._decreased_at >= MIN_INTERVAL:
                cap = self.loss_cap
                cuts = []
                most = max(rate for _at, rate in recent)
                if heavy:
                    cuts.append((sent if cap is None else min(sent, cap)) * (1 - fraction / 2))
                if queued:
                    cuts.append(self._queue_cut(most, delivered))
                self.loss_cap = int(min(cuts))
                self._filled_at = most if delivered is None else min(most, delivered)
                self._decreased_at = self._rose_at = now
                self._queue_since_decrease = None
        elif self.loss_cap is not None and (fraction < LOW_LOSS or self.unqueued(now)):
            if self._rose_at is not None and now - self._rose_at < RISE_INTERVAL:
                return
            self._rose_at = now
            # Never far above what was sent lately: what the link would carry beyond that is
            # unknown (libwebrtc's bound: 1.5x what arrives).
            most = max(rate for _at, rate in recent)
            filled = self._filled_at
            rise = NEAR_RISE if filled is not None and self.loss_cap >= filled * NEAR else RISE
            self.loss_cap = int(min(self.loss_cap * rise, max(self.loss_cap, most * RISE_BOUND)))

    def link_returned(self) -> None:
        """The link was down for seconds (a lift, a tunnel, another cell): what held the rate
        down before says nothing about it now, so it starts over as at a join (REMB stays,
        the receiver's own). Kept, a cap from before stopped the first video that restarted
        (the benchmark's trace)."""
        self.loss_cap = self._queue = self._queue_at = self._heavy_at = self._filled_at = None
        self._queue_since_decrease = self._decreased_at = None
        self._high_before = False
        self._sent.clear()

    def _heavy(self, fraction: float) -> bool:
        """Loss that lowers the rate: above SEVERE_LOSS, or above HIGH_LOSS twice in a row."""
        high_before, self._high_before = self._high_before, fraction > HIGH_LOSS
        return fraction > SEVERE_LOSS or (fraction > HIGH_LOSS and high_before)

    def _queue_cut(self, most: int, delivered: int | None) -> float:
        """The rate a growing queue lowers the cap to: QUEUE_BACKOFF times what the link
        carried (`delivered`; while a queue stands, all it can), so that the queue drains;
        without that figure, times the most sent lately. Below a cap already lower than that,
        the cap itself comes down by as much: the queue did not drain beneath it."""
        cap = self.loss_cap
        carried = most if delivered is None else min(most, delivered)
        target = carried * QUEUE_BACKOFF
        if cap is not None and cap <= target:
            return cap * QUEUE_BACKOFF
        return target

    def _queued(self, queue: float | None, timed_from: float | None, now: float) -> bool:
        """A new reading of a standing queue above QUEUE_HIGH that is not draining (by DRAIN
        seconds a second since the reading before).

        A decrease shows only in the round trips of sender reports sent after it: a reading
        timed before it is the latest word on the queue (`unqueued`) but no reason to cut
        again; the first reading after it says where the queue stands once it took effect,
        and only a later one that did not drain cuts again. (Each reading of the queue a cut
        had yet to drain cut once more: 484, 412, 350 then 298 kbit/s within 1.5 s on a link
        of 500, and every video stopped; the field benchmark's trace.)"""
        if queue is None:
            return False
        self._queue, self._queue_at = queue, now
        decreased = self._decreased_at
        if decreased is not None and timed_from is not None and timed_from < decreased:
            return False
        previous, self._queue_since_decrease = self._queue_since_decrease, (queue, now)
        if previous is None:
            return decreased is None and queue > QUEUE_HIGH  # the first ever acts at once
        last, last_at = previous
        return queue > QUEUE_HIGH and queue > last - DRAIN * (now - last_at)

    def unqueued(self, now: float) -> bool:
        """The latest queue measured, within QUEUE_FRESH, was below QUEUE_LOW. Round trips
        come only from answers to sender reports the receiver can tell apart (sfu/round_trip.py),
        so not every verdict has one of its own; without any, a mobile link's random loss
        (above LOW_LOSS) held a cap at the audio's rate for good and no video came back."""
        at, queue = self._queue_at, self._queue
        return (
            at is not None and queue is not None and now - at <= QUEUE_FRESH and queue < QUEUE_LOW
        )


# Bytes each RTP packet costs on the wire beyond what a consumer counts: SRTP's 10-byte
# authentication tag, UDP's 8 and IPv4's 20 (RFC 3711, 768, 791).
WIRE_OVERHEAD = 38


# The shortest span a rate is measured over (the audio's is AUDIO_SPAN). A subscriber's
# reports come in bursts of one RTCP packet per stream: measured between two of them
# (microseconds), the rate was 0 or wildly high, and a rate of 0 let the loss beside it set
# no cap at all (the field benchmark).
MIN_SPAN = 0.5  # seconds
# The audio a subscriber receives comes off the rate the videos may use. Over half a second it
# swung from 160 to 290 kbit/s (a publisher's uplink delivers its voice in bursts), and each
# swing read as a fall of the videos' budget and stopped one (the benchmark's trace); the voices
# themselves change slowly, so their rate is measured over longer.
AUDIO_SPAN = 3.0  # seconds


@dataclass
class SentMeter:
    """Bit/s that went out between two calls at least `span` seconds apart, from running
    totals; a call sooner than that returns the last rate."""

    span: float = MIN_SPAN
    _last: tuple[float, int, int] | None = None  # (time, bytes on the wire, packets)
    rate: int = 0
    packet_size: float | None = None  # bytes a packet took on the wire over the same span

    def update(self, now: float, octets: int, packets: int) -> int:
        total = octets + WIRE_OVERHEAD * packets
        last = self._last
        if last is not None and now - last[0] < self.span:
            return self.rate
        if last is not None:
            # Totals that went down (a consumer replaced, its counters new) measure nothing.
            self.rate = max(0, int((total - last[1]) * 8 / (now - last[0])))
            if packets > last[2] and total > last[1]:
                self.packet_size = (total - last[1]) / (packets - last[2])
        self._last = (now, total, packets)
        return self.rate


# Fewer packets than this between two reports say nothing about the link: the few repairs of
# a stream's first key frame among the ~30 packets a second of a low layer were 10-15 %, and
# stopped a watcher's video on loopback
# (tests/whole/browser/test_simulcast_three_layers_browser.py).
MIN_REPAIR_SAMPLE = 50


@dataclass
class RepairMeter:
    """The share of repairs (RTX answers to NACKs) among the packets sent between two calls.

    A receiver's report counts a packet lost only if its repair did not come either, so on a
    link whose queue overflows the reports show little loss while repairs grow: the share of
    repairs is the loss the reports hide, and counts as loss (sfu/receiving.py), once enough
    packets went out for a share to mean something (MIN_REPAIR_SAMPLE)."""

    _last: tuple[float, int, int] | None = None  # (time, packets, repairs) at the last look
    share: float = 0.0

    def update(self, now: float, packets: int, repairs: int) -> float:
        """The share since the last look at least MIN_SPAN ago; sooner, the last share."""
        last = self._last
        if last is not None and now - last[0] < MIN_SPAN:
            return self.share
        self._last = (now, packets, repairs)
        self.share = 0.0
        if last is None:
            return 0.0
        sent, repaired = packets - last[1], repairs - last[2]
        if sent < 0 or repaired < 0:
            return 0.0  # counters that started over measure nothing
        if sent + repaired < MIN_REPAIR_SAMPLE:
            return 0.0
        self.share = repaired / (sent + repaired)
        return self.share
