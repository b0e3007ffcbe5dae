"""Member insight endpoints (docs/api.md "Member insight"): organisers only, each view audited,
each view also as CSV (`?format=csv`) for the spreadsheet an organiser already uses."""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web

from rooms.insight.activity import PERIODS
from rooms.insight.insight import MAX_PERIODS
from server.api.contexts import insight_of
from server.api.fields import Field
from server.api.routing import Call, Route

VIEWS = ("participation", "rooms", "trends", "slipping", "regions", "meetings", "relations")
TAGS = ("insight",)


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV (RFC 4180), columns in the order of the first row. Pure."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def _view(name: str) -> Any:
    async def handler(call: Call) -> Any:
        q = call.query
        answer = await insight_of(call).view(
            call.me, name, q["room_id"], q["period"] or "week", q["count"] or 12, q["region"]
        )
        if q["format"] == "csv":
            return web.Response(
                text=as_csv(answer["rows"]),
                content_type="text/csv",
                charset="utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="kamar-{name}.csv"',
                    "Cache-Control": "no-store",
                },
            )
        return answer

    handler.__name__ = f"insight_{name}"
    return handler


async def audit(call: Call) -> dict[str, Any]:
    return await insight_of(call).audit(call.me)


async def grant(call: Call) -> None:
    await insight_of(call).grant(call.me, call.body["user_id"], call.body["granted"])


async def about_me(call: Call) -> dict[str, Any]:
    return await insight_of(call).about_me(call.me)


QUERY = (
    Field("room_id", kind=int, minimum=1, description="one room the caller organises"),
    Field("period", choices=tuple(PERIODS)),
    Field("count", kind=int, minimum=1, maximum=MAX_PERIODS),
    Field("format", choices=("json", "csv")),
    Field("region", max_length=16, description="participation only: one region's members"),
)

ROUTES = [
    *(
        Route(
            "GET",
            f"/api/insight/{name}",
            _view(name),
            f"Member insight: {name} (organisers; audited)",
            content="none",
            query=QUERY,
            tags=TAGS,
        )
        for name in VIEWS
    ),
    Route(
        "GET",
        "/api/insight/audit",
        audit,
        "Every insight view: who, which, when (administrators)",
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/insight/grants",
        grant,
        "An administrator grants or withdraws organisation-wide insight",
        status=204,
        body=(
            Field("user_id", kind=int, required=True, minimum=1),
            Field("granted", kind=bool, required=True),
        ),
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/insight/me",
        about_me,
        "What Kamar keeps about oneself and counts in insight",
        content="none",
        tags=TAGS,
    ),
]
