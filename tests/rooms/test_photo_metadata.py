"""Photo originals lose their location (EXIF GPS) and other metadata, keep their pixels and
their orientation; a malformed file is refused, never kept with its metadata."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from rooms.community.photo_metadata import ORIENTATION_TAG, strip_metadata

GPS_IFD = 0x8825
MAKER = 0x010F


def exif_with_location(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    exif[MAKER] = "Samsung"
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (6.0, 12.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)})
    return exif


def photo(fmt: str, exif: Image.Exif | None = None, **options: object) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", (64, 32), (200, 10, 10))
    picture.paste((10, 200, 10), (0, 0, 32, 16))
    if exif is not None:
        options["exif"] = exif.tobytes()
    picture.save(out, fmt, **options)
    return out.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


FORMATS = [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]


@pytest.mark.parametrize(("fmt", "mime"), FORMATS)
def test_location_and_camera_go_orientation_and_pixels_stay(fmt: str, mime: str) -> None:
    original = photo(fmt, exif_with_location())
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS_IFD)  # the fixture does carry a location
    cleaned = strip_metadata(original, mime)
    with Image.open(io.BytesIO(cleaned)) as image:
        exif = image.getexif()
        assert dict(exif) == {ORIENTATION_TAG: 6}
        assert exif.get_ifd(GPS_IFD) == {}
        assert image.format == fmt
    assert pixels(cleaned) == pixels(original)  # rewritten around the pixels, not re-encoded


@pytest.mark.parametrize(("fmt", "mime"), FORMATS)
def test_an_upright_photo_keeps_no_exif_at_all(fmt: str, mime: str) -> None:
    cleaned = strip_metadata(photo(fmt, exif_with_location(orientation=1)), mime)
    with Image.open(io.BytesIO(cleaned)) as image:
        assert dict(image.getexif()) == {}
    assert b"Exif" not in cleaned and b"Samsung" not in cleaned


def test_jpeg_comments_xmp_and_trailing_bytes_go_icc_and_jfif_stay() -> None:
    original = photo("JPEG", exif_with_location(), icc_profile=b"\x00" * 128, comment=b"rumah")
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSLatitude 6,12S</x:xmpmeta>"
    segment = b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp
    original = original[:2] + segment + original[2:] + b"GPS trailer after EOI"
    cleaned = strip_metadata(original, "image/jpeg")
    assert b"GPS" not in cleaned and b"rumah" not in cleaned and b"Samsung" not in cleaned
    assert cleaned[2:4] == b"\xff\xe0"  # JFIF's APP0 first, as JFIF requires
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.info["icc_profile"] == b"\x00" * 128
    assert pixels(cleaned) == pixels(original)


def test_a_progressive_jpeg_with_restart_markers_keeps_every_scan() -> None:
    original = photo("JPEG", exif_with_location(), progressive=True, restart_marker_blocks=1)
    assert pixels(strip_metadata(original, "image/jpeg")) == pixels(original)


def test_png_text_chunks_go() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Raw profile type exif", "GPS 6,12S 106,49E")
    info.add_itxt("XML:com.adobe.xmp", "GPSLatitude", zip=True)
    original = photo("PNG", exif_with_location(), pnginfo=info)
    cleaned = strip_metadata(original, "image/png")
    assert b"GPS" not in cleaned and b"tEXt" not in cleaned and b"iTXt" not in cleaned
    assert pixels(cleaned) == pixels(original)


def test_a_gif_has_no_exif_and_is_kept_as_it_is() -> None:
    original = photo("GIF")
    assert strip_metadata(original, "image/gif") == original


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\xff\xd8\xff\xe1\xff\xff" + b"\x00" * 10, "image/jpeg"),  # segment overruns
        (b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 6 + b"\x11" * 50, "image/jpeg"),  # no end
        (b"\xff\xd8", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 5, "image/png"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),  # no IEND
        (b"RIFF\x30\x00\x00\x00WEBPVP8X\xff\x00\x00\x00", "image/webp"),
        (b"RIFF", "image/webp"),
    ],
)
def test_malformed_photos_raise_value_error(data: bytes, mime: str) -> None:
    with pytest.raises(ValueError):
        strip_metadata(data, mime)


SAMPLES = {mime: photo(fmt, exif_with_location()) for fmt, mime in FORMATS}


@pytest.mark.fuzz
@settings(max_examples=100)
@given(
    mime=st.sampled_from(sorted(SAMPLES)),
    cuts=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=4),
)
def test_damaged_photos_give_a_photo_or_value_error(
    mime: str, cuts: list[tuple[int, bytes]]
) -> None:
    data = bytearray(SAMPLES[mime])
    for at, replacement in cuts:  # overwrite a few bytes here and there, or cut the end
        at %= len(data) + 1
        data[at : at + len(replacement)] = replacement
    try:
        cleaned = strip_metadata(bytes(data), mime)
    except ValueError:
        return
    assert len(cleaned) <= len(data) + 64  # nothing but the orientation is ever added


@pytest.mark.fuzz
@given(data=st.binary(max_size=300), mime=st.sampled_from(sorted(SAMPLES)))
def test_arbitrary_bytes_give_a_photo_or_value_error(data: bytes, mime: str) -> None:
    try:
        strip_metadata(data, mime)
    except ValueError:
        pass
