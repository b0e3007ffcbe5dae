"""The phone's own upload check (web/app/upload_rules.js) agrees with the server's: the same
size limits, the same types, and the same refusals (code and reason)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rooms.community.attachments import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, sniff

ROOT = Path(__file__).resolve().parents[2]
# The first bytes of one file of every type the server recognises.
HEADS = [
    b"\xff\xd8\xff\xe0" + b"\0" * 12,
    b"\x89PNG\r\n\x1a\n" + b"\0" * 8,
    b"GIF89a" + b"\0" * 10,
    b"RIFF\0\0\0\0WEBPVP8 ",
    b"\0\0\0\x20ftypisom\0\0\0\0",
    b"\0\0\0\x20ftyp3gp4\0\0\0\0",
    b"\0\0\0\x20ftypqt  \0\0\0\0",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm\0\0",
]

SCRIPT = """
const rules = await import(%s);
const cases = %s;
console.log(JSON.stringify({
  max: rules.MAX_BYTES,
  kinds: rules.KIND_OF_TYPE,
  refusals: cases.map(([name, type, size, after]) =>
    rules.refusal({ name, type, size }, after)),
  photoRefusals: cases.map(([name, type, size, after]) =>
    rules.photoRefusal({ name, type, size }, after)),
  photoAccept: rules.PHOTO_ACCEPT,
}));
"""


def run_rules(cases: list[tuple[str, str, int, bool]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is needed to read web/app/upload_rules.js (apt install nodejs)")
    module = json.dumps((ROOT / "web/app/upload_rules.js").as_uri())
    result = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT % (module, json.dumps(cases))],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_the_phone_knows_the_servers_limits_and_types() -> None:
    rules = run_rules([])
    assert rules["max"] == {"image": MAX_IMAGE_BYTES, "video": MAX_VIDEO_BYTES}
    server = {sniff(head).mime: sniff(head).kind for head in HEADS}
    assert rules["kinds"] == server


def test_the_phone_refuses_what_the_server_would_with_the_same_reason() -> None:
    mb = 1024 * 1024
    cases = [
        ("liburan.mp4", "video/mp4", 60 * mb, False),
        ("rapat.mp4", "video/mp4", 49 * mb, False),
        ("rapat", "", 5 * mb, False),  # no type and no extension
        ("dokumen.pdf", "application/pdf", 100, False),
        ("foto.heic", "image/heic", 2 * mb, False),
        ("foto.jpg", "image/jpeg", 12 * mb, False),  # shrunk on the phone first
        ("foto.jpg", "image/jpeg", 12 * mb, True),  # still too big after that
        ("lucu.gif", "image/gif", 11 * mb, False),  # a GIF is sent as it is
        ("video.MOV", "", 10 * mb, False),  # the name gives the type
        ("kosong.png", "image/png", 0, False),
    ]
    refusals = run_rules(cases)["refusals"]
    assert refusals == [
        {"code": "too_large", "reason": "video_too_large"},
        None,
        {"code": "unsupported_media_type", "reason": "file_type"},
        {"code": "unsupported_media_type", "reason": "file_type"},
        {"code": "unsupported_media_type", "reason": "file_type"},
        None,
        {"code": "too_large", "reason": "photo_too_large"},
        {"code": "too_large", "reason": "photo_too_large"},
        None,
        {"code": "bad_request", "reason": "file_empty"},
    ]


def test_where_only_a_photo_is_taken_the_phone_refuses_the_rest_as_the_server_does() -> None:
    mb = 1024 * 1024
    cases = [
        ("rapat.mp4", "video/mp4", 1 * mb, False),
        ("dokumen.pdf", "application/pdf", 100, False),
        ("rapat", "", 5 * mb, False),
        ("aku.jpg", "image/jpeg", 12 * mb, False),  # made smaller on the phone first
        ("aku.jpg", "image/jpeg", 12 * mb, True),
        ("aku.gif", "image/gif", 1 * mb, False),
    ]
    answer = run_rules(cases)
    not_a_photo = {"code": "unsupported_media_type", "reason": "photo_type"}
    assert answer["photoRefusals"] == [
        not_a_photo,
        not_a_photo,
        not_a_photo,
        None,
        {"code": "too_large", "reason": "photo_too_large"},
        None,
    ]
    # The picker offers exactly the photo types the server reads.
    server = {sniff(head).mime for head in HEADS if sniff(head).kind == "image"}
    assert set(answer["photoAccept"].split(",")) == server
