"""Profile photos (docs/api.md "PUT /api/me/avatar"): one square JPEG per member, 256 px,
re-encoded from what they uploaded, so nothing of the original file (EXIF location, other
metadata, a crafted payload) is kept. A file in the data directory named by the member's id:
no database column, so an account's public shape does not change; the client asks for
`/api/users/{id}/avatar` and shows initials where there is none (404).
"""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from rooms.community.accounts import User
from rooms.community.attachments import publish_file, receive_upload
from rooms.errors import NotFound, UnsupportedMedia

SIDE = 256  # px: sharp at 3x device pixels for the 64 px avatar of the profile page
QUALITY = 85


def square_jpeg(source: Path) -> bytes:
    """The photo turned upright, cropped to its centre square, SIDE px, as JPEG. Pure."""
    try:
        with Image.open(source) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(
            "the photo could not be read", "file", reason="photo_unreadable"
        ) from exc
    square = ImageOps.fit(upright.convert("RGB"), (SIDE, SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


class Avatars:
    def __init__(self, data_dir: Path) -> None:
        self._root = data_dir / "avatars"

    def path_of(self, user_id: int) -> Path:
        return self._root / f"{user_id}.jpg"

    async def save(self, user: User, chunks: AsyncIterator[bytes]) -> None:
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)
        partial = self._root / f".{user.id}.{secrets.token_hex(6)}.upload"
        try:
            await receive_upload(chunks, partial, kinds=("image",))
            jpeg = await asyncio.to_thread(square_jpeg, partial)
            await asyncio.to_thread(partial.write_bytes, jpeg)
            await asyncio.to_thread(publish_file, partial, self.path_of(user.id))
        finally:
            partial.unlink(missing_ok=True)

    async def remove(self, user: User) -> None:
        await asyncio.to_thread(self.path_of(user.id).unlink, missing_ok=True)

    async def open(self, user_id: int) -> Path:
        path = self.path_of(user_id)
        if not await asyncio.to_thread(path.exists):
            raise NotFound("no profile photo", "user_id", reason="avatar_not_found")
        return path
