"""A place as a profile or a room names it: a region code and, below the village, RT/RW.

RT (rukun tetangga) and RW (rukun warga) are numbered within a village, usually written
"RT 005/RW 002" or "005/002"; they have no national code, so they are checked for shape only
and stored as "005/002" so that one neighbourhood is written one way.
"""

from __future__ import annotations

import re

from rooms.community.regions.data import regions
from rooms.errors import Invalid

MAX_RT_RW = 999
# Between the numbers a "/", "-" or "," or the word RW (so "55" is not RT 5 RW 5).
_RT_RW = re.compile(
    r"\s*(?:RT\.?\s*)?([0-9]{1,3})(?:\s*[/\-,]\s*(?:RW\.?\s*)?|\s*RW\.?\s*)([0-9]{1,3})\s*",
    re.I,
)


def check_rt_rw(text: str, field: str = "rt_rw") -> str:
    """ "RT 5 / RW 2", "05/02" or "5-2" as "005/002"; "" stays ""; anything else Invalid."""
    if not text.strip():
        return ""
    match = _RT_RW.fullmatch(text)
    if match is None or not all(1 <= int(n) <= MAX_RT_RW for n in match.groups()):
        raise Invalid("RT/RW is two numbers of 1-999, like 005/002", field)
    rt, rw = (int(n) for n in match.groups())
    return f"{rt:03d}/{rw:03d}"


def check_place(code: str, rt_rw: str = "") -> dict[str, str]:
    """The columns naming a place: an existing region code ("" for none) and RT/RW, which
    only a village can have. Invalid or NotFound (field "region") otherwise."""
    normal = check_rt_rw(rt_rw)
    if not code:
        return {"region_code": "", "rt_rw": normal}
    region = regions().get(code)
    if normal and region.level != "village":
        raise Invalid("RT/RW needs a village (kelurahan/desa) as the region", "rt_rw")
    return {"region_code": region.code, "rt_rw": normal}
