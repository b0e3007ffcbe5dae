"""Is an uploaded video a video? The container is opened and demuxed with PyAV (FFmpeg), as
photos are decoded with Pillow: the first bytes (`ftyp`, the WebM header) only say what a file
claims to be, and anything could follow them.

A video passes when FFmpeg opens it as a container with a video stream of a codec phones and
browsers use, a sane picture size, a duration, and at least one packet of that stream can be
read. Raises ValueError saying what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

# What phones record and browsers play (H.264, HEVC, VP8, VP9, AV1) plus the MPEG-4 Part 2
# and H.263 of older phones' 3GP files.
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "h263"})
MAX_SIDE = 8192  # pixels: beyond 8K it is not a phone video
MAX_PACKETS_TO_FIRST = 500  # demuxed packets (of any stream) before the video's first one


@dataclass(frozen=True)
class VideoProbe:
    codec: str
    width: int
    height: int
    duration_s: float


def probe_video(source: Path) -> VideoProbe:
    """What the demuxer finds in `source`, or ValueError."""
    try:
        with av.open(str(source), mode="r") as container:
            if not container.streams.video:
                raise ValueError("the file has no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in VIDEO_CODECS:
                raise ValueError(f"the video codec {codec!r} is not supported")
            width, height = stream.width, stream.height
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise ValueError(f"the picture size {width}x{height} is not sane")
            duration = _duration_s(container, stream)
            if duration <= 0:
                raise ValueError("the video has no duration")
            _require_a_packet(container, stream)
            return VideoProbe(codec, width, height, duration)
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        # FFmpeg's reason alone: its message also names the file, a path on this server.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(f"the video cannot be read: {reason}") from exc


def _duration_s(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base  # the container's, in microseconds
    return 0.0


def _require_a_packet(container: av.container.InputContainer, stream: av.video.VideoStream) -> None:
    for count, packet in enumerate(container.demux()):
        if packet.stream.index == stream.index and packet.size > 0:
            return
        if count >= MAX_PACKETS_TO_FIRST:
            break
    raise ValueError("the video stream has no data")
