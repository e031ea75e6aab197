"""A threaded loopback server for the trends tests (slow and streaming handlers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    """A loopback server that serves requests concurrently (for slow/streaming handlers)."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def tserver(threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    yield threaded_server
    threaded_server.clear()
