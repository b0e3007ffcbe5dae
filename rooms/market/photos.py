"""Listing photos: the chat's upload rules (type from the bytes, size limit, metadata removed,
a JPEG thumbnail; rooms/community/attachments.py), photos only, kept beside the listing.

A photo is uploaded before its listing is saved, so it starts without a listing; photos never
attached within a day are removed by the same kind of sweep as abandoned chat uploads.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from rooms.community.accounts import User
from rooms.community.attachments import (
    EXPIRY_BATCH,
    ORPHAN_WINDOW_MS,
    make_thumbnail,
    publish_file,
    receive_upload,
    remove_metadata,
)
from rooms.community.database import Database
from rooms.community.schema.market import listing_photos
from rooms.errors import NotFound


def photo_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": f"/api/market/photos/{row.id}",
        "thumbnail_url": f"/api/market/photos/{row.id}/thumbnail",
        "width": row.width,
        "height": row.height,
    }


class PhotoStore:
    def __init__(self, db: Database, data_dir: Path, clock: Callable[[], float]) -> None:
        self._db = db
        self._root = data_dir / "market"
        self._clock = clock

    async def save(self, user: User, chunks: AsyncIterator[bytes]) -> dict[str, Any]:
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)
        stem = secrets.token_hex(12)
        partial = self._root / f".{stem}.upload"
        thumbnail = self._root / f"{stem}.thumb.jpg"
        try:
            media, _size = await receive_upload(chunks, partial, kinds=("image",))
            final = self._root / f"{stem}.{media.extension}"
            width, height = await asyncio.to_thread(_prepare, partial, thumbnail, media.mime)
            size = partial.stat().st_size
            await asyncio.to_thread(publish_file, partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            thumbnail.unlink(missing_ok=True)
            raise
        row = {
            "uploader_id": user.id,
            "mime": media.mime,
            "size": size,
            "path": final.name,
            "thumbnail_path": thumbnail.name,
            "width": width,
            "height": height,
            "created_at": int(self._clock() * 1000),
        }
        try:
            async with self._db.write() as conn:
                query = insert(listing_photos).values(**row).returning(listing_photos)
                return photo_json((await conn.execute(query)).one())
        except BaseException:
            final.unlink(missing_ok=True)
            thumbnail.unlink(missing_ok=True)
            raise

    def file_of(self, row: Any, thumbnail: bool) -> tuple[Path, str]:
        if thumbnail:
            return self._root / row.thumbnail_path, "image/jpeg"
        return self._root / row.path, row.mime

    async def remove_files(self, rows: list[Any]) -> None:
        paths = [self._root / p for row in rows for p in (row.path, row.thumbnail_path)]
        await asyncio.to_thread(_unlink_all, paths)

    async def expire_orphans(self, now_ms: int, window_ms: int = ORPHAN_WINDOW_MS) -> int:
        """Delete photos never attached to a listing within `window_ms` of their upload (at
        most EXPIRY_BATCH per call): claimed with one DELETE ... RETURNING, files after the
        commit, as rooms/community/attachments.py expire_orphans explains."""
        expired = (
            select(listing_photos.c.id)
            .where(
                listing_photos.c.listing_id.is_(None),
                listing_photos.c.created_at < now_ms - window_ms,
            )
            .order_by(listing_photos.c.id)
            .limit(EXPIRY_BATCH)
            .scalar_subquery()
        )
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    delete(listing_photos)
                    .where(listing_photos.c.id.in_(expired), listing_photos.c.listing_id.is_(None))
                    .returning(listing_photos.c.path, listing_photos.c.thumbnail_path)
                )
            ).all()
        await self.remove_files(list(rows))
        return len(rows)


def _prepare(partial: Path, thumbnail: Path, mime: str) -> tuple[int, int]:
    dimensions = make_thumbnail(partial, thumbnail)
    remove_metadata(partial, mime)
    return dimensions


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def not_found() -> NotFound:
    return NotFound("no such photo", "photo_id")
