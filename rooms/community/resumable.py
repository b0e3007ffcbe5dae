"""Resumable uploads of large videos: the server side of tus 1.0 (https://tus.io/protocols/
resumable-upload), with its creation, expiration and termination extensions, minus HTTP.

A member creates an upload of a known length, then sends it in as many pieces as their
connection allows; after a drop they ask how much arrived and go on from there. The database
row's `received` is the truth: bytes past it in the file (a piece cut off before it was saved)
are cut away when the next piece starts. One piece is written at a time, across processes too:
the file is locked (flock) while a piece arrives. The first bytes decide the type as soon as
they are in, so a file that is not a photo or video, or larger than its kind allows, is refused
before the rest is sent. The finished file becomes an attachment through exactly the checks of
a plain upload (AttachmentStore.adopt); until then nothing of it is visible to anyone.

Per member at most MAX_OPEN_UPLOADS unfinished uploads of MAX_OPEN_BYTES together; each
expires UPLOAD_LIFETIME_MS after its creation (server/upload_expiry.py sweeps them).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import string
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, func, insert, select, update

from rooms.community.accounts import User
from rooms.community.attachments import (
    EXPIRY_BATCH,
    MAX_VIDEO_BYTES,
    SNIFF_BYTES,
    AttachmentStore,
    size_limit,
    sniff_kind,
)
from rooms.community.database import Database
from rooms.community.membership import require
from rooms.community.message_views import attachment_json
from rooms.community.schema.chat import attachments, resumable_uploads
from rooms.errors import Conflict, DomainError, Invalid, NotFound, RateLimited, TooLarge

MAX_UPLOAD_LENGTH = MAX_VIDEO_BYTES  # Tus-Max-Size: the largest file the app takes at all
MAX_OPEN_UPLOADS = 3  # unfinished uploads per member: a few videos picked at once
MAX_OPEN_BYTES = 3 * MAX_VIDEO_BYTES  # their lengths together, bounding a member's disk use
# As long as a finished upload may wait to be sent in a message (attachments.ORPHAN_WINDOW_MS).
UPLOAD_LIFETIME_MS = 24 * 3_600_000
TOKEN_HEX = 32


@dataclass(frozen=True)
class UploadState:
    token: str
    offset: int  # bytes received and kept (tus Upload-Offset)
    length: int  # the whole file (tus Upload-Length)
    expires_at: int  # ms since the epoch (tus Upload-Expires)
    attachment: dict[str, Any] | None  # once finished: the Attachment to send in a message


class ResumableUploads:
    def __init__(
        self,
        db: Database,
        data_dir: Path,
        clock: Callable[[], float],
        attachments: AttachmentStore,
    ) -> None:
        self._db = db
        self._dir = data_dir / "uploads" / "resumable"
        self._clock = clock
        self._attachments = attachments

    def _now(self) -> int:
        return int(self._clock() * 1000)

    def _path(self, token: str) -> Path:
        return self._dir / f"{token}.part"

    async def create(
        self, user: User, room_id: int, length: int, filename: str | None
    ) -> UploadState:
        if length <= 0:
            raise Invalid("the file is empty", "Upload-Length", reason="file_empty")
        if length > MAX_UPLOAD_LENGTH:
            raise TooLarge(
                f"files are limited to {MAX_UPLOAD_LENGTH // (1024 * 1024)} MiB",
                "Upload-Length",
                reason="video_too_large",
            )
        now = self._now()
        expires_at = now + UPLOAD_LIFETIME_MS
        token = secrets.token_hex(TOKEN_HEX // 2)
        await asyncio.to_thread(_make_empty, self._path(token))
        row = {
            "token": token,
            "user_id": user.id,
            "room_id": room_id,
            "name": (filename or "")[:200],
            "length": length,
            "received": 0,
            "created_at": now,
            "expires_at": expires_at,
        }
        try:
            async with self._db.write() as conn:
                await require(conn, room_id, user.id, "post")
                count, total = (
                    await conn.execute(
                        select(func.count(), func.coalesce(func.sum(resumable_uploads.c.length), 0))
                        .where(resumable_uploads.c.user_id == user.id)
                        .where(resumable_uploads.c.attachment_id.is_(None))
                        .where(resumable_uploads.c.expires_at > now)
                    )
                ).one()
                _check_open(count, total + length)
                await conn.execute(insert(resumable_uploads).values(**row))
        except BaseException:
            await asyncio.to_thread(self._path(token).unlink, missing_ok=True)
            raise
        return UploadState(token, 0, length, expires_at, None)

    async def state(self, user: User, token: str) -> UploadState:
        return await self._state(await self._own(user, token))

    async def append(
        self, user: User, token: str, offset: int, chunks: AsyncIterator[bytes]
    ) -> UploadState:
        """Write one piece starting at `offset`. A piece cut off midway (the connection
        dropped) keeps what arrived; the answer says how much that is."""
        row = await self._own(user, token)
        if row.attachment_id is not None and offset == row.length:
            return await self._state(row)  # the last piece again: its answer was lost
        if offset != row.received:
            raise _offset_conflict(row.received)
        try:
            handle = await asyncio.to_thread(_open_locked, self._path(token))
        except FileNotFoundError as exc:  # finished or deleted meanwhile by another request
            raise _not_found() from exc
        try:
            row = await self._own(user, token)  # again under the lock: another piece may be in
            if offset != row.received or row.attachment_id is not None:
                raise _offset_conflict(row.received)
            try:
                received, kind = await _write_piece(handle, row, chunks)
            except DomainError as exc:
                if exc.field == "file":  # the file itself is refused, not just this piece
                    await self._drop(token)
                raise
            if received < row.length:
                await self._save_progress(token, received, kind)
                return UploadState(token, received, row.length, row.expires_at, None)
            return await self._finish(user, row)
        finally:
            handle.close()  # releases the lock

    async def _finish(self, user: User, row: Any) -> UploadState:
        try:
            attachment = await self._attachments.adopt(
                user, row.room_id, row.name or None, self._path(row.token)
            )
        except DomainError:
            await self._drop(row.token)
            raise
        async with self._db.write() as conn:
            await conn.execute(
                update(resumable_uploads)
                .where(resumable_uploads.c.token == row.token)
                .values(received=row.length, attachment_id=attachment["id"])
            )
        return UploadState(row.token, row.length, row.length, row.expires_at, attachment)

    async def _save_progress(self, token: str, received: int, kind: str | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(resumable_uploads)
                .where(resumable_uploads.c.token == token)
                .values(received=received, kind=kind)
            )

    async def cancel(self, user: User, token: str) -> None:
        """tus termination: the upload and what arrived of it are gone. A finished upload's
        attachment stays (it may already be in a message)."""
        await self._own(user, token)
        await self._drop(token)

    async def remove_partial_files(self, tokens: list[str]) -> None:
        """The partial files of uploads whose rows are already gone (a deleted account's:
        rooms/community/erasure.py)."""
        for token in tokens:
            await asyncio.to_thread(self._path(token).unlink, missing_ok=True)

    async def _drop(self, token: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(resumable_uploads).where(resumable_uploads.c.token == token))
        await asyncio.to_thread(self._path(token).unlink, missing_ok=True)

    async def expire(self, now_ms: int, batch: int = EXPIRY_BATCH) -> int:
        """Delete uploads past their expiry, rows and partial files; how many (at most
        `batch`: call again while it returns `batch`). One DELETE ... RETURNING claims them,
        so two processes sweeping never remove the same one twice."""
        expired = (
            select(resumable_uploads.c.token)
            .where(resumable_uploads.c.expires_at <= now_ms)
            .order_by(resumable_uploads.c.expires_at)
            .limit(batch)
            .scalar_subquery()
        )
        async with self._db.write() as conn:
            tokens = (
                (
                    await conn.execute(
                        delete(resumable_uploads)
                        .where(resumable_uploads.c.token.in_(expired))
                        .returning(resumable_uploads.c.token)
                    )
                )
                .scalars()
                .all()
            )
        for token in tokens:
            await asyncio.to_thread(self._path(token).unlink, missing_ok=True)
        return len(tokens)

    async def _own(self, user: User, token: str) -> Any:
        """The member's own upload, not yet expired; anyone else's is not found (its token
        is a capability, but the session is still required)."""
        if len(token) != TOKEN_HEX or not set(token) <= set(string.hexdigits.lower()):
            raise _not_found()  # also keeps the token from naming another path
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(resumable_uploads).where(resumable_uploads.c.token == token)
                )
            ).one_or_none()
        if row is None or row.user_id != user.id or row.expires_at <= self._now():
            raise _not_found()
        return row

    async def _state(self, row: Any) -> UploadState:
        attachment = None
        if row.attachment_id is not None:
            async with self._db.read() as conn:
                found = (
                    await conn.execute(
                        select(attachments).where(attachments.c.id == row.attachment_id)
                    )
                ).one_or_none()
            attachment = attachment_json(found) if found is not None else None
        return UploadState(row.token, row.received, row.length, row.expires_at, attachment)


async def _write_piece(
    handle: IO[bytes], row: Any, chunks: AsyncIterator[bytes]
) -> tuple[int, str | None]:
    """Append the piece after the `received` bytes; returns the new count and the kind once
    the first bytes told it. Refuses (with field "file") a type the app does not take or a
    length past its kind's limit, and (field "body") bytes past Upload-Length."""
    received, kind = row.received, row.kind
    head = await asyncio.to_thread(_rewind, handle, received)
    # Writes of 64 KiB pieces land in the page cache in microseconds; only the fsync may wait.
    async for chunk in chunks:
        if received + len(chunk) > row.length:
            raise TooLarge("more bytes than the Upload-Length", "body", reason="upload_too_long")
        handle.write(chunk)
        received += len(chunk)
        if kind is None and len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= min(SNIFF_BYTES, row.length):
                kind = _kind_within_limit(bytes(head), row.length)
    handle.flush()
    await asyncio.to_thread(os.fsync, handle.fileno())
    return received, kind


def _kind_within_limit(head: bytes, length: int) -> str:
    media = sniff_kind(head, ("image", "video"))
    limit = size_limit(media.kind)
    if length > limit:
        raise TooLarge(
            f"{media.kind}s are limited to {limit // (1024 * 1024)} MiB",
            "file",
            reason="photo_too_large" if media.kind == "image" else "video_too_large",
        )
    return media.kind


def _rewind(handle: IO[bytes], received: int) -> bytearray:
    """Cut off bytes past `received` (a piece never saved) and return the file's first bytes."""
    handle.truncate(received)
    handle.seek(0)
    head = bytearray(handle.read(min(received, SNIFF_BYTES)))
    handle.seek(received)
    return head


def _make_empty(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _open_locked(path: Path) -> IO[bytes]:
    """The partial file open for writing under an exclusive lock, or Conflict when another
    request is writing to it. flock is released by the kernel if a process dies."""
    handle = path.open("r+b")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise Conflict(
            "another request is sending to this upload", "Upload-Offset", reason="upload_busy"
        ) from exc
    return handle


def _check_open(count: int, total: int) -> None:
    if count >= MAX_OPEN_UPLOADS or total > MAX_OPEN_BYTES:
        raise RateLimited(
            f"at most {MAX_OPEN_UPLOADS} unfinished uploads of "
            f"{MAX_OPEN_BYTES // (1024 * 1024)} MiB together; finish or cancel one first",
            "Upload-Length",
            reason="too_many_uploads",
        )


def _offset_conflict(received: int) -> Conflict:
    return Conflict(
        f"the upload is at offset {received}: ask with HEAD and go on from there",
        "Upload-Offset",
        reason="upload_offset_mismatch",
    )


def _not_found() -> NotFound:
    return NotFound("no such upload, or it expired", "upload", reason="upload_not_found")
