"""The API's route table: authentication, request parsing, errors and the OpenAPI document.

Each endpoint is a `Route` (method, path, who may call it, its fields, its handler). `install`
registers them with aiohttp behind one wrapper, so every endpoint authenticates, validates and
reports errors the same way, and `openapi` describes exactly what the wrapper enforces.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from rooms.community import sessions
from rooms.community.accounts import User
from rooms.community.calendar_links import check_generation
from rooms.community.community import Community
from rooms.errors import DomainError, NotFound, TooLarge, Unauthorized
from rooms.meeting.egress.egress import EgressSettings
from server.api.fields import Field, object_schema, parse_body, parse_query
from server.api.inbound import check_path, decode_json, decode_query

log = logging.getLogger(__name__)

MAX_JSON_BODY = 64 * 1024

STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "method_not_allowed": 405,
    "too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "internal": 500,
    "busy": 503,
}
CODE_OF_STATUS = {status: code for code, status in STATUS.items()}


@dataclass
class Call:
    """One parsed request, handed to a handler."""

    request: web.Request
    community: Community
    user: User | None
    path: dict[str, int]
    body: dict[str, Any]
    query: dict[str, Any]

    @property
    def me(self) -> User:
        assert self.user is not None, "route declared without auth"
        return self.user


Handler = Callable[[Call], Awaitable[Any]]
_EMPTY = object()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: str = "session"  # "session", "calendar" (session or ?token=), or "none"
    body: Sequence[Field] = ()
    query: Sequence[Field] = ()
    status: int = 200
    content: str = "json"  # request body: "json", "multipart" or "none"
    produces: str = "application/json"
    tags: tuple[str, ...] = field(default_factory=tuple)


def error_response(
    code: str,
    message: str,
    field_name: str | None = None,
    retry_after: float | None = None,
    reason: str | None = None,
) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field_name:
        error["field"] = field_name
    if reason:
        error["reason"] = reason
    response = web.json_response({"error": error}, status=STATUS.get(code, 400))
    if retry_after is not None:
        # RFC 9110 §10.2.3: whole seconds; never 0, which would invite an immediate retry.
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def install(app: web.Application, routes: Sequence[Route]) -> None:
    for route in routes:
        app.router.add_route(route.method, route.path, _wrap(route))
    app.middlewares.append(_json_errors)


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The safety net: whatever goes wrong, the answer is the API's error shape, never
    aiohttp's plain-text or HTML page. Unknown /api/ paths and wrong methods answer
    not_found and method_not_allowed; an exception no handler expected is logged with its
    traceback and answered 500 `internal`, with nothing of the exception in the answer."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        return _http_error(request, exc)
    except Exception:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            raise  # the connection is no longer HTTP: there is no answer left to give
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return error_response("internal", "the server failed to answer; try again later")


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    if isinstance(exc, web.HTTPNotFound):
        return error_response("not_found", f"no such endpoint: {request.path}")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response = error_response("method_not_allowed", f"{request.method} is not allowed here")
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
    code = CODE_OF_STATUS.get(exc.status, "bad_request" if exc.status < 500 else "internal")
    response = error_response(code, exc.reason)
    response.set_status(exc.status)
    return response


def _wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            call = await _parse(request, route)
            result = await route.handler(call)
        except DomainError as exc:
            return error_response(exc.code, exc.message, exc.field, exc.retry_after, exc.reason)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        return web.json_response(result, status=route.status, dumps=_dumps)

    endpoint.__name__ = route.handler.__name__
    return endpoint


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ApiServices(Protocol):
    """What the HTTP API needs of the server's services (signalling.services.Services has it):
    the API reads them under its own key, so it never imports the websocket glue."""

    community: Community | None
    secret: str
    egress: EgressSettings | None  # where recordings are (rooms/meeting/egress/)


API_SERVICES_KEY = web.AppKey("kamar_api_services", ApiServices)


def community_of(app: web.Application) -> Community:
    community = app[API_SERVICES_KEY].community
    if community is None:
        raise RuntimeError("the community database is not open")
    return community


def secret_of(app: web.Application) -> str:
    return app[API_SERVICES_KEY].secret


async def _parse(request: web.Request, route: Route) -> Call:
    community = community_of(request.app)
    check_path(request.rel_url.raw_path, request.match_info)
    path: dict[str, int] = {}
    for name, raw in request.match_info.items():
        if not name.endswith("_id"):
            continue
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:  # int() refuses "²"
            raise NotFound(f"no such {name.removesuffix('_id')}", name)
        path[name] = int(raw)
    user = await _authenticate(request, route, community)
    body: dict[str, Any] = {}
    if route.content == "json" and route.body:
        data = await _read_json(request)
        body = parse_body({} if data is _EMPTY else data, route.body)
    query = parse_query(decode_query(request.rel_url.raw_query_string), route.query)
    return Call(request, community, user, path, body, query)


async def _authenticate(request: web.Request, route: Route, community: Community) -> User | None:
    if route.auth == "none":
        return None
    token: str | None = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
    kinds: tuple[str, ...] = ("session",)
    if route.auth == "calendar" and token is None:
        # Only the feed token belongs in a URL (calendar apps keep and share links); a
        # session token in a query string would leak into logs and histories.
        token, kinds = request.query.get("token"), ("calendar",)
    if not token:
        raise Unauthorized(
            "sign in first: send Authorization: Bearer <token>", reason="sign_in_first"
        )
    try:
        verified = sessions.decode(token, secret_of(request.app), int(time.time()), kinds)
        user = await community.accounts.get(verified.user_id)
    except (sessions.TokenError, NotFound) as exc:
        # Why the token failed is for the log; a member needs only to sign in again.
        log.info("session token refused: %s", exc)
        raise Unauthorized("sign in again", reason="session_expired") from exc
    if not sessions.still_valid(verified, user.sessions_valid_after):
        raise Unauthorized("this session was signed out; sign in again", reason="signed_out")
    if verified.kind == "calendar":  # 404 once the account made a new link
        check_generation(user, verified.generation)
    return user


async def _read_json(request: web.Request) -> Any:
    if request.content_length is not None and request.content_length > MAX_JSON_BODY:
        raise TooLarge(f"the body is limited to {MAX_JSON_BODY} bytes")
    # read(n) returns what has arrived so far, up to n bytes: loop until the end of the body.
    raw = bytearray()
    while len(raw) <= MAX_JSON_BODY:
        chunk = await request.content.read(MAX_JSON_BODY + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > MAX_JSON_BODY:
        raise TooLarge(f"the body is limited to {MAX_JSON_BODY} bytes")
    if not raw.strip():
        return _EMPTY  # no body: as {} (required fields are then reported by name)
    return decode_json(bytes(raw))


def openapi(routes: Sequence[Route], version: str) -> dict[str, Any]:
    """OpenAPI 3.1 from the route table: paths, parameters, bodies and error responses."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kamar API", "version": version},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "error: code, message and the field at fault",
                    "headers": {
                        "Retry-After": {
                            "description": "with 429 and 503: seconds to wait before trying again",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                }
            },
        },
    }


def _operation(route: Route) -> dict[str, Any]:
    """One route's OpenAPI operation: what it is, what it takes, and what it answers."""
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.handler.__name__.lstrip("_"),
        "tags": list(route.tags),
        "responses": {
            str(route.status): {
                "description": "success",
                "content": {route.produces: {}},
            },
            "4XX": {"$ref": "#/components/responses/Error"},
            "5XX": {"$ref": "#/components/responses/Error"},
        },
    }
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(route)
    if body is not None:
        operation["requestBody"] = body
    operation["security"] = [] if route.auth == "none" else [{"bearer": []}]
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    """The path's ids and names, the query fields, and a calendar feed's token."""
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if name.endswith("_id") else "string"},
        }
        for name in _path_names(route.path)
    ]
    parameters += [
        {"name": f.name, "in": "query", "required": f.required, "schema": f.schema()}
        for f in route.query
    ]
    if route.auth == "calendar":
        parameters.append(
            {"name": "token", "in": "query", "required": False, "schema": {"type": "string"}}
        )
    return parameters


def _request_body(route: Route) -> dict[str, Any] | None:
    """A JSON body's fields, or a multipart upload's one file; None without a body."""
    if route.content == "multipart":  # an upload route's form, whatever `body` says
        return {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            },
        }
    if route.body:
        return {
            "required": True,
            "content": {"application/json": {"schema": object_schema(route.body)}},
        }
    return None


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": list(STATUS)},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "reason": {"type": "string"},
            },
            "required": ["code", "message"],
        }
    },
}


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
