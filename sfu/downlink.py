"""What one subscriber's downlink carries: its REMB, lowered by the loss its receiver reports.

REMB (draft-alvestrand-rmcat-remb) comes from the receiver's delay-based estimator: it falls
when queueing delay grows. A mobile link whose queue is already full adds no more delay; it
drops what does not fit, so the estimate stays put while a third of the packets vanish (seen
in the field benchmark: 2 Mbit/s sent into a 500 kbit/s link for the whole window, 1,000
packets queued, a third of the audio concealed). Loss-based control as libwebrtc's send-side
estimator does it (draft-ietf-rmcat-gcc-02 section 6): above 10 % loss the rate falls to
sent x (1 - loss / 2); between 2 and 10 % it holds; below 2 % it may rise again by 8 % a
report, until REMB alone decides. The estimate the layer choice uses is the lower of the two.

Repairs (NACK answers) add to a congested link what it is already dropping, so above that
loss they stop until the loss falls again.

Sans-I/O: reports and times come in; the caller measures what it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH_LOSS = 0.10  # above: the link drops what it cannot carry; lower the rate
# Each report counts at once, unsmoothed: the subscriber's repairs (NACK, RTX) fill most gaps
# before its report counts them, so a report above 10 % is already a link in trouble; smoothed
# over two reports, the field benchmark's mobile link sent 1.7 Mbit/s of repairs and media into
# 500 kbit/s for a whole window and concealed a quarter of one participant's audio.
LOW_LOSS = 0.02  # below: the link carries it; let the loss cap rise
RISE = 1.08  # a second while loss stays low
# Chromium sends a compound RTCP packet per receive stream, microseconds apart (the field
# benchmark's trace: six for a subscriber of three people); each is a report, so the steps
# are paced by time, not counted per report.
RISE_INTERVAL = 1.0  # seconds between two rises
MIN_INTERVAL = 0.3  # seconds between two decreases, so one burst is not counted twice
# Repairs stay off this long after a report above HIGH_LOSS, so that the next stream's report
# of low loss (its own RTCP packet, a millisecond later) does not turn them on again.
REPAIR_PAUSE = 1.0
# Browsers report about once a second; a report after a longer silence covers an outage (a
# lift, a tunnel), whose losses say nothing about what the link carries once it is back.
OUTAGE_GAP = 3.0


@dataclass
class Downlink:
    remb: int | None = None  # bit/s, the receiver's own estimate
    loss_cap: int | None = None  # bit/s while loss holds the rate down; None: no cap
    loss: float = 0.0  # the latest report's fraction lost
    _decreased_at: float | None = None
    _rose_at: float | None = None
    _reported_at: float | None = None
    _heavy_at: float | None = None  # the latest report above HIGH_LOSS

    @property
    def estimate(self) -> int | None:
        if self.loss_cap is None:
            return self.remb
        return self.loss_cap if self.remb is None else min(self.remb, self.loss_cap)

    def for_video(self, audio: int) -> int | None:
        """Bit/s the videos may use beside `audio` bit/s of audio. REMB is theirs alone:
        libwebrtc's receive-side estimator reads video packets only (audio only with
        transport-cc, which the SFU does not send to subscribers), so a REMB of 200 kbit/s
        beside 180 kbit/s of audio is 200 kbit/s for video, not 20; the loss cap covers all
        that was sent, so the audio comes off it."""
        if self.loss_cap is None:
            return self.remb
        left = max(0, self.loss_cap - audio)
        return left if self.remb is None else min(self.remb, left)

    @property
    def repairs_allowed(self) -> bool:
        """No repairs from a report above HIGH_LOSS until one comes REPAIR_PAUSE after it."""
        heavy, latest = self._heavy_at, self._reported_at
        return heavy is None or latest is None or latest - heavy >= REPAIR_PAUSE

    def on_loss(self, fraction: float, sent: int, now: float) -> None:
        """A receiver report: `fraction` lost since the last one, while `sent` bit/s went out."""
        after_outage = self._reported_at is not None and now - self._reported_at > OUTAGE_GAP
        self._reported_at = now
        if after_outage:
            self.loss = 0.0  # the outage's losses: no verdict on the link, repairs go on
            self._heavy_at = None
            return
        self.loss = fraction
        if fraction > HIGH_LOSS:
            self._heavy_at = now
        if sent <= 0:
            return  # nothing measured yet (the first report, or counters that started over)
        if fraction > HIGH_LOSS:
            if self._decreased_at is None or now - self._decreased_at >= MIN_INTERVAL:
                base = sent if self.loss_cap is None else min(sent, self.loss_cap)
                self.loss_cap = int(base * (1 - fraction / 2))
                self._decreased_at = self._rose_at = now
        elif fraction < LOW_LOSS and self.loss_cap is not None:
            if self._rose_at is not None and now - self._rose_at < RISE_INTERVAL:
                return
            self._rose_at = now
            self.loss_cap = int(self.loss_cap * RISE)
            if self.remb is not None and self.loss_cap >= self.remb:
                self.loss_cap = None  # REMB alone again


# Bytes each RTP packet costs on the wire beyond what a consumer counts: SRTP's 10-byte
# authentication tag, UDP's 8 and IPv4's 20 (RFC 3711, 768, 791).
WIRE_OVERHEAD = 38


# The shortest span a rate is measured over. A subscriber's reports come in bursts of one RTCP
# packet per stream: measured between two of them (microseconds), the rate was 0 or wildly
# high, and a rate of 0 let the loss beside it set no cap at all (the field benchmark).
MIN_SPAN = 0.5  # seconds


@dataclass
class SentMeter:
    """Bit/s that went out between two calls at least MIN_SPAN apart, from running totals;
    a call sooner than that returns the last rate."""

    _last: tuple[float, int] | None = None
    rate: int = 0

    def update(self, now: float, octets: int, packets: int) -> int:
        total = octets + WIRE_OVERHEAD * packets
        if self._last is not None and now - self._last[0] < MIN_SPAN:
            return self.rate
        if self._last is not None:
            # Totals that went down (a consumer replaced, its counters new) measure nothing.
            self.rate = max(0, int((total - self._last[1]) * 8 / (now - self._last[0])))
        self._last = (now, total)
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
