"""Web Push end to end on SQLite and PostgreSQL: a push receiver on loopback plays the push
service and the browser; what it receives is decrypted with the browser's private key
(aes128gcm, RFC 8291, by http_ece) and carries the VAPID signature of the server's key
(RFC 8292). Muted rooms stay quiet but for mentions; a subscription the service calls gone is
forgotten; bad subscriptions are refused with their reason; an announcement notifies each
room's members as a message does."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import http_ece
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from rooms.community.bus import LocalBus
from rooms.community.community import Community, open_community
from rooms.community.push_subscriptions import check_subscription
from rooms.errors import Invalid
from rooms.organising import open_organising
from rooms.organising.announcements import Selection
from server.push import PushSender, application_server_key, load_vapid
from signalling.events import encode
from tests.rooms.conftest import CHEAP_HASHER, Clock
from tests.rooms.test_store import EVENT, room_with


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """The browser's side of a subscription: its ECDH key pair and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64(point)

    def decrypt(self, body: bytes) -> dict[str, Any]:
        clear = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth)
        decoded: dict[str, Any] = json.loads(clear)
        return decoded


class Receiver:
    """A push service on 127.0.0.1: keeps what it is sent; /gone/ answers 410."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.path, dict(request.headers), await request.read()))
        return web.Response(status=410 if request.path.startswith("/gone/") else 201)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.base = f"http://127.0.0.1:{port}"
    yield found
    await runner.cleanup()


@pytest.fixture
async def community(database_url: str, tmp_path: Path) -> AsyncIterator[Community]:
    opened = await open_community(
        database_url, tmp_path, Clock(), bus=LocalBus(encode), hasher=CHEAP_HASHER
    )
    opened.push.allow_loopback = True  # the receiver is plain http on loopback
    yield opened
    await opened.close()


async def test_a_message_is_pushed_encrypted_and_signed(
    community: Community, receiver: Receiver, tmp_path: Path
) -> None:
    room, siti, budi, asep = await room_with(community, "siti", "budi", "asep")
    key = load_vapid(tmp_path)
    sender = PushSender(community.push, key, "mailto:admin@kamar.example")
    community.chat.on_posted.append(sender.message_posted)
    phones = {name: Browser() for name in ("budi", "asep")}
    for name, person in (("budi", budi), ("asep", asep)):
        endpoint = f"{receiver.base}/{'gone' if name == 'asep' else 'push'}/{name}"
        await community.push.subscribe(
            person, endpoint, phones[name].p256dh, b64(phones[name].auth)
        )
    await community.push.subscribe(
        siti, f"{receiver.base}/push/siti", Browser().p256dh, b64(os.urandom(16))
    )

    message = await community.chat.post(siti, room, "Rapat dimajukan ke jam 8")
    await sender.idle()
    by_path = {path: (headers, body) for path, headers, body in receiver.received}
    assert set(by_path) == {"/push/budi", "/gone/asep"}  # never the author
    headers, body = by_path["/push/budi"]
    assert headers["Content-Encoding"] == "aes128gcm" and b"Rapat" not in body
    shown = phones["budi"].decrypt(body)
    assert shown == {
        "title": "Serikat",
        "body": "Siti: Rapat dimajukan ke jam 8",
        "url": f"/#/rooms/{room}",
        "tag": f"room-{room}",
        "mention": False,
    }
    # RFC 8292: "vapid t=<JWT signed by the server's key>, k=<its public key>".
    scheme, params = headers["Authorization"].split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == application_server_key(key)
    public = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=receiver.base)
    assert claims["sub"] == "mailto:admin@kamar.example"
    assert message["id"]

    # The 410 made the server forget Asep's subscription; a mention passes Budi's mute.
    receiver.received.clear()
    await community.push.set_muted(budi, room, True)
    await community.chat.post(siti, room, "Rapat jam 8")
    await community.chat.post(siti, room, "@Budi tolong bawa proyektor")
    await sender.idle()
    assert [path for path, _h, _b in receiver.received] == ["/push/budi"]
    assert phones["budi"].decrypt(receiver.received[0][2])["mention"] is True
    assert await community.push.muted_rooms(budi) == [room]
    await sender.close()


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth"),
    [
        ("http://push.example/x", "A" * 87, "A" * 22),  # not https
        ("https://10.0.0.8/x", "A" * 87, "A" * 22),  # inside the server's network
        ("https://localhost/x", "A" * 87, "A" * 22),
        ("https://push.example/x", "A" * 40, "A" * 22),  # not a P-256 point
        ("https://push.example/x", "A" * 87, "!!"),
        ("https://push.example/" + "x" * 1000, "A" * 87, "A" * 22),
    ],
)
def test_a_bad_subscription_is_refused(endpoint: str, p256dh: str, auth: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_subscription(endpoint, p256dh, auth)
    assert refused.value.reason == "push_subscription"


def test_a_push_service_subscription_is_taken() -> None:
    browser = Browser()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    assert check_subscription(endpoint, browser.p256dh, b64(browser.auth))[0] == endpoint


async def test_a_reminder_is_pushed_to_members_but_those_who_said_no(
    community: Community, receiver: Receiver, tmp_path: Path
) -> None:
    room, siti, budi, asep = await room_with(community, "siti", "budi", "asep")
    sender = PushSender(community.push, load_vapid(tmp_path), "mailto:admin@kamar.example")
    community.agenda.on_reminder.append(sender.reminder_due)
    phones = {"budi": Browser(), "asep": Browser()}
    for name, person in (("budi", budi), ("asep", asep)):
        phone = phones[name]
        await community.push.subscribe(
            person, f"{receiver.base}/push/{name}", phone.p256dh, b64(phone.auth)
        )
    await community.push.set_muted(budi, room, True)  # muted rooms still remind
    event = await community.agenda.create(siti, room, **EVENT)
    await community.agenda.rsvp(asep, event["id"], "no")
    assert await community.agenda.send_reminders() == 1
    await sender.idle()
    assert [path for path, _h, _b in receiver.received] == ["/push/budi"]
    shown = phones["budi"].decrypt(receiver.received[0][2])
    assert shown["title"] == EVENT["title"] and shown["tag"] == f"event-{event['id']}"
    assert shown["body"] == "Serikat · 18.21"  # in the event's own time zone (WIB)
    await sender.close()


async def test_an_announcement_is_pushed_to_each_rooms_members_like_a_message(
    community: Community, receiver: Receiver, tmp_path: Path
) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    sender = PushSender(community.push, load_vapid(tmp_path), "mailto:admin@kamar.example")
    community.chat.on_posted.append(sender.message_posted)
    # Opened after the sender was attached, as the server does: the same listeners.
    organising = open_organising(community, Clock(), "test-secret")
    phones = {"siti": Browser(), "budi": Browser()}
    for name, person in (("siti", siti), ("budi", budi)):
        phone = phones[name]
        await community.push.subscribe(
            person, f"{receiver.base}/push/{name}", phone.p256dh, b64(phone.auth)
        )
    await organising.announcements.publish(
        siti, "Mogok 1 Mei", "Kumpul jam 7 di depan pabrik", Selection(room_ids=(room,))
    )
    await sender.idle()
    assert [path for path, _h, _b in receiver.received] == ["/push/budi"]  # not the author
    shown = phones["budi"].decrypt(receiver.received[0][2])
    assert shown["title"] == "Serikat" and shown["tag"] == f"room-{room}"
    assert shown["body"].startswith("Siti: Mogok 1 Mei")
    await sender.close()
