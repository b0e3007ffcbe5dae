from tests.server.api_client import api

__all__ = ["api"]
