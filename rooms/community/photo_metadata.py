"""Photo originals without their metadata: a phone's EXIF carries where the picture was taken
(the GPS IFD), and a union member's photo taken at home must not tell everyone in the room
where that home is.

Kept: the pixels byte for byte (no re-encoding, so no quality lost), the colour profile, and
the EXIF orientation alone (phones store portrait photos rotated and let the viewer turn them;
without the tag they would show sideways). Dropped: every other EXIF field (GPS, camera serial
numbers, times), XMP (it can repeat the location), IPTC, comments and text chunks, embedded
previews and whatever trails the picture. JPEG, PNG and WebP are rewritten segment by segment;
GIF has no EXIF and is kept as it is. Parsers raise ValueError on a malformed file. Pure.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

from PIL import Image

ORIENTATION_TAG = 0x0112  # EXIF 2.32, 4.6.4 A

# JPEG segments kept (ITU T.81 B.1.1.2 markers): APP0 (JFIF), APP2 only when it is the ICC
# profile, APP14 (Adobe: needed to decode CMYK/YCCK). Every other APPn and COM goes.
_KEEP_APP = {0xE0, 0xEE}
_ICC_SIGNATURE = b"ICC_PROFILE\x00"
_SOS, _EOI = 0xDA, 0xD9
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length field

# PNG chunks that hold text or EXIF (ImageMagick even hides EXIF in a tEXt "Raw profile").
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# WebP (RFC 9649): the VP8X flag bits that announce EXIF and XMP chunks.
_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04


def strip_metadata(data: bytes, mime: str) -> bytes:
    """The photo without location or other metadata, keeping its orientation."""
    strip = _STRIPPERS.get(mime)
    if strip is None:
        return data
    try:
        return strip(data, _orientation(data))
    except struct.error as exc:  # a length field pointing past the end
        raise ValueError(f"a malformed {mime} file: {exc}") from exc


def _orientation(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # Pillow raises a zoo on broken EXIF (OSError, SyntaxError, bombs,
        # warnings made errors); the orientation is only a hint, and the segment walk below
        # decides whether the file is sound.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _orientation_exif(orientation: int) -> bytes:
    """A TIFF-structured EXIF block holding the orientation alone (with "Exif\\0\\0")."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    block: bytes = exif.tobytes()
    return block


def _strip_jpeg(data: bytes, orientation: int) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    pending = b""  # the orientation's APP1 goes after JFIF's APP0, which must come first
    if orientation != 1:
        exif = _orientation_exif(orientation)
        pending = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    at = 2
    while True:
        marker, at = _next_marker(data, at)
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if marker == _EOI:
            out += b"\xff\xd9"
            return bytes(out)  # what trails the picture (MPF previews, vendor blobs) goes
        if at + 2 > len(data):
            raise ValueError("a JPEG segment is cut short")
        (length,) = struct.unpack_from(">H", data, at)
        end = at + length
        if length < 2 or end > len(data):
            raise ValueError("a JPEG segment overruns the file")
        if _keep_jpeg_segment(marker, data[at + 2 : end]):
            if pending and marker != 0xE0:  # DQT, SOF and SOS are always kept: it lands
                out += pending
                pending = b""
            out += bytes((0xFF, marker)) + data[at:end]
        at = end
        if marker == _SOS:
            scan_end = _end_of_scan(data, at)
            out += data[at:scan_end]
            at = scan_end


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xFE or 0xE0 <= marker <= 0xEF:  # COM, APP0-15
        return marker in _KEEP_APP or (marker == 0xE2 and payload.startswith(_ICC_SIGNATURE))
    return True


def _next_marker(data: bytes, at: int) -> tuple[int, int]:
    """The marker at `at` (fill bytes 0xFF allowed before it) and where its segment starts."""
    if at >= len(data) or data[at] != 0xFF:
        raise ValueError("a JPEG marker was expected")
    while at < len(data) and data[at] == 0xFF:
        at += 1
    if at >= len(data):
        raise ValueError("the JPEG ends inside a marker")
    return data[at], at + 1


def _end_of_scan(data: bytes, at: int) -> int:
    """Where a scan's entropy-coded data ends: the first 0xFF that is neither a stuffed zero
    nor a restart marker (T.81 B.1.1.5)."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            raise ValueError("the JPEG ends inside a scan")
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
            continue
        return at


def _strip_png(data: bytes, orientation: int) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    out = bytearray(_PNG_SIGNATURE)
    at = len(_PNG_SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            raise ValueError("a PNG chunk is cut short")
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if end > len(data):
            raise ValueError("a PNG chunk overruns the file")
        if kind not in _PNG_DROP:
            out += data[at:end]
        if kind == b"IHDR" and orientation != 1:
            exif = _orientation_exif(orientation)[6:]
            out += struct.pack(">I", len(exif)) + b"eXIf" + exif
            out += struct.pack(">I", zlib.crc32(b"eXIf" + exif))
        at = end
        if kind == b"IEND":
            return bytes(out)
    raise ValueError("the PNG has no end")


def _strip_webp(data: bytes, orientation: int) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    chunks: list[tuple[bytes, bytes]] = []
    at = 12
    riff_end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    while at + 8 <= riff_end:
        kind, size = struct.unpack_from("<4sI", data, at)
        payload = data[at + 8 : at + 8 + size]
        if len(payload) != size:
            raise ValueError("a WebP chunk overruns the file")
        if kind not in (b"EXIF", b"XMP "):
            chunks.append((kind, payload))
        at += 8 + size + (size & 1)  # chunks are padded to an even size
    if chunks and chunks[0][0] == b"VP8X":
        flags = chunks[0][1][0] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
        if orientation != 1:
            flags |= _WEBP_EXIF_FLAG
            chunks.append((b"EXIF", _orientation_exif(orientation)[6:]))
        chunks[0] = (b"VP8X", bytes((flags,)) + chunks[0][1][1:])
    body = b"".join(
        kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)
        for kind, payload in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


_STRIPPERS: dict[str, Callable[[bytes, int], bytes]] = {
    "image/jpeg": _strip_jpeg,
    "image/png": _strip_png,
    "image/webp": _strip_webp,
}
