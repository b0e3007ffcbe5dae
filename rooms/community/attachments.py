"""Photo and video attachments: type read from the bytes, size limits, atomic files, thumbnails.

An upload streams into a temporary file beside its final place while its size is counted; the
first bytes decide the type (the name and the client's Content-Type are not trusted). Images
are decoded once with Pillow to prove they are images and to make a JPEG thumbnail, and are
stored without their EXIF location; videos must open in FFmpeg's demuxer and get their first
picture as a poster when it can be decoded (rooms/community/media_files.py). Resumable uploads
(rooms/community/resumable.py) end here too, through `adopt`.
The file is fsynced and renamed into place before the database row that points to it commits,
so a row never names a missing or half-written file.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.database import Database
from rooms.community.media_files import make_thumbnail as make_thumbnail
from rooms.community.media_files import make_video_poster as make_video_poster
from rooms.community.media_files import prepare
from rooms.community.media_files import publish_file as publish_file
from rooms.community.media_files import remove_metadata as remove_metadata
from rooms.community.membership import require
from rooms.community.message_views import attachment_json
from rooms.community.schema.chat import attachment_refs, attachments, messages
from rooms.community.schema.rooms import memberships
from rooms.errors import Forbidden, Invalid, NotFound, TooLarge, UnsupportedMedia

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_NAME = 200
SNIFF_BYTES = 64
# An upload not sent in a message within a day is abandoned (the app was closed, the message
# never sent): it is deleted, file and row, by the server's sweep (server/upload_expiry.py).
ORPHAN_WINDOW_MS = 24 * 3_600_000
EXPIRY_BATCH = 200  # uploads removed per transaction: a backlog never holds the write lock long


@dataclass(frozen=True)
class MediaType:
    kind: str  # "image" or "video"
    mime: str
    extension: str


def sniff(head: bytes) -> MediaType:
    """The media type from the first bytes of a file (magic numbers), or UnsupportedMedia."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType("image", "image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType("image", "image/png", "png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MediaType("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType("image", "image/webp", "webp")
    if head[4:8] == b"ftyp":  # ISO base media file (ISO/IEC 14496-12): the brand says which
        brand = head[8:12]
        if brand.startswith(b"3g"):
            return MediaType("video", "video/3gpp", "3gp")
        if brand == b"qt  ":
            return MediaType("video", "video/quicktime", "mov")
        return MediaType("video", "video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:SNIFF_BYTES]:
        return MediaType("video", "video/webm", "webm")
    raise UnsupportedMedia(
        "only photos (JPEG, PNG, GIF, WebP) and videos (MP4, WebM, 3GP, QuickTime) can be sent",
        "file",
        reason="file_type",
    )


def size_limit(kind: str) -> int:
    return MAX_IMAGE_BYTES if kind == "image" else MAX_VIDEO_BYTES


def clean_name(name: str | None, media: MediaType) -> str:
    """A display name for the file: no directories, no control characters, bounded."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:MAX_NAME]
    return base or f"file.{media.extension}"


class AttachmentStore:
    def __init__(self, db: Database, data_dir: Path, clock: Callable[[], float]) -> None:
        self._db = db
        self._root = data_dir / "uploads"
        self._clock = clock

    async def save(
        self, user: User, room_id: int, filename: str | None, chunks: AsyncIterator[bytes]
    ) -> dict[str, Any]:
        directory, stem = await self._place(user, room_id)
        partial = directory / f".{stem}.upload"
        try:
            media, _ = await receive_upload(chunks, partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return await self._store(user, room_id, filename, media, directory, stem)

    async def adopt(
        self, user: User, room_id: int, filename: str | None, source: Path
    ) -> dict[str, Any]:
        """A file that arrived another way (a resumable upload, rooms/community/resumable.py)
        becomes an attachment through the same checks as `save`: type from its bytes, size
        limit, decoding, metadata removal, thumbnail. `source` is moved away or deleted."""
        try:
            directory, stem = await self._place(user, room_id)
            media = await asyncio.to_thread(_sniff_file, source)
            partial = directory / f".{stem}.upload"
            await asyncio.to_thread(os.replace, source, partial)
        except BaseException:
            _unlink_all([source])
            raise
        return await self._store(user, room_id, filename, media, directory, stem)

    async def _place(self, user: User, room_id: int) -> tuple[Path, str]:
        """The room's upload directory and a fresh file stem, once the member may post."""
        async with self._db.read() as conn:
            await require(conn, room_id, user.id, "post")
        directory = self._root / str(room_id)
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        return directory, secrets.token_hex(12)

    async def _store(
        self,
        user: User,
        room_id: int,
        filename: str | None,
        media: MediaType,
        directory: Path,
        stem: str,
    ) -> dict[str, Any]:
        """Check and clean the received file `.{stem}.upload`, move it into place, record it."""
        partial = directory / f".{stem}.upload"
        poster = directory / f"{stem}.thumb.jpg"
        final = directory / f"{stem}.{media.extension}"
        try:
            dimensions = await asyncio.to_thread(prepare, media.kind, media.mime, partial, poster)
            thumbnail = poster if dimensions is not None else None
            width, height = dimensions or (None, None)
            size = partial.stat().st_size  # a photo loses its metadata: it may shrink
            await asyncio.to_thread(publish_file, partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)  # made before a later step refused the file
            raise
        row = {
            "room_id": room_id,
            "uploader_id": user.id,
            "kind": media.kind,
            "mime": media.mime,
            "size": size,
            "name": clean_name(filename, media),
            "path": str(final.relative_to(self._root)),
            "thumbnail_path": str(thumbnail.relative_to(self._root)) if thumbnail else None,
            "width": width,
            "height": height,
            "created_at": int(self._clock() * 1000),
        }
        try:
            async with self._db.write() as conn:
                query = insert(attachments).values(**row).returning(attachments)
                return attachment_json((await conn.execute(query)).one())
        except BaseException:
            final.unlink(missing_ok=True)
            if thumbnail is not None:
                thumbnail.unlink(missing_ok=True)
            raise

    def stored(self, relative: str) -> Path:
        """The file at `relative` under the uploads (a path an attachment row names), for a
        caller that has decided who may have it (public announcement pages)."""
        return self._root / relative

    async def purge(self, message_id: int) -> int:
        """Remove the files of a deleted message's attachments from disk: deleted means gone,
        not merely hidden. The rows stay (they name what was there); `open` refuses them.
        Returns how many files were removed."""
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(attachments.c.path, attachments.c.thumbnail_path)
                    .join(messages, messages.c.id == attachments.c.message_id)
                    .where(attachments.c.message_id == message_id, messages.c.deleted.is_(True))
                )
            ).all()
        paths = [self._root / p for row in rows for p in (row.path, row.thumbnail_path) if p]
        return await asyncio.to_thread(_unlink_all, paths)

    async def expire_orphans(
        self, now_ms: int, window_ms: int = ORPHAN_WINDOW_MS, batch: int = EXPIRY_BATCH
    ) -> int:
        """Delete uploads never sent in a message within `window_ms` of their upload: rows,
        files and thumbnails. Returns how many were removed (at most `batch`; call again while
        it returns `batch`).

        One DELETE ... RETURNING claims the rows, so two processes sweeping at once never
        remove the same upload twice, and an upload sent in a message meanwhile no longer
        matches `message_id IS NULL`. The files go after the commit: a crash in between leaves
        files without rows (invisible), never a row naming a missing file."""
        cutoff = now_ms - window_ms
        expired = (
            select(attachments.c.id)
            .where(attachments.c.message_id.is_(None), attachments.c.created_at < cutoff)
            .order_by(attachments.c.id)
            .limit(batch)
            .scalar_subquery()
        )
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    delete(attachments)
                    .where(attachments.c.id.in_(expired), attachments.c.message_id.is_(None))
                    .returning(attachments.c.path, attachments.c.thumbnail_path)
                )
            ).all()
        paths = [self._root / p for row in rows for p in (row.path, row.thumbnail_path) if p]
        await asyncio.to_thread(_unlink_all, paths)
        return len(rows)

    async def open(self, user: User, attachment_id: int, thumbnail: bool) -> tuple[Path, str]:
        """The file to send and its type; only members of the room see it, and a deleted
        message's files are gone for everyone."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(attachments, messages.c.deleted)
                    .outerjoin(messages, messages.c.id == attachments.c.message_id)
                    .where(attachments.c.id == attachment_id)
                )
            ).one_or_none()
            if row is None:
                raise NotFound("no such attachment", "attachment_id", reason="attachment_not_found")
            try:
                await require(conn, row.room_id, user.id, "read")
            except (NotFound, Forbidden):
                # Forwarded elsewhere (rooms/community/forward.py): members of a room where a
                # forward of it stands see it too.
                if not await _forwarded_to(conn, attachment_id, user.id):
                    raise
        if row.deleted or (row.message_id is None and row.uploader_id != user.id):
            raise NotFound("no such attachment", "attachment_id", reason="attachment_not_found")
        if thumbnail:
            if row.thumbnail_path is None:
                raise NotFound(
                    "this attachment has no thumbnail",
                    "attachment_id",
                    reason="attachment_not_found",
                )
            return self._root / row.thumbnail_path, "image/jpeg"
        return self._root / row.path, row.mime


async def _forwarded_to(conn: AsyncConnection, attachment_id: int, user_id: int) -> bool:
    """Whether a message showing this file by reference stands in one of the member's rooms."""
    found = await conn.execute(
        select(attachment_refs.c.message_id)
        .join(messages, messages.c.id == attachment_refs.c.message_id)
        .join(memberships, memberships.c.room_id == messages.c.room_id)
        .where(
            attachment_refs.c.attachment_id == attachment_id,
            messages.c.deleted.is_(False),
            memberships.c.user_id == user_id,
        )
        .limit(1)
    )
    return found.first() is not None


async def receive_upload(
    chunks: AsyncIterator[bytes], partial: Path, kinds: tuple[str, ...] = ("image", "video")
) -> tuple[MediaType, int]:
    """Stream into `partial`, sniffing the type and enforcing its size limit on the way; a
    type not in `kinds` is refused as soon as its first bytes are in (the marketplace takes
    photos only)."""
    head = bytearray()
    media: MediaType | None = None
    size = 0
    # Writes of upload-sized chunks land in the page cache in microseconds; only the open and
    # the fsync may wait on the disk, so those run in a thread.
    out = await asyncio.to_thread(partial.open, "wb")
    with out:
        async for chunk in chunks:
            size += len(chunk)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                if len(head) == SNIFF_BYTES:
                    media = sniff_kind(bytes(head), kinds)
            _check_size(media, size)
            out.write(chunk)
        if media is None:
            if not head:
                raise Invalid("the file is empty", "file", reason="file_empty")
            media = sniff_kind(bytes(head), kinds)
            _check_size(media, size)
        out.flush()
        await asyncio.to_thread(os.fsync, out.fileno())
    return media, size


def sniff_kind(head: bytes, kinds: tuple[str, ...]) -> MediaType:
    """The file's type if its kind is taken here. Where only photos are (a profile photo, a
    listing's photos), anything else is refused as not a photo (`photo_type`), not with the
    chat's list of photos and videos."""
    photos_only = kinds == ("image",)
    try:
        media: MediaType | None = sniff(head)
    except UnsupportedMedia:
        if not photos_only:
            raise
        media = None
    if media is None or media.kind not in kinds:
        raise UnsupportedMedia(
            f"only {' and '.join(k + 's' for k in kinds)} are taken here",
            "file",
            reason="photo_type" if photos_only else "file_type",
        )
    return media


def _sniff_file(source: Path) -> MediaType:
    """The type of a whole file on disk, within its size limit (as `receive_upload` checks)."""
    with source.open("rb") as received:
        head = received.read(SNIFF_BYTES)
    if not head:
        raise Invalid("the file is empty", "file", reason="file_empty")
    media = sniff_kind(head, ("image", "video"))
    _check_size(media, source.stat().st_size)
    return media


def _check_size(media: MediaType | None, size: int) -> None:
    limit = size_limit(media.kind) if media is not None else MAX_VIDEO_BYTES
    if size > limit:
        kind = media.kind if media is not None else "file"
        raise TooLarge(
            f"{kind}s are limited to {limit // (1024 * 1024)} MiB",
            "file",
            reason="photo_too_large" if kind == "image" else "video_too_large",
        )


def _unlink_all(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
