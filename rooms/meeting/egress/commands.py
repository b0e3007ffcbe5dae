"""The ffmpeg command lines of egress, and when to restart what stopped. Pure.

One encoder per meeting reads the two plain-RTP sinks (sfu/plain_rtp.py) through an SDP file
and writes the programme as MPEG-TS to its stdout: VP8 to H.264 (libx264, veryfast,
zerolatency) and Opus to AAC, the codecs RTMP servers and MP4 players take. That is the one
transcode: each RTMP destination and the recording is a relay (`-c copy`) fed from that
stream, so a destination that drops is restarted alone, and a viewer never costs an encode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FPS = 25
KEYFRAME_SECONDS = 2  # YouTube and Facebook ask for a key frame at most every 2-4 s
# Key frames every second at the start, this many: the first HLS segments are 1 s long
# (hls_command), so the HLS_PLAYABLE_SEGMENTS a player needs come after 3 s of programme, not
# 6; then every KEYFRAME_SECONDS again.
FIRST_KEYFRAME_SECONDS = 1
EARLY_KEYFRAMES = 3
# How much of the programme (stream time, microseconds) the HLS relay reads before it starts
# copying. ffmpeg reads MPEG-TS for its whole -analyzeduration (5 s by default: streams may
# appear later), which held the first segment back by those 5 s. It must still see the first
# audio packet, which a loaded encoder may mux well after the first key frame: at 0.5 s a
# 720p run on an overloaded machine found no audio and the relay failed, so 2 s. The RTMP and
# MP4 relays keep the default: a few seconds later to YouTube or into a file cost nothing.
HLS_ANALYZE_US = 2_000_000
# A relay restarted after a drop waits 1, 2, 4 ... s, at most this, before trying again.
MAX_BACKOFF = 30.0
STEADY = 30.0  # a relay that ran this long before dropping starts its backoff again
AUDIO_KBPS = 128
# Video bitrate by picture height, within what YouTube recommends for live H.264 at 25-30 fps.
EGRESS_KBPS = {360: 800, 480: 1200, 720: 2500, 1080: 4500}


@dataclass(frozen=True)
class Encoding:
    """The programme's picture: `height` lines, 16:9, at `video_kbps`."""

    height: int = 720
    video_kbps: int = 2500

    @property
    def width(self) -> int:
        return (self.height * 16 // 9) // 2 * 2  # libx264 needs even sides


CAPTION_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")  # fonts-dejavu-core


def caption_filter(caption: Path, size: str = "h/22") -> str:
    """The name of whoever is in a picture, bottom left, read again every frame from `caption`
    (egress rewrites it on a switch). `expansion=none`: a name is text, never a %{...}
    expression. `size`: the font's height, as a share of the picture's (`h`)."""
    font = f"fontfile={CAPTION_FONT}" if CAPTION_FONT.is_file() else "font=Sans"
    return (
        f"drawtext=textfile={caption}:reload=1:expansion=none:{font}:fontcolor=white:"
        f"fontsize={size}:box=1:boxcolor=black@0.55:boxborderw=10:x=h/24:y=h-th-h/24"
    )


def _fit(width: int, height: int, caption: Path | None, size: str = "h/22") -> str:
    """Any picture's size into width x height without distortion (a switch to a camera of
    another size reconfigures the filters, never the encoder), captioned if asked."""
    named = f",{caption_filter(caption, size)}" if caption is not None else ""
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,format=yuv420p{named}"
    )


def _cover(width: int, height: int, caption: Path | None) -> str:
    """A camera filling a half of the grid: scaled to cover it and cut at the sides (a face
    is in the middle; black bars above and below two faces would waste half the frame)."""
    named = f",{caption_filter(caption)}" if caption is not None else ""
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=increase,"
        f"crop={width}:{height},format=yuv420p{named}"
    )


def picture_filter(encoding: Encoding, captions: tuple[Path, ...] | None = None) -> list[str]:
    """The five layouts (programme.LAYOUTS) made from the four pictures, and a streamselect
    that passes one of them on: egress switches it at run time (`layout_command`), so a new
    layout never restarts the encoder. The main picture (input 0) fills the frame (single),
    under the second in a corner (pip), or the left half beside the second (grid); in a trio
    or quad the four are quarters. Each layout is made every frame, chosen or not: a few per
    cent of a core (docs/egress.md). `captions`: a name file per picture."""
    width, height = encoding.width, encoding.height
    half = width // 2 // 2 * 2
    inset_w, inset_h = width // 4 // 2 * 2, height // 4 // 2 * 2
    margin = height // 24
    main, second, third, fourth = captions if captions is not None else (None,) * 4
    return [
        f"[0:v:0]fps={FPS},split=3[main_full][main_half][main_cell]",
        f"[main_full]{_fit(width, height, main)},split=2[single][screen]",
        f"[main_half]{_cover(half, height, main)}[left]",
        f"[0:v:1]fps={FPS},split=3[second_inset][second_half][second_cell]",
        f"[second_inset]{_fit(inset_w, inset_h, second, 'h/7')}[inset]",
        f"[second_half]{_cover(half, height, second)}[right]",
        f"[screen][inset]overlay=x={width - inset_w - margin}:y={height - inset_h - margin}[pip]",
        f"[left][right]hstack=inputs=2,pad={width}:{height}[grid]",
        *_quarters(width, height, (main, second, third, fourth)),
        "[single][pip][grid][trio][quad]streamselect=inputs=5:map=0[picture]",
    ]


def _quarters(width: int, height: int, captions: tuple[Path | None, ...]) -> list[str]:
    """The trio (two quarters above, one centred below) and the quad (four quarters). A
    quarter is 16:9 like the frame; a camera of another shape (a phone held upright) is fitted
    with bars rather than cut, since a quarter cut to a strip would lose the face."""
    cell_w, cell_h = width // 2 // 2 * 2, height // 2 // 2 * 2
    size = "h/12"  # of the quarter's height: about the size of a full picture's name
    return [
        f"[main_cell]{_fit(cell_w, cell_h, captions[0], size)},split=2[q0][t0]",
        f"[second_cell]{_fit(cell_w, cell_h, captions[1], size)},split=2[q1][t1]",
        f"[0:v:2]fps={FPS},{_fit(cell_w, cell_h, captions[2], size)},split=2[q2][t2]",
        f"[0:v:3]fps={FPS},{_fit(cell_w, cell_h, captions[3], size)}[q3]",
        f"[q0][q1][q2][q3]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,pad={width}:{height}[quad]",
        "[t0][t1]hstack=inputs=2[trio_top]",
        f"[t2]pad={cell_w * 2}:{cell_h}:{cell_w // 2}:0[trio_bottom]",
        f"[trio_top][trio_bottom]vstack=inputs=2,pad={width}:{height}[trio]",
    ]


def layout_command(index: int) -> bytes:
    """What egress writes to the encoder's stdin to show layout `index` (programme.LAYOUTS):
    ffmpeg's interactive `c` command (target, time -1 for now, command, argument), which it
    reads from stdin at most every 0.1 s."""
    return f"cstreamselect -1 map {index}\n".encode()


def programme_filter(
    encoding: Encoding, voices: int, captions: tuple[Path, ...] | None = None
) -> str:
    """The picture in its layout, and the voices mixed: each voice's gaps become silence, and
    the mix adds voices at their own level (no 1/n scaling: one speaker at a time is the usual
    case and must not be made quieter by the empty slots). `captions`: the files holding the
    names of the four pictures (programme.Layout.pictures)."""
    parts = picture_filter(encoding, captions)
    parts += [f"[0:a:{n}]aresample=async=1:first_pts=0[voice{n}]" for n in range(voices)]
    inputs = "".join(f"[voice{n}]" for n in range(voices))
    parts.append(f"{inputs}amix=inputs={voices}:dropout_transition=0:normalize=0[sound]")
    return ";".join(parts)


def encoder_command(
    ffmpeg: str,
    sdp_file: Path,
    encoding: Encoding,
    voices: int,
    captions: tuple[Path, ...] | None = None,
) -> list[str]:
    """ffmpeg reading RTP described by `sdp_file` (four pictures and `voices` microphones),
    writing MPEG-TS to stdout; `captions`: the files holding the names to show. Its stdin
    takes layout commands (`layout_command`), so it is not given -nostdin."""
    kbps = encoding.video_kbps
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", "file,udp,rtp",
        # Packets are stamped when they arrive: a speaker switch and a silent pause are the
        # time that really passed, whatever the publishers' RTP clocks say.
        "-use_wallclock_as_timestamps", "1",
        "-analyzeduration", "1000000", "-reorder_queue_size", "64",
        "-i", str(sdp_file),
        "-filter_complex", programme_filter(encoding, voices, captions),
        "-map", "[picture]", "-map", "[sound]",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
        "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 2}k",
        "-g", str(FPS * KEYFRAME_SECONDS), "-keyint_min", str(FPS * KEYFRAME_SECONDS),
        "-sc_threshold", "0", "-force_key_frames", _early_keyframes(),
        "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ar", "48000", "-ac", "2",
        # PAT and PMT before every key frame: a relay can start from any key frame (processes.py).
        "-f", "mpegts", "-mpegts_flags", "+pat_pmt_at_frames",
        "-flush_packets", "1", "-muxdelay", "0", "pipe:1",
    ]  # fmt: skip


def _early_keyframes() -> str:
    """ffmpeg's expression for the key frames forced at the start (EARLY_KEYFRAMES)."""
    every = FPS * FIRST_KEYFRAME_SECONDS
    return f"expr:lte(n,{every * EARLY_KEYFRAMES})*not(mod(n,{every}))"


def _copy_of_programme(ffmpeg: str, analyze: list[str] | None = None) -> list[str]:
    """The start of every relay: ffmpeg copying the programme it reads on stdin (`analyze`:
    input options on how much to read before copying)."""
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *(analyze or []),
        "-f", "mpegts", "-i", "pipe:0", "-map", "0", "-c", "copy",
    ]  # fmt: skip


def relay_command(ffmpeg: str, target: str) -> list[str]:
    """ffmpeg copying the programme from stdin to an RTMP(S) destination."""
    return [
        *_copy_of_programme(ffmpeg),
        "-f", "flv", "-flvflags", "no_duration_filesize", target,
    ]  # fmt: skip


def recorder_command(ffmpeg: str, path: Path) -> list[str]:
    """ffmpeg copying the programme from stdin into an MP4 file, finished when stdin closes
    (the index is moved to the front so a browser plays it while downloading). It writes over
    a file already there (-y): one that starts again finds its predecessor's unfinished file,
    which has no index and cannot be played, and without -y every start after that failed."""
    return [
        *_copy_of_programme(ffmpeg),
        "-movflags", "+faststart", "-f", "mp4", "-y", str(path),
    ]  # fmt: skip


HLS_SEGMENT_SECONDS = KEYFRAME_SECONDS  # a segment starts at every key frame
HLS_LIST_SIZE = 6  # segments in the playlist: 12 s to start from, older ones deleted
HLS_PLAYLIST = "index.m3u8"
# Segments a live playlist must list before a player is pointed at it: RFC 8216 6.3.3 has a
# client start no less than three target durations from the end, and Chromium's own player,
# given fewer, fails (DEMUXER_ERROR_COULD_NOT_PARSE) instead of waiting.
HLS_PLAYABLE_SEGMENTS = 3


def hls_command(ffmpeg: str, directory: Path) -> list[str]:
    """ffmpeg copying the programme from stdin into a live HLS playlist of MPEG-TS segments
    (any web server or CDN can serve the directory; Kamar serves it, docs/egress.md)."""
    return [
        *_copy_of_programme(ffmpeg, ["-analyzeduration", str(HLS_ANALYZE_US)]),
        "-f", "hls", "-hls_time", str(HLS_SEGMENT_SECONDS), "-hls_list_size", str(HLS_LIST_SIZE),
        # The first segments end at the encoder's early key frames (EARLY_KEYFRAMES).
        "-hls_init_time", str(FIRST_KEYFRAME_SECONDS),
        # Written under another name and renamed: a player never reads half a segment.
        "-hls_flags", "delete_segments+independent_segments+temp_file",
        "-hls_segment_filename", str(directory / "seg-%05d.ts"),
        str(directory / HLS_PLAYLIST),
    ]  # fmt: skip


def backoff(failures: int) -> float:
    """Seconds to wait before the next start after `failures` drops in a row (1, 2, 4 ...)."""
    return float(min(MAX_BACKOFF, 2 ** max(0, failures - 1)))
