"""The web client's strings by area (web/strings/): the meeting's and the community app's are
merged into one table (web/strings.js), so a key in both areas would silently replace the
other's text, as the registration button once renamed the quick-join page's "Masuk"."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.node import run_module_script

ROOT = Path(__file__).resolve().parents[2]


def keys_by_area() -> dict[str, dict[str, list[str]]]:
    """{area: {language: [keys]}} for the meeting and the community strings, read by Node."""
    meeting = (ROOT / "web/strings/meeting.js").as_uri()
    community = (ROOT / "web/strings/community.js").as_uri()
    talk = (ROOT / "web/strings/talk.js").as_uri()
    script = f"""
const {{ MEETING }} = await import({json.dumps(meeting)});
const {{ COMMUNITY }} = await import({json.dumps(community)});
const {{ TALK }} = await import({json.dumps(talk)});
const keys = (table) => Object.fromEntries(
  Object.entries(table).map(([language, texts]) => [language, Object.keys(texts)]));
console.log(JSON.stringify({{
  meeting: keys(MEETING), community: keys(COMMUNITY), talk: keys(TALK),
}}));
"""
    areas: dict[str, dict[str, list[str]]] = run_module_script(script, "web/strings/")
    return areas


def test_no_key_is_in_two_areas_and_both_languages_have_the_same_keys() -> None:
    areas = keys_by_area()
    for language in ("id", "en"):
        for one, other in (("meeting", "community"), ("meeting", "talk"), ("community", "talk")):
            shared = set(areas[one][language]) & set(areas[other][language])
            assert not shared, f"{language}: in both {one} and {other}: {sorted(shared)}"
    for area in areas.values():
        assert set(area["id"]) == set(area["en"])
