"""Town-hall recordings and live HLS (rooms/meeting/egress/): listed with their event for its
room's members, each with a signed link that a <video> element can play (browsers with HLS
built in: Chromium, Chrome on Android, Safari) and a browser can save."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from rooms.community.permissions import may
from rooms.errors import Forbidden, NotFound
from rooms.meeting.egress import recordings, retention
from rooms.meeting.egress.commands import HLS_PLAYABLE_SEGMENTS, HLS_PLAYLIST, HLS_SEGMENT_SECONDS
from server.api.fields import Field
from server.api.routing import API_SERVICES_KEY, Call, Route, secret_of


def _directory(app: web.Application) -> Path | None:
    settings = app[API_SERVICES_KEY].egress
    return None if settings is None else settings.recordings


async def list_recordings(call: Call) -> dict[str, Any]:
    event_id = call.path["event_id"]
    may_delete = await _may_delete(call, event_id)  # and a member of the event's room
    directory = _directory(call.request.app)
    found = recordings.for_event(directory, event_id) if directory is not None else []
    expires = int(time.time()) + recordings.LINK_TTL
    secret = secret_of(call.request.app)
    return {
        "recordings": [
            {
                "id": recording.started,
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(recording.started)),
                "bytes": recording.size,
                "url": f"/api/events/{event_id}/recordings/{recording.started}?expires={expires}"
                f"&sig={recordings.signature(secret, event_id, recording.started, expires)}",
            }
            for recording in found
        ],
        "link_expires_at": expires,
        "can_delete": may_delete,
    }


async def _may_delete(call: Call, event_id: int) -> bool:
    """Whether the caller may delete the event's recordings: a moderator of its room or
    whoever scheduled it. Raises NotFound for someone not in the room."""
    event, role = await call.community.agenda.meeting_access(call.me, event_id)
    return may(role, "schedule_event") or bool(event.created_by == call.me.id)


async def download_recording(call: Call) -> web.StreamResponse:
    event_id, started = call.path["event_id"], call.path["recording_id"]
    expires, sig = call.query["expires"], call.query["sig"]
    secret = secret_of(call.request.app)
    if not recordings.link_valid(secret, event_id, started, expires, sig, time.time()):
        raise Forbidden(
            "this recording link is not valid or has expired; open the event again",
            "sig",
            reason="recording_link_expired",
        )
    directory = _directory(call.request.app)
    found = recordings.find(directory, event_id, started) if directory is not None else None
    if found is None:
        raise NotFound("no such recording", "recording_id", reason="recording_not_found")
    # Range requests (seeking, resuming a download) come with aiohttp's FileResponse.
    return web.FileResponse(
        found.path,
        headers={
            "Content-Type": "video/mp4",
            "Content-Disposition": f'inline; filename="{found.path.name}"',
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


async def delete_recording(call: Call) -> None:
    """A moderator of the event's room, or whoever scheduled the event, deletes a recording:
    claimed and removed at once, as the retention sweep would (retention.py)."""
    event_id, started = call.path["event_id"], call.path["recording_id"]
    if not await _may_delete(call, event_id):
        raise Forbidden(
            "only the room's moderators or the event's organiser can delete a recording",
            "recording_id",
            reason="recording_delete_forbidden",
        )
    directory = _directory(call.request.app)
    found = recordings.find(directory, event_id, started) if directory is not None else None
    if found is None or not retention.claim_and_remove(found.path):
        raise NotFound("no such recording", "recording_id", reason="recording_not_found")


LIVE_FILE = re.compile(r"index\.m3u8|seg-\d{5,9}\.ts")
# A playlist not rewritten for this long is a stream that ended without cleaning up (a crash).
STALE_AFTER = 5 * HLS_SEGMENT_SECONDS


def _live_root(app: web.Application) -> Path | None:
    settings = app[API_SERVICES_KEY].egress
    return None if settings is None else settings.live_root


def _playable(playlist: Path) -> bool:
    """Fresh, and listing enough segments for a player to start (HLS_PLAYABLE_SEGMENTS)."""
    try:
        if time.time() - playlist.stat().st_mtime > STALE_AFTER:
            return False
        return playlist.read_text(encoding="utf-8").count("#EXTINF") >= HLS_PLAYABLE_SEGMENTS
    except OSError:
        return False


async def live(call: Call) -> dict[str, Any]:
    event_id = call.path["event_id"]
    await call.community.agenda.get(call.me, event_id)  # a member of the event's room
    root = _live_root(call.request.app)
    if root is None or not _playable(recordings.live_directory(root, "", event_id) / HLS_PLAYLIST):
        return {"live": False, "url": None}
    expires = int(time.time()) + recordings.LINK_TTL
    sig = recordings.live_signature(secret_of(call.request.app), event_id, expires)
    return {"live": True, "url": f"/api/events/{event_id}/live/{expires}/{sig}/{HLS_PLAYLIST}"}


async def live_file(call: Call) -> web.StreamResponse:
    event_id = call.path["event_id"]
    expires_text, sig = call.request.match_info["expires"], call.request.match_info["sig"]
    name = call.request.match_info["file"]
    secret = secret_of(call.request.app)
    expires = int(expires_text) if expires_text.isascii() and expires_text.isdigit() else -1
    if len(sig) > 64 or not recordings.link_valid(secret, event_id, -1, expires, sig, time.time()):
        raise Forbidden(
            "this live link is not valid or has expired; open the event again",
            "sig",
            reason="recording_link_expired",
        )
    root = _live_root(call.request.app)
    path = None if root is None else recordings.live_directory(root, "", event_id) / name
    if path is None or not LIVE_FILE.fullmatch(name) or not path.is_file():
        raise NotFound("the live stream has no such file", "file", reason="recording_not_found")
    playlist = name == HLS_PLAYLIST
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/vnd.apple.mpegurl" if playlist else "video/mp2t",
            # The playlist changes every segment; a segment never changes once written.
            "Cache-Control": "no-cache" if playlist else "private, max-age=60",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [
    Route(
        "GET",
        "/api/events/{event_id}/recordings",
        list_recordings,
        "A town hall's finished recordings, each with a link valid for six hours",
        content="none",
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/events/{event_id}/recordings/{recording_id}",
        download_recording,
        "A recording's MP4 (Range requests answered), through its signed link",
        auth="none",
        content="none",
        query=(
            Field("expires", kind=int, required=True, minimum=0),
            Field("sig", required=True, max_length=64),
        ),
        produces="video/mp4",
        tags=("agenda",),
    ),
    Route(
        "DELETE",
        "/api/events/{event_id}/recordings/{recording_id}",
        delete_recording,
        "Delete a recording (the room's moderators, the event's organiser)",
        status=204,
        content="none",
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/events/{event_id}/live",
        live,
        "Whether a town hall is live on the web now, with a signed HLS link for six hours",
        content="none",
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/events/{event_id}/live/{expires}/{sig}/{file}",
        live_file,
        "The live HLS playlist and its segments, through the signed link",
        auth="none",
        content="none",
        produces="application/vnd.apple.mpegurl",
        tags=("agenda",),
    ),
]
