"""The web client's strings by area (web/strings/): the meeting's and the community app's are
merged into one table (web/strings.js), so a key in both areas would silently replace the
other's text, as the registration button once renamed the meeting lobby's "Masuk"."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def keys_by_area() -> dict[str, dict[str, list[str]]]:
    """{area: {language: [keys]}} for the meeting and the community strings, read by Node."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is needed to read web/strings/ (apt install nodejs)")
    meeting = (ROOT / "web/strings/meeting.js").as_uri()
    community = (ROOT / "web/strings/community.js").as_uri()
    script = f"""
const {{ MEETING }} = await import({json.dumps(meeting)});
const {{ COMMUNITY }} = await import({json.dumps(community)});
const keys = (table) => Object.fromEntries(
  Object.entries(table).map(([language, texts]) => [language, Object.keys(texts)]));
console.log(JSON.stringify({{ meeting: keys(MEETING), community: keys(COMMUNITY) }}));
"""
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    areas: dict[str, dict[str, list[str]]] = json.loads(result.stdout)
    return areas


def test_no_key_is_in_two_areas_and_both_languages_have_the_same_keys() -> None:
    areas = keys_by_area()
    for language in ("id", "en"):
        shared = set(areas["meeting"][language]) & set(areas["community"][language])
        assert not shared, f"{language}: in both areas: {sorted(shared)}"
    for area in areas.values():
        assert set(area["id"]) == set(area["en"])
