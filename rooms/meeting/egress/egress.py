"""One meeting's egress: the programme out of the SFU, to RTMP destinations and/or an MP4.

Started and stopped by a moderator (signalling/egress.py); owned by the Meeting, which calls
`follow` on every speaker tick. Plain-RTP sinks (sfu/plain_rtp.py) carry the chosen
pictures and voices to one ffmpeg encoder; its output goes to one relay per destination and one
for the recording (processes.py). Everything here that changes state is synchronous except
`start` and `stop`, so the room never sees egress half-started.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rooms.meeting.egress import programme, recordings
from rooms.meeting.egress.commands import (
    Encoding,
    encoder_command,
    hls_command,
    layout_command,
    recorder_command,
    relay_command,
)
from rooms.meeting.egress.destinations import Destination, EgressError
from rooms.meeting.egress.processes import Encoder, Relay
from rooms.meeting.events import EgressState
from sfu.forwarding import AUDIO, VIDEO, Producer
from sfu.plain_rtp import PlainRtpSink, ffmpeg_sdp, free_port_pair

log = logging.getLogger(__name__)
SILENCE_TICK = 0.02  # seconds: one Opus frame
LAYOUT_REPEAT = 1.0  # seconds between two reminders of the layout to the encoder
# Stops still finishing their files after their room closed: awaited at shutdown.
_STOPPING: set[asyncio.Future[None]] = set()


@dataclass(frozen=True)
class EgressSettings:
    """Where recordings go and which ffmpeg makes them (server/app.py fills it in)."""

    recordings: Path
    live: Path | None = None  # HLS playlists while live; None: beside the recordings
    ffmpeg: str = "ffmpeg"
    encoding: Encoding = field(default_factory=Encoding)
    retention_days: int = 0  # recordings older are deleted (retention.py); 0: kept

    @property
    def live_root(self) -> Path:
        return self.live if self.live is not None else self.recordings.parent / "live"

    def available(self) -> bool:
        return shutil.which(self.ffmpeg) is not None


class Egress:
    def __init__(
        self,
        meeting: str,
        settings: EgressSettings,
        destinations: list[Destination],
        record: bool,
        clock: Callable[[], float],
        event_id: int | None = None,
        hls: bool = False,
        name_of: Callable[[str], str] = lambda _person: "",
    ) -> None:
        """`event_id`: the town hall's agenda event, whose recordings list this one joins.
        `hls`: also write a live HLS playlist for viewers on the web. `name_of(person)`: the
        display name captioned under whoever is on screen."""
        if not destinations and not record and not hls:
            raise EgressError("bad_message", "egress_start: give a destination, record or hls")
        if not settings.available():
            raise EgressError("unavailable", "this server has no ffmpeg: egress cannot start")
        self.meeting = meeting
        self.destinations = destinations
        self.started_at = clock()
        self.stopped = False
        self._clock = clock
        self._layout = programme.Layout()
        self._layout_told_at = -math.inf  # when the encoder was last told the layout
        self._name_of = name_of
        self._filler: asyncio.Task[None] | None = None
        self.recording: Path | None = None  # where the finished file goes
        if record:
            settings.recordings.mkdir(parents=True, exist_ok=True)
            name = recordings.file_name(meeting, event_id, int(time.time()))
            self.recording = settings.recordings / name
        self.hls: Path | None = None  # the live playlist's directory
        if hls:
            self.hls = recordings.live_directory(settings.live_root, meeting, event_id)
            shutil.rmtree(self.hls, ignore_errors=True)  # an earlier stream's segments
            self.hls.mkdir(parents=True)
        self._workdir = Path(tempfile.mkdtemp(prefix="kamar-egress-"))
        # The encoder's pictures (programme.Layout.pictures), each captioned with its name.
        self.pictures = [PlainRtpSink(VIDEO, 0, clock) for _input in range(programme.PICTURES)]
        self.voices = [PlainRtpSink(AUDIO, 0, clock) for _slot in range(programme.MAX_VOICES)]
        sdp_file = self._sdp_file = self._workdir / "programme.sdp"
        self._choose_ports()
        self.captions = tuple(
            self._workdir / f"caption-{n}.txt" for n in range(1, programme.PICTURES + 1)
        )
        for caption in self.captions:
            _write_caption(caption, "")
        command = encoder_command(
            settings.ffmpeg, sdp_file, settings.encoding, len(self.voices), self.captions
        )
        self.encoder = Encoder(command, self._relays(settings.ffmpeg), clock, self._choose_ports)

    def _choose_ports(self) -> None:
        """Free ports for the encoder's inputs, in its SDP file and its sinks; again before each
        restart. A port is free when chosen, but ffmpeg binds it only once loaded: another
        process that took it meanwhile made ffmpeg fail, and with the same ports every restart
        failed the same way, for good (seen in the suite: "bind failed: Address already in
        use" five times over, the other test worker's process on the port)."""
        video_ports = [free_port_pair() for _sink in self.pictures]
        audio_ports = [free_port_pair() for _sink in self.voices]
        for sink, port in zip(self.pictures + self.voices, video_ports + audio_ports, strict=True):
            sink.address = (sink.address[0], port)
        self._sdp_file.write_text(ffmpeg_sdp(video_ports, audio_ports), encoding="utf-8")

    def _relays(self, ffmpeg: str) -> list[Relay]:
        """One copy of the encoded programme per destination, the recording and HLS."""
        relays = [
            Relay(d.host, relay_command(ffmpeg, d.target), secret=d.key) for d in self.destinations
        ]
        if self.recording is not None:
            partial = self.recording.with_name(self.recording.name + recordings.PARTIAL)
            relays.append(Relay("recording", recorder_command(ffmpeg, partial)))
        if self.hls is not None:
            relays.append(Relay("hls", hls_command(ffmpeg, self.hls)))
        return relays

    def start(self) -> None:
        self.encoder.start()
        self._filler = asyncio.ensure_future(self._fill_silence())

    async def _fill_silence(self) -> None:
        """Every voice the mixer reads must keep coming, speaker or not (PlainRtpSink)."""
        while True:  # cancelled by `stop` once ffmpeg has finished reading
            for voice in self.voices:
                voice.fill_silence()
            await asyncio.sleep(SILENCE_TICK)

    def follow(self, producers: list[Producer], speakers: list[str]) -> None:
        """Send the picture and voices the programme chooses now (every speaker tick), and ask
        for key frames again while the encoder puts out no picture (processes.PictureWatch)."""
        if self.stopped:
            return
        if self.encoder.pictures.due(self._clock()):
            for picture in self.pictures:
                picture.request_keyframe()
        before, now = self._layout, programme.layout(producers, speakers, self._layout)
        self._layout = now
        for sink, caption, producer, was in zip(
            self.pictures, self.captions, now.pictures, before.pictures, strict=True
        ):
            if producer is not was:
                _write_caption(caption, self._name_of(producer.person) if producer else "")
            sink.follow(producer)
        self._tell_layout(now.mode != before.mode)
        current = [voice.producer for voice in self.voices]
        for voice, producer in zip(
            self.voices, programme.voices(producers, speakers, current), strict=True
        ):
            voice.follow(producer)

    def _tell_layout(self, changed: bool) -> None:
        """Switch the encoder's streamselect to the layout; again every LAYOUT_REPEAT seconds,
        as ffmpeg builds its filters anew (back at the first layout) whenever a picture's
        size changes, and a restarted encoder starts from the first layout too."""
        now = self._clock()
        if changed or now - self._layout_told_at >= LAYOUT_REPEAT:
            self._layout_told_at = now
            self.encoder.send_command(layout_command(programme.LAYOUTS.index(self._layout.mode)))

    def state(self) -> EgressState:
        """What everyone in the meeting is told: live where, recording or not, since when."""
        on = not self.stopped
        return {
            "type": "egress",
            "live": on and (bool(self.destinations) or self.hls is not None),
            "recording": on and self.recording is not None,
            "seconds": round(self._clock() - self.started_at, 1) if on else 0.0,
            "destinations": [d.host for d in self.destinations] if on else [],
            "hls": on and self.hls is not None,
        }

    async def stop(self) -> None:
        """Stop sending and let ffmpeg finish the streams and the file. Idempotent."""
        if self.stopped:
            return
        self.stopped = True  # the room's ticks no longer move the sinks
        await self.encoder.stop()  # packets still flowing let ffmpeg end its loop at once
        if self._filler is not None:
            self._filler.cancel()
        for sink in (*self.pictures, *self.voices):
            sink.close()
        shutil.rmtree(self._workdir, ignore_errors=True)
        if self.hls is not None:  # live only: the recording is what stays
            shutil.rmtree(self.hls, ignore_errors=True)
        if self.recording is not None:  # finished: now it may be listed
            partial = self.recording.with_name(self.recording.name + recordings.PARTIAL)
            if partial.is_file() and partial.stat().st_size > 0:
                partial.rename(self.recording)
        log.info("egress of %s stopped (%s)", self.meeting, self.recording or "live only")

    def stop_soon(self) -> None:
        """Stop from synchronous code (the meeting closed); shutdown awaits it."""
        task = asyncio.ensure_future(self.stop())
        _STOPPING.add(task)
        task.add_done_callback(_STOPPING.discard)


async def finish_stopping() -> None:
    """Wait for the egresses still finishing (server shutdown)."""
    if _STOPPING:
        await asyncio.gather(*_STOPPING, return_exceptions=True)


def _write_caption(caption: Path, name: str) -> None:
    """Replaced whole (written aside, then renamed): ffmpeg reads it every frame and must
    never see half a name. A space when there is none: drawtext wants some text."""
    partial = caption.with_suffix(".new")
    partial.write_text(name.strip() or " ", encoding="utf-8")
    os.replace(partial, caption)


def idle_state() -> EgressState:
    return {
        "type": "egress",
        "live": False,
        "recording": False,
        "seconds": 0.0,
        "destinations": [],
        "hls": False,
    }
