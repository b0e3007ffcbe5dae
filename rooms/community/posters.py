"""The first picture of a video file, for chat posters: the one place outside the forwarding
path where Kamar decodes video (PyAV, the media stack's own library)."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image

MAX_PACKETS = 200  # a video whose first picture needs more is not worth a poster


def first_picture(source: Path) -> Image.Image | None:
    """The first decodable video frame, or None (no video stream, or nothing decodes here)."""
    try:
        with av.open(str(source)) as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                return None
            for packets_read, packet in enumerate(container.demux(stream)):
                frames = [f for f in packet.decode() if isinstance(f, av.VideoFrame)]
                if frames:
                    picture: Image.Image = frames[0].to_image()  # type: ignore[no-untyped-call]
                    return picture
                if packets_read > MAX_PACKETS:
                    return None
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None
