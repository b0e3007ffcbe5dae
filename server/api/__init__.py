"""The community HTTP API under /api/ (docs/api.md): accounts, rooms, chat, search, direct
messages, polls, notifications, agenda, regions, organising (referrals, campaigns,
announcements), market, insight, town-hall recordings."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api import (
    accounts,
    agenda,
    announcements,
    avatars,
    chat,
    direct,
    erasure,
    insight,
    market,
    organising,
    password_reset,
    polls,
    push,
    recordings,
    regions,
    rooms,
    search,
    uploads,
)
from server.api.limits import add_limits
from server.api.routing import Route, install, openapi

ROUTES: list[Route] = [
    *accounts.ROUTES,
    *password_reset.ROUTES,
    *avatars.ROUTES,
    *erasure.ROUTES,
    *rooms.ROUTES,
    *chat.ROUTES,
    *uploads.ROUTES,
    *search.ROUTES,
    *direct.ROUTES,
    *polls.ROUTES,
    *push.ROUTES,
    *agenda.ROUTES,
    *recordings.ROUTES,
    *regions.ROUTES,
    *organising.ROUTES,
    *announcements.ROUTES,
    *market.ROUTES,
    *insight.ROUTES,
]
API_VERSION = "1"


def add_api(app: web.Application, rate_limits: bool = True) -> None:
    install(app, ROUTES)
    add_limits(app, rate_limits)
    organising.add_organising(app)
    document = openapi_document()

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get("/api/openapi.json", openapi_json)


def openapi_document() -> dict[str, Any]:
    document = openapi(ROUTES, API_VERSION)
    # Served beside the route table (server/app.py); described here so the document is whole.
    document["paths"]["/api/openapi.json"] = {
        "get": {
            "summary": "This document",
            "operationId": "openapi",
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}},
                "5XX": {"$ref": "#/components/responses/Error"},
            },
        }
    }
    document["paths"]["/api/dev-token"] = {
        "post": {
            "summary": "A meeting token for anyone (only with --dev-tokens; 404 otherwise)",
            "operationId": "dev_token",
            "tags": ["meetings"],
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"room": {"type": "string"}, "name": {"type": "string"}},
                            "required": ["room", "name"],
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "{token}", "content": {"application/json": {}}},
                "4XX": {"$ref": "#/components/responses/Error"},
                "5XX": {"$ref": "#/components/responses/Error"},
            },
        }
    }
    return document
