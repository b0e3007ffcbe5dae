"""Region endpoints: the picker's search and drill-down over Indonesia's administrative regions
(rooms/community/regions). Public reference data: no sign-in, so the registration form can use
it too."""

from __future__ import annotations

from typing import Any

from rooms.community.regions import LEVELS
from rooms.community.regions.data import loaded_regions
from rooms.community.regions.index import MAX_QUERY, MAX_RESULTS
from server.api.fields import Field
from server.api.routing import Call, Route


async def list_regions(call: Call) -> dict[str, Any]:
    """With `q`: regions whose name has words starting with q's words, larger ones first.
    Without: the regions directly inside `within` (the 38 provinces when it is absent)."""
    index = await loaded_regions()
    query = call.query
    if query["q"] is None:
        found = index.children(query["within"])
    else:
        found = index.search(query["q"], query["level"], query["within"], query["limit"] or 20)
    return {"regions": [index.describe(region.code) for region in found]}


async def get_region(call: Call) -> dict[str, Any]:
    index = await loaded_regions()
    code = call.request.match_info["code"]
    children = [{"code": r.code, "name": r.name} for r in index.children(code)]
    return {**index.describe(code), "children": children}


ROUTES = [
    Route(
        "GET",
        "/api/regions",
        list_regions,
        "Search regions by name, or list the regions inside one",
        auth="none",
        content="none",
        query=(
            Field("q", max_length=MAX_QUERY, description="words the name's words start with"),
            Field("level", choices=LEVELS),
            Field("within", max_length=13, description="only inside this region code"),
            Field("limit", kind=int, minimum=1, maximum=MAX_RESULTS),
        ),
        tags=("regions",),
    ),
    Route(
        "GET",
        "/api/regions/{code}",
        get_region,
        "A region: its name, the regions containing it and those directly inside it",
        auth="none",
        content="none",
        tags=("regions",),
    ),
]
