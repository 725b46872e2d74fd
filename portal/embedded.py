"""Where the embedded PostgreSQL and Redis of `make run` live under DATA_DIR.

`make run` starts them (see portal.run); settings and management commands read the same
locations, so `manage.py <command>` with the same DATA_DIR reaches the same database.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_NAME = "autoattendant"


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR", "./var")).expanduser().resolve()


def postgres_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / "postgres"


def redis_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / "redis"


def redis_socket(base: Path | None = None) -> Path:
    return redis_dir(base) / "redis.sock"


def postgres_socket_dir(base: Path | None = None) -> Path | None:
    """The socket directory of a running embedded server, from its postmaster.pid (line 5)."""
    pid_file = postgres_dir(base) / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None


def postgres_port(base: Path | None = None) -> str:
    pid_file = postgres_dir(base) / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        return lines[3].strip() or "5432"
    except (OSError, IndexError):
        return "5432"


def database_url(base: Path | None = None) -> str:
    socket_dir = postgres_socket_dir(base) or postgres_dir(base)
    return f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}&port={postgres_port(base)}"


def redis_url(base: Path | None = None) -> str:
    return f"unix://{redis_socket(base)}?db=0"
