"""The HTTP access log, without query strings: join links and calendar feeds carry their token
there, and a server's log must not collect credentials (they would outlive the tokens'
purpose in log files and backups)."""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


class AccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        query = "?…" if request.query_string else ""
        self.logger.info(
            '%s "%s %s%s" %s %s %.3fs',
            request.remote,
            request.method,
            request.path,
            query,
            response.status,
            response.body_length,
            time,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
