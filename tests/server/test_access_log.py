"""The access log keeps tokens out: query strings are never written."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.access_log import AccessLogger


def test_the_access_log_leaves_out_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("kamar.test.access")
    access = AccessLogger(logger, "")
    request = make_mocked_request("GET", "/api/me/calendar.ics?token=eyJ.secret.sig")
    with caplog.at_level(logging.INFO, logger="kamar.test.access"):
        access.log(request, web.Response(status=200, body=b"ok"), 0.0123)
        access.log(make_mocked_request("GET", "/healthz"), web.Response(status=200), 0.001)
    first, second = (record.getMessage() for record in caplog.records)
    assert "secret" not in first and "token" not in first
    assert '"GET /api/me/calendar.ics?…" 200 ' in first and first.endswith(" 0.012s")
    assert '"GET /healthz" 200' in second
