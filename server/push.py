"""Web Push sending (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID) with
pywebpush, for new messages in rooms a member has not muted (an announcement's post in each room
among them), mentions and event reminders (docs/api.md "Notifications"). The domain says who
(rooms/community/push_subscriptions.py); this module signs, encrypts and posts, off the request
that stored the message, and forgets subscriptions the push service says are gone.

The VAPID key pair is made once and kept in the data directory (vapid.pem), like the server's
secret: browsers bind a subscription to the public key, so a new key would silently end every
subscription.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from rooms.community.events import EventReminder
from rooms.community.push_subscriptions import PushSettings, Subscription

log = logging.getLogger(__name__)

VAPID_FILE = "vapid.pem"
PREVIEW = 120  # characters of the message in the notification
TTL_S = 24 * 3600  # a push service keeps an undelivered notification a day (RFC 8030 5.2)
TIMEOUT_S = 10
GONE = (404, 410)  # RFC 8030 section 7.3: the subscription no longer exists


def load_vapid(data_dir: Path) -> Vapid02:
    path = data_dir / VAPID_FILE
    if path.exists():
        return Vapid02.from_file(str(path))
    key = Vapid02()
    key.generate_keys()
    key.save_key(str(path))
    path.chmod(0o600)
    return key


def application_server_key(key: Vapid02) -> str:
    """The public key as the browser's pushManager.subscribe wants it: the uncompressed P-256
    point, base64url without padding."""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def payload(room_name: str, message: dict[str, Any], mentioned: bool) -> dict[str, Any]:
    """What the service worker shows (web/sw.js): no more than the member could read in the
    room, encrypted to their browser."""
    text = message["text"] or ""
    if not text and message["attachments"]:
        text = "📷"
    return {
        "title": room_name,
        "body": f"{message['author']['display_name']}: {text[:PREVIEW]}",
        "url": f"/#/rooms/{message['room_id']}",
        "tag": f"room-{message['room_id']}",
        "mention": mentioned,
    }


def reminder_payload(room_name: str, reminder: EventReminder) -> dict[str, Any]:
    """An event about to start: its title, and its room and start in the event's own time
    zone ("PUK Garmen · 19.00"), which reads the same in Indonesian and English."""
    event = reminder["event"]
    starts = datetime.fromisoformat(event["starts_at"])
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        starts = starts.astimezone(ZoneInfo(event.get("timezone") or "UTC"))
    return {
        "title": event["title"],
        "body": f"{room_name} · {starts:%H.%M}",
        "url": f"/#/rooms/{reminder['room_id']}/agenda",
        "tag": f"event-{event['id']}",
        "mention": True,  # alert even if the room's last message already did
    }


class PushSender:
    def __init__(self, settings: PushSettings, key: Vapid02, subject: str) -> None:
        self._settings = settings
        self._key = key
        self._subject = subject  # the contact RFC 8292 asks for: mailto: or the site's URL
        self.public_key = application_server_key(key)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def message_posted(self, message: dict[str, Any]) -> None:
        """Chat.on_posted: sending waits for nobody, the poster least of all."""
        task = asyncio.get_running_loop().create_task(self._notify(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reminder_due(self, reminder: EventReminder) -> None:
        """Agenda.on_reminder."""
        task = asyncio.get_running_loop().create_task(self._remind(reminder))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _remind(self, reminder: EventReminder) -> None:
        try:
            room_id, event_id = reminder["room_id"], reminder["event"]["id"]
            room_name, targets = await self._settings.for_reminder(room_id, event_id)
            for subscription in targets:
                await self.send(subscription, reminder_payload(room_name, reminder))
        except Exception:
            log.exception("web push for a reminder failed")

    async def idle(self) -> None:
        """Until every notification begun has been handed over (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.idle()
        if self._session is not None:
            await self._session.close()

    async def _notify(self, message: dict[str, Any]) -> None:
        try:
            room_name, targets = await self._settings.for_message(message)
            for subscription, mentioned in targets:
                await self.send(subscription, payload(room_name, message, mentioned))
        except Exception:  # one failing message must not stop the next ones
            log.exception("web push for message %s failed", message.get("id"))

    async def send(self, subscription: Subscription, body: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            await webpush_async(
                info,
                json.dumps(body),
                vapid_private_key=self._key,
                vapid_claims={"sub": self._subject},
                ttl=TTL_S,
                timeout=TIMEOUT_S,
                aiohttp_session=self._session,
            )
        except WebPushException as exc:
            status = exc.response.status if exc.response is not None else None
            if status in GONE:
                await self._settings.forget(subscription.id)
            else:
                log.info("push service refused a notification: %s", status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("push service unreachable: %s", exc)
