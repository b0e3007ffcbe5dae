"""aiohttp application assembly: web client, websocket signalling, health, dev tokens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher

from rooms.community.community import Community, open_community
from rooms.errors import Invalid
from rooms.insight.insight import Insight
from rooms.market.market import open_market
from rooms.meeting import grants
from rooms.meeting.egress import retention
from rooms.meeting.egress.commands import EGRESS_KBPS, Encoding
from rooms.meeting.egress.egress import EgressSettings, finish_stopping
from rooms.meeting.events import bye
from rooms.meeting.registry import MeetingRegistry
from server import (
    cascade,
    insight_upkeep,
    metrics,
    not_found,
    poll_closing,
    security_headers,
    upload_expiry,
)
from server.api import add_api
from server.api.contexts import CONTEXTS_KEY, Contexts
from server.api.inbound import decode_json_object
from server.api.routing import API_SERVICES_KEY, error_response
from server.config import Config, load_secret
from server.public_page import add_public_pages
from server.push import PushSender, load_vapid
from server.pwa import add_pwa
from server.wiring import Seams, seams_for
from sfu.peer import PeerSettings, gather_on
from signalling.peers import WebRtcPeers
from signalling.services import Services
from signalling.ws import SERVICES_KEY, websocket_handler

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CONFIG_KEY = web.AppKey("kamar_config", Config)
MAX_API_BODY = 16 * 1024
SPEAKER_UPDATE_INTERVAL = 0.3  # seconds: fast enough for a layout, rare enough to be free
# The name in the TURN credentials of the SFU's own connections (participants' carry their id).
SFU_TURN_IDENTITY = "kamar-sfu"
REMINDER_SWEEP_INTERVAL = 30.0  # seconds: reminders go out 15 minutes ahead, give or take this


def build_app(
    config: Config,
    password_hasher: PasswordHasher | None = None,
    seams: Seams | None = None,
    background_jobs: bool = True,
) -> web.Application:
    """`background_jobs` False leaves the sweeps (reminders, upload expiry, insight upkeep, poll
    closing) to another process: the workers of one machine run them in one of them
    (server/workers.py)."""
    gather_on(config.ice_hosts)
    seams = seams or seams_for(config.redis_url, config.node_url or config.base_url)
    services = _services(config, seams)
    app = web.Application(client_max_size=MAX_API_BODY)
    app[SERVICES_KEY] = services
    app[API_SERVICES_KEY] = services
    app[CONFIG_KEY] = config
    app[CONTEXTS_KEY] = Contexts()
    app.router.add_get("/", _page("app.html"))
    app.router.add_get("/meet", _page("index.html"))
    app.router.add_get("/r/{room}", _room_page)
    app.router.add_get("/ws", websocket_handler)
    app.router.add_get("/healthz", _healthz)
    metrics.install(app)
    app.router.add_post("/api/dev-token", _dev_token)
    app.router.add_static("/static/", WEB_DIR, follow_symlinks=False)
    add_pwa(app, config, WEB_DIR)
    add_api(app, rate_limits=not config.no_rate_limits)
    add_public_pages(app)
    not_found.install(app)
    security_headers.install(app)
    app.on_shutdown.append(_say_goodbye)
    app.cleanup_ctx.append(lambda _app: seams.running())
    app.on_cleanup.append(_finish_egress)
    app.cleanup_ctx.append(_community(config, password_hasher, seams))
    app.cleanup_ctx.append(_speaker_updates)
    if background_jobs:
        app.cleanup_ctx.append(_reminders)
        upload_expiry.install(app)
        app.cleanup_ctx.append(_recording_retention)
        insight_upkeep.install(app)
        poll_closing.install(app)
    cascade.install(app, config, services)
    return app


def _services(config: Config, seams: Seams) -> Services:
    """What every session shares: this node's meetings and their placement, the secret, the
    SFU's peer settings, ICE servers, limits and egress."""
    return Services(
        registry=seams.meetings,
        placement=seams.placement,
        secret=load_secret(config.data_dir),
        peers=WebRtcPeers(
            PeerSettings(
                ice_servers=lambda: config.ice.for_identity(SFU_TURN_IDENTITY, time.time()),
                announce=config.announce_map(),
                max_video_bitrate=config.max_video_kbps * 1000,
                max_audio_bitrate=config.max_audio_kbps * 1000,
            )
        ),
        clock=time.time,
        ice=config.ice,
        max_participants=config.max_participants,
        egress=EgressSettings(
            recordings=config.data_dir / "recordings",
            encoding=Encoding(config.egress_height, EGRESS_KBPS[config.egress_height]),
            retention_days=config.recording_retention_days,
        ),
    )


def _community(
    config: Config, hasher: PasswordHasher | None, seams: Seams
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def open_and_close(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES_KEY]
        services.community = await open_community(
            config.effective_database_url,
            config.data_dir,
            time.time,
            hasher=hasher,
            bus=seams.bus,
            rate_limits=not config.no_rate_limits,
        )
        # The marketplace and insight share the community's database and bus; they close with it.
        opened = services.community
        seams.attendance.community = opened  # members' meeting stays are recorded from now
        contexts = app[CONTEXTS_KEY]
        contexts.market = open_market(
            opened, config.data_dir, time.time, rate_limits=not config.no_rate_limits
        )
        contexts.insight = Insight(opened.db, opened.bus, time.time)
        contexts.push = await _open_push(config, opened)
        yield
        await contexts.push.close()
        await contexts.insight.close()
        contexts.market = contexts.insight = contexts.push = None
        seams.attendance.community = None
        community, services.community = services.community, None
        await community.close()

    return open_and_close


async def _open_push(config: Config, community: Community) -> PushSender:
    """Web Push from this node for the messages posted on it (server/push.py)."""
    key = await asyncio.to_thread(load_vapid, config.data_dir)
    # RFC 8292's contact: the site when it is public (https), else a placeholder address.
    subject = config.base_url if config.scheme == "https" else "mailto:admin@localhost"
    sender = PushSender(community.push, key, subject)
    community.chat.on_posted.append(sender.message_posted)
    community.agenda.on_reminder.append(sender.reminder_due)
    return sender


async def _reminders(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_send_reminders(app[SERVICES_KEY]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _send_reminders(services: Services) -> None:
    while True:
        await asyncio.sleep(REMINDER_SWEEP_INTERVAL)
        if services.community is None:
            continue
        try:
            await services.community.agenda.send_reminders()
        except Exception:  # a database hiccup must not end reminders for good
            log.exception("sending event reminders failed")


def ssl_context(config: Config) -> ssl.SSLContext | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


def _page(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})

    return handler


async def _room_page(request: web.Request) -> web.StreamResponse:
    try:
        grants.validate_meeting_name(request.match_info["room"])
    except ValueError as exc:
        raise web.HTTPNotFound(text=f"No such room: {exc}") from exc
    return web.FileResponse(WEB_DIR / "room.html", headers={"Cache-Control": "no-cache"})


async def _healthz(request: web.Request) -> web.Response:
    """200 while this node takes newcomers; 503 while it drains (server/drain.py)."""
    services = request.app[SERVICES_KEY]
    registry = services.registry
    return web.json_response(
        {
            "status": "draining" if services.draining else "ok",
            "node": registry.node,
            "rooms": len(registry.meetings()),
            "participants": registry.participant_count,
        },
        status=503 if services.draining else 200,
    )


async def _dev_token(request: web.Request) -> web.Response:
    """Mint a token for anyone who asks: only with --dev-tokens, for trying Kamar out."""
    if not request.app[CONFIG_KEY].dev_tokens:
        return error_response("not_found", "this server does not hand out tokens")
    try:
        body = decode_json_object(await request.read())
    except Invalid as exc:
        return error_response("bad_request", exc.message, exc.field, reason=exc.reason)
    room, name = body.get("room"), body.get("name")
    try:
        room = grants.validate_meeting_name(room)
    except ValueError as exc:
        return error_response("bad_request", str(exc), "room", reason="meeting_name_format")
    if not isinstance(name, str) or not name.strip() or len(name) > grants.MAX_DISPLAY_NAME:
        limit = grants.MAX_DISPLAY_NAME
        message = f"name must be 1-{limit} characters"
        return error_response("bad_request", message, "name", reason="display_name_length")
    grant = grants.JoinGrant(
        meeting=room, identity=f"guest-{secrets.token_hex(6)}", name=name.strip()
    )
    token = grants.mint(grant, request.app[SERVICES_KEY].secret, int(time.time()))
    return web.json_response({"token": token})


async def _speaker_updates(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_tick_speakers(app[SERVICES_KEY].registry))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _tick_speakers(registry: MeetingRegistry) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(SPEAKER_UPDATE_INTERVAL)
        for meeting in registry.meetings():
            try:
                meeting.update_speakers(loop.time())
                meeting.update_audience(loop.time())
            except Exception:  # one meeting's bug must not silence every other meeting
                log.exception("speaker update failed in meeting %s", meeting.name)


async def _recording_retention(app: web.Application) -> AsyncIterator[None]:
    """Recordings past the configured retention deleted, hourly (docs/egress.md)."""
    settings = app[SERVICES_KEY].egress
    task = None
    if settings is not None and settings.retention_days > 0:
        task = asyncio.create_task(
            retention.sweep_forever(settings.recordings, settings.retention_days, time.time)
        )
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _finish_egress(_app: web.Application) -> None:
    """Recordings of meetings that just ended get their index written before the exit."""
    await finish_stopping()


async def _say_goodbye(app: web.Application) -> None:
    registry = app[SERVICES_KEY].registry
    for meeting in registry.meetings():
        for participant in list(meeting.participants.values()):
            participant.deliver(bye("shutdown"))
            participant.disconnect("shutdown")
