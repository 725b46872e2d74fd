"""A real gunicorn serving the portal, on a PostgreSQL database of its own (see tests/servers.py).

Redis is the test run's own (REDIS_URL), with its own cache key prefix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import LiveServer, createcsp, gunicorn, throwaway_database


@pytest.fixture(scope="session")
def live_gunicorn(tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn on 127.0.0.1:<free port>, its own database, and a CSP admin's credentials."""
    workdir = tmp_path_factory.mktemp("live")
    with throwaway_database("live") as env:
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": "live-test-secret-key-" + os.urandom(8).hex(),
                "CACHE_KEY_PREFIX": "aa-live",
                # Fuzzing sends many requests a minute; throttling is tested elsewhere.
                "API_THROTTLE_USER": "1000000/min",
                "API_THROTTLE_ANON": "1000000/min",
                "LOG_LEVEL": "WARNING",
            }
        )
        credentials = createcsp(env, "Live CSP", "admin@live.test")
        log = workdir / "gunicorn.log"
        with gunicorn(env, log) as url:
            yield LiveServer(url=url, credentials=credentials, log=log)
