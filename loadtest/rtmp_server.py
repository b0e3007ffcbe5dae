"""A real RTMP server for tests and the egress benchmark: Debian's nginx with its RTMP module
(libnginx-mod-rtmp), on loopback, from a temporary configuration; it records what it receives
as FLV so ffprobe can read it back. And the ffprobe/ffmpeg checks of such a file."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.servers import free_port

NGINX = "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
APPLICATION = "live"


@dataclass(frozen=True)
class RtmpServer:
    port: int
    recordings: Path

    @property
    def url(self) -> str:
        """The server URL a destination is given, without a stream key."""
        return f"rtmp://127.0.0.1:{self.port}/{APPLICATION}"

    def recording(self, key: str) -> Path:
        return self.recordings / f"{key}.flv"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _config(directory: Path, port: int) -> str:
    return f"""load_module {RTMP_MODULE};
daemon off;
master_process off;
user root;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    application {APPLICATION} {{
      live on;
      record all;
      record_path {directory}/received;
      record_unique off;
    }}
  }}
}}
"""


@contextlib.contextmanager
def running_rtmp_server(directory: Path, timeout: float = 10.0) -> Iterator[RtmpServer]:
    """nginx-rtmp on a free loopback port, stopped afterwards."""
    missing = [p for p in (NGINX, RTMP_MODULE) if not Path(p).exists()]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} missing: install Debian's nginx and libnginx-mod-rtmp"
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "received").mkdir(exist_ok=True)
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(_config(directory, port), encoding="utf-8")
    command = [NGINX, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                errors = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"nginx-rtmp did not start: {errors}")
            time.sleep(0.02)
        yield RtmpServer(port, directory / "received")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def probe(path: Path) -> dict[str, Any]:
    """Codecs, sizes and the span of the packets of a media file, as ffprobe reads them."""
    ffprobe = shutil.which("ffprobe") or "ffprobe"
    shown = subprocess.run(
        [
            ffprobe, "-v", "error", "-of", "json", "-show_entries",
            "stream=codec_type,codec_name,width,height:packet=stream_index,pts_time",
            str(path),
        ],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    data = json.loads(shown.stdout)
    streams = data.get("streams", [])
    times = [float(p["pts_time"]) for p in data.get("packets", []) if "pts_time" in p]
    video: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "audio"), {})
    return {
        "video_codec": video.get("codec_name"),
        "audio_codec": audio.get("codec_name"),
        "width": video.get("width"),
        "height": video.get("height"),
        "seconds": (max(times) - min(times)) if times else 0.0,
    }


def mean_volume(path: Path) -> float:
    """The audio's mean volume in dB (ffmpeg volumedetect): about -91 for digital silence."""
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    done = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0",
         "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    found = re.search(r"mean_volume: (-?[\d.]+) dB", done.stderr)
    return float(found.group(1)) if found else float("-inf")
