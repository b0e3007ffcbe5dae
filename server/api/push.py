"""Notifications (docs/api.md "Notifications"): the server's VAPID public key, browsers'
Web Push subscriptions, and per-room mutes."""

from __future__ import annotations

from typing import Any

from rooms.community.push_subscriptions import MAX_ENDPOINT
from server.api.contexts import CONTEXTS_KEY
from server.api.fields import Field
from server.api.routing import Call, Route


async def push_key(call: Call) -> dict[str, Any]:
    sender = call.request.app[CONTEXTS_KEY].push
    if sender is None:
        raise RuntimeError("web push is not open")
    return {
        "public_key": sender.public_key,
        "muted_rooms": await call.community.push.muted_rooms(call.me),
    }


async def notification_list(call: Call) -> dict[str, Any]:
    return await call.community.notifications.of(call.me)


async def subscribe(call: Call) -> None:
    body = call.body
    await call.community.push.subscribe(call.me, body["endpoint"], body["p256dh"], body["auth"])


async def unsubscribe(call: Call) -> None:
    await call.community.push.unsubscribe(call.me, call.body["endpoint"])


async def mute(call: Call) -> dict[str, Any]:
    return await call.community.push.set_muted(call.me, call.path["room_id"], True)


async def unmute(call: Call) -> dict[str, Any]:
    return await call.community.push.set_muted(call.me, call.path["room_id"], False)


TAGS = ("notifications",)
ENDPOINT = Field("endpoint", required=True, max_length=MAX_ENDPOINT)
ROUTES = [
    Route(
        "GET",
        "/api/notifications",
        notification_list,
        "Mentions of oneself and one's rooms' events starting soon (the in-app list)",
        content="none",
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/push",
        push_key,
        "The server's VAPID public key (applicationServerKey) and one's muted rooms",
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/push/subscriptions",
        subscribe,
        "Keep this browser's PushSubscription (endpoint and keys)",
        status=204,
        body=(
            ENDPOINT,
            Field("p256dh", required=True, max_length=100),
            Field("auth", required=True, max_length=40),
        ),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/push/subscriptions/remove",
        unsubscribe,
        "Forget this browser's subscription (notifications turned off)",
        status=204,
        body=(ENDPOINT,),
        tags=TAGS,
    ),
    Route(
        "PUT",
        "/api/rooms/{room_id}/mute",
        mute,
        "No notifications from this room but mentions of oneself",
        content="none",
        tags=TAGS,
    ),
    Route(
        "DELETE",
        "/api/rooms/{room_id}/mute",
        unmute,
        "Notifications from this room again",
        content="none",
        tags=TAGS,
    ),
]
