"""The community HTTP API under /api/ (docs/api.md): accounts, rooms, chat, agenda."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api import accounts, agenda, chat, rooms
from server.api.routing import Route, install, openapi

ROUTES: list[Route] = [*accounts.ROUTES, *rooms.ROUTES, *chat.ROUTES, *agenda.ROUTES]
API_VERSION = "1"


def add_api(app: web.Application) -> None:
    install(app, ROUTES)
    document = openapi(ROUTES, API_VERSION)

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get("/api/openapi.json", openapi_json)


def openapi_document() -> dict[str, Any]:
    return openapi(ROUTES, API_VERSION)
