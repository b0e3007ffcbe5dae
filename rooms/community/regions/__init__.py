"""Indonesia's administrative regions (province > regency/city > district > village) with
their official Kemendagri codes, and the RT/RW numbers below them.

    from rooms.community.regions import regions, check_place
    regions().get("32.73")             # Region(code="32.73", name="Kota Bandung")
    regions().search("bandung", level="regency")
    regions().children("32.73.01")     # its villages
    regions().describe("32.73.01.1001")  # for the API: code, name, level, path, label
    check_place("32.73.01.1001", "3/5")  # {"region_code": ..., "rt_rw": "003/005"} or Invalid
"""

from __future__ import annotations

from rooms.community.regions.data import regions
from rooms.community.regions.index import LEVELS, Level, Region, RegionIndex
from rooms.community.regions.place import check_place, check_rt_rw

__all__ = [
    "LEVELS",
    "Level",
    "Region",
    "RegionIndex",
    "check_place",
    "check_rt_rw",
    "regions",
]
