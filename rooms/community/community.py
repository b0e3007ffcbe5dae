"""Everything of the community side in one object: database, accounts, rooms, chat, uploads,
agenda, direct messages, polls, search, account deletion and the event bus. The server opens it
once at start and closes it at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher

from rooms.community.accounts import Accounts
from rooms.community.agenda import Agenda
from rooms.community.attachments import AttachmentStore
from rooms.community.attendance import AttendanceRecord
from rooms.community.avatars import Avatars
from rooms.community.bus import Bus
from rooms.community.calendar_links import CalendarLinks
from rooms.community.chat import Chat
from rooms.community.database import Database, open_database
from rooms.community.direct import DirectMessages
from rooms.community.directory import Directory
from rooms.community.erasure import Erasure
from rooms.community.forward import Forwarding
from rooms.community.notification_list import NotificationList
from rooms.community.password_reset import PasswordResets
from rooms.community.polls import Polls
from rooms.community.push_subscriptions import PushSettings
from rooms.community.readers import Readers
from rooms.community.resumable import ResumableUploads
from rooms.community.search import Search
from rooms.community.townhall_record import TownHallRecord


@dataclass
class Community:
    db: Database
    bus: Bus
    accounts: Accounts
    directory: Directory
    chat: Chat
    attachments: AttachmentStore
    resumable: ResumableUploads  # large videos in pieces (tus 1.0)
    agenda: Agenda
    townhall: TownHallRecord
    calendar_links: CalendarLinks
    direct: DirectMessages
    polls: Polls
    attendance: AttendanceRecord
    search: Search
    readers: Readers
    forwarding: Forwarding
    push: PushSettings
    notifications: NotificationList
    avatars: Avatars
    erasure: Erasure
    password_resets: PasswordResets  # forgot password: codes made by organisers

    async def close(self) -> None:
        await self.attendance.close()  # the stays still open end now
        await self.db.close()


async def open_community(
    database_url: str,
    data_dir: Path,
    clock: Callable[[], float],
    *,
    bus: Bus,  # chosen by server/wiring.py
    hasher: PasswordHasher | None = None,
    rate_limits: bool = True,
) -> Community:
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    db = await open_database(database_url)
    chat = Chat(db, bus, clock, rate_limits)
    attachments = AttachmentStore(db, data_dir, clock)
    avatars = Avatars(data_dir)
    accounts = Accounts(db, hasher or PasswordHasher(), clock, bus)
    return Community(
        db=db,
        bus=bus,
        accounts=accounts,
        directory=Directory(db, bus, clock),
        chat=chat,
        attachments=attachments,
        resumable=ResumableUploads(db, data_dir, clock, attachments),
        agenda=Agenda(db, bus, clock),
        townhall=TownHallRecord(db, clock),
        calendar_links=CalendarLinks(db, bus, clock),
        direct=DirectMessages(db, bus, clock, rate_limits),
        polls=Polls(db, bus, clock, rate_limits),
        attendance=AttendanceRecord(db, clock),
        search=Search(db, bus, clock),
        readers=Readers(db, bus, clock),
        forwarding=Forwarding(db, bus, clock, chat),
        push=PushSettings(db, bus, clock),
        notifications=NotificationList(db, bus, clock),
        avatars=avatars,
        erasure=Erasure(db, bus, clock, avatars),
        password_resets=PasswordResets(db, accounts, clock),
    )
