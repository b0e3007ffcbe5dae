"""What is done to a received photo or video before it is kept: decoded with Pillow (photos) or
demuxed with FFmpeg (videos, rooms/community/media_probe.py) to prove it is one, photos stripped
of their metadata (rooms/community/photo_metadata.py), a JPEG thumbnail or poster made, and the
file moved into place durably. Shared by chat attachments, listing photos and avatars.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from rooms.community.media_probe import probe_video
from rooms.community.photo_metadata import strip_metadata
from rooms.community.posters import first_picture
from rooms.errors import Invalid, UnsupportedMedia

MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that it is a decompression bomb
THUMBNAIL_SIZE = 320


def make_thumbnail(source: Path, target: Path) -> tuple[int, int]:
    """Decode the image, write a JPEG thumbnail, return the image's (width, height)."""
    try:
        with Image.open(source) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Invalid(
                    f"images are limited to {MAX_IMAGE_PIXELS} pixels",
                    "file",
                    reason="image_too_large",
                )
            upright = ImageOps.exif_transpose(image)  # phones store portrait photos rotated
            width, height = upright.size
            upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            _write_atomically(target, lambda f: upright.convert("RGB").save(f, "JPEG", quality=80))
            return width, height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(
            "the photo could not be read", "file", reason="photo_unreadable"
        ) from exc


def check_video(source: Path) -> None:
    """Refuse a file that only starts like a video: the demuxer must find a real one."""
    try:
        probe_video(source)
    except ValueError as exc:
        raise UnsupportedMedia(
            f"the video could not be read ({exc})", "file", reason="video_unreadable"
        ) from exc


def remove_metadata(source: Path, mime: str) -> None:
    """Rewrite the photo at `source` without its location and other metadata
    (rooms/community/photo_metadata.py); a photo that cannot be rewritten is refused, never kept
    as is."""
    try:
        cleaned = strip_metadata(source.read_bytes(), mime)
    except ValueError as exc:
        raise UnsupportedMedia(
            "the photo could not be read", "file", reason="photo_unreadable"
        ) from exc
    with open(source, "wb") as out:
        out.write(cleaned)
        out.flush()
        os.fsync(out.fileno())


def prepare(kind: str, mime: str, partial: Path, poster: Path) -> tuple[int, int] | None:
    """Validate the upload, clean it and make its thumbnail; the picture's size, or None for
    a video whose first picture does not decode here."""
    if kind == "image":
        dimensions = make_thumbnail(partial, poster)
        remove_metadata(partial, mime)
        return dimensions
    check_video(partial)
    return make_video_poster(partial, poster)


def make_video_poster(source: Path, target: Path) -> tuple[int, int] | None:
    """The video's first picture as a JPEG thumbnail (a poster to tap before downloading tens
    of megabytes on a data plan), and the video's size. None when it cannot be decoded here:
    the video is still kept, and plays wherever the viewer's browser can play it."""
    image = first_picture(source)
    if image is None:
        return None
    width, height = image.size
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    _write_atomically(target, lambda f: image.convert("RGB").save(f, "JPEG", quality=80))
    return width, height


def _write_atomically(target: Path, write: Callable[[Any], None]) -> None:
    temporary = target.with_name(f".{target.name}.part")
    with open(temporary, "wb") as out:
        write(out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_file(partial: Path, final: Path) -> None:
    """Move a finished upload into place and make the rename durable."""
    os.replace(partial, final)
    _fsync_directory(final.parent)
