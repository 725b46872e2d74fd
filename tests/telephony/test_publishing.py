"""Compile and publish with a real Celery worker and Redis, including a worker killed mid-task.

Issue 3 ("RCML compilation and serving", "Tests") and DESIGN.md ("a Celery worker killed mid-task
loses no publish"). Each test starts `celery -A portal worker` as a subprocess (prefork pool, one
child, queue `default`, as `make run` starts it) on this run's Redis and on pytest-django's test
database, so the tests are `transaction=True`: the worker sees only committed rows, and the publish
task is queued by `transaction.on_commit` exactly as in production.

Killing a worker mid-task needs a task that is still running when the test kills it. The workers of
this module import it (`-I tests.telephony.test_publishing`) and, when SLOW_PUBLISH_ENV names a
marker file, the hook at the end of this module makes the first compile of the worker's life write
its process id to that file and sleep; a redelivered task finds the file and compiles at full
speed. Nothing of it runs in the test process or outside these tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.test import Client

from autoattendant.choices import ExtensionType, PublishStatus
from autoattendant.models import Announcement, AutoAttendantSystem, Menu
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.publishing import request_publish
from autoattendant.services.systems import create_system
from portal.celery import app as celery_app
from telephony.models import PublishedRcml
from telephony.rcml import cache as rcml_cache
from telephony.rcml.publish import publish
from telephony.tasks import publish_aa_system
from tests.conftest import make_tenant

BASE_DIR = Path(__file__).resolve().parents[2]
SLOW_PUBLISH_ENV = "AA_TEST_SLOW_PUBLISH_MARKER"  # test-only: read by the hook at the end of this module
SLOW_PUBLISH_SECONDS = 60  # longer than any wait below: the worker is always killed first
AA_NUMBER = "+14155550100"

pytestmark = pytest.mark.django_db(transaction=True)


# The worker subprocess ---------------------------------------------------------------------------


def worker_database_url() -> str:
    """DATABASE_URL with the test database's name: the worker must see what the tests commit."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def ping(name: str, timeout: float = 0.5) -> bool:
    return bool(celery_app.control.ping(destination=[name], timeout=timeout))


class Worker:
    """`celery -A portal worker` (prefork, one child) in its own session, logging to a file."""

    def __init__(self, log: Path, extra_env: dict[str, str], beat: bool = False):
        self.name = f"publish-{uuid.uuid4().hex[:8]}@127.0.0.1"
        self.log = log
        env = {**os.environ, "DATABASE_URL": worker_database_url(), "PYTHONUNBUFFERED": "1", **extra_env}
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "prefork", "-c", "1"]
        argv += ["-Q", "default", "-n", self.name, "-l", "info", "--without-gossip", "--without-mingle"]
        argv += ["-I", __name__]
        if beat:  # `celery beat` inside the worker, as one process: the periodic reconcile
            argv += ["-B", "-s", str(log.with_suffix(".beat-schedule"))]
        with open(log, "ab") as log_file:
            self.process = subprocess.Popen(
                argv,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the pool child is stopped with it
            )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ping(self.name):
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not answer a ping in {timeout} s:\n{self.tail()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the worker and its pool child at once, as the OOM killer or a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of its group
        self.process.wait(timeout=10)


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., Worker]]:
    """Starts workers on demand (after the autouse cache flush of tests/conftest.py, which also
    empties the broker's Redis database); all of them are stopped at teardown."""
    workers: list[Worker] = []

    def start(beat: bool = False, **extra_env: str) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(workers)}.log", extra_env, beat=beat)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in reversed(workers):
        worker.stop()


# Data and waiting ---------------------------------------------------------------------------------


def build_system() -> dict:
    """An enterprise with an AA number, two extensions, and an AA system with a main menu and a
    submenu; the menus are rows (the menu API is not what is tested here) and their commit requests
    the publish, as every service does: request_publish inside the transaction."""
    tenant = make_tenant(f"pub{uuid.uuid4().hex[:6]}")
    csp, enterprise = tenant.csp_admin, tenant.enterprise
    aa_number = create_phone_number(csp, number=AA_NUMBER, enterprise_sid=enterprise.sid)
    alice, bob = (
        create_phone_number(
            csp,
            number=number,
            enterprise_sid=enterprise.sid,
            is_extension=True,
            extension=extension,
            extension_spoken_name=name,
            extension_type=ExtensionType.NUMBER,
        )
        for number, extension, name in (("+14155550201", "201", "Alice"), ("+14155550202", "202", "Bob"))
    )
    system = create_system(
        csp,
        name="Front desk",
        enterprise_sid=enterprise.sid,
        aa_number_sids=[aa_number.sid],
        extension_sids=[alice.sid, bob.sid],
    )
    with transaction.atomic():
        sales = Menu.objects.create(
            aa_system=system,
            name="Sales",
            options=[
                {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": bob.sid},
                {"key": "9", "actionType": "RETURN_TO_MAIN_MENU"},
            ],
        )
        main = Menu.objects.create(
            aa_system=system,
            name="Main",
            allow_dial_by_extension=True,
            options=[
                {"key": "1", "actionType": "TRANSFER_TO_EXTENSION", "actionData": alice.sid},
                {"key": "2", "actionType": "GO_TO_MENU", "actionData": sales.sid},
            ],
        )
        system.default_menu = main
        system.save(update_fields=["default_menu"])
        request_publish(system)
    return {"system": system, "main": main, "sales": sales, "enterprise": enterprise}


def wait_for(
    system: AutoAttendantSystem, done: Callable[[AutoAttendantSystem], bool], worker: Worker, timeout: float = 30
) -> AutoAttendantSystem:
    deadline = time.monotonic() + timeout
    while True:
        system.refresh_from_db()
        if done(system):
            return system
        if time.monotonic() > deadline:
            pytest.fail(
                f"after {timeout} s: config_version {system.config_version}, published_version "
                f"{system.published_version}, publish_status {system.publish_status}, error "
                f"{system.publish_error!r}\n--- worker log ---\n{worker.tail()}"
            )
        time.sleep(0.1)


def is_published(system: AutoAttendantSystem) -> bool:
    return system.publish_status == PublishStatus.PUBLISHED and system.published_version == system.config_version


def executor_post(path: str, **params: str):
    return Client().post(path, params, HTTP_AUTHORIZATION=f"Bearer {settings.EXECUTOR_TOKEN}")


def entry_document() -> str:
    response = executor_post("/rcml/voice", To=AA_NUMBER, CallSid="CA1", From="+15551230000")
    assert response.status_code == 200, response.content
    return response.content.decode()


# (a) A committed change is published ---------------------------------------------------------------


def test_committed_change_is_compiled_and_published_by_the_worker(start_worker):
    worker = start_worker()
    built = build_system()
    system = wait_for(built["system"], is_published, worker)
    sid, version = system.sid, system.config_version
    main, sales = built["main"], built["sales"]

    assert system.publish_error == ""
    row = PublishedRcml.objects.get(aa_system_sid=sid, version=version)
    assert set(row.plan["menus"]) == {main.sid, sales.sid}
    # The worker put the plan in Redis (read here before anything could refill it from PostgreSQL).
    assert cache.get(f"rcml:current:{sid}") == version
    plan = rcml_cache.plan(sid)
    assert plan == row.plan and plan["version"] == version

    # And the executor is served that version, with no compilation in the request.
    document = entry_document()
    assert f"/rcml/{sid}/{version}/input/{main.sid}?path={main.sid}" in document
    pressed = executor_post(
        f"/rcml/{sid}/{version}/input/{main.sid}?path={main.sid}&t=0&i=0&e=0", Digits="2", CallSid="CA1"
    )
    assert pressed.status_code == 200
    assert f"/rcml/{sid}/{version}/menu/{sales.sid}?path={main.sid}.{sales.sid}" in pressed.content.decode()


# (b) A failed compile keeps the published version -------------------------------------------------


def test_failed_compile_is_recorded_and_the_published_version_stays_served(start_worker):
    worker = start_worker()
    built = build_system()
    system = wait_for(built["system"], is_published, worker)
    good = system.published_version

    with transaction.atomic():
        greeting = Announcement.objects.create(
            enterprise=built["enterprise"], name="Welcome", type="AUDIO", status="PROCESSING"
        )
        Menu.objects.filter(pk=built["main"].pk).update(greeting_announcement=greeting)
        request_publish(system)
    system = wait_for(system, lambda s: s.publish_status == PublishStatus.FAILED, worker)

    assert system.config_version > good
    assert system.published_version == good
    assert greeting.sid in system.publish_error and "not ready" in system.publish_error
    assert not PublishedRcml.objects.filter(aa_system_sid=system.sid, version__gt=good).exists()
    assert rcml_cache.plan(system.sid)["version"] == good
    assert f"/rcml/{system.sid}/{good}/input/" in entry_document()

    # Once the audio is ready, the next change publishes again and clears the error.
    with transaction.atomic():
        Announcement.objects.filter(pk=greeting.pk).update(status="READY")
        request_publish(system)
    system = wait_for(system, is_published, worker)
    assert system.publish_error == "" and system.published_version > good
    assert f"<Play>/autoattendant/announcement/{greeting.sid}/audio.wav</Play>" in entry_document()


# (c) A worker killed mid-task loses no publish -----------------------------------------------------


def wait_for_marker(marker: Path, worker: Worker, timeout: float = 30) -> int:
    """The process id the slow compile wrote: the pool child running the task, mid-task."""
    deadline = time.monotonic() + timeout
    while not (marker.exists() and marker.read_text().strip()):
        if time.monotonic() > deadline:
            pytest.fail(f"the publish task did not start in {timeout} s:\n{worker.tail()}")
        time.sleep(0.05)
    return int(marker.read_text())


@pytest.mark.parametrize("killed", ["pool child", "whole worker"])
def test_worker_killed_mid_task_loses_no_publish(start_worker, tmp_path, killed):
    """`pool child`: the worker's parent process sees its child die, and reject_on_worker_lost
    requeues the message at once; a fresh child runs it. `whole worker`: nobody is left to requeue;
    the message stays in Redis' unacked hash, and a new worker restores it once it is older than
    the visibility timeout (CELERY_VISIBILITY_TIMEOUT, set short for the new worker here)."""
    marker = tmp_path / "slow-publish.pid"
    # Committed before any worker runs: the task waits in Redis (and the slow compile, which holds
    # the system's row lock, cannot block the commits that follow it).
    system = build_system()["system"]
    first = start_worker(**{SLOW_PUBLISH_ENV: str(marker)})
    child = wait_for_marker(marker, first)
    assert child != first.process.pid  # the prefork pool child, not the worker's parent process
    system.refresh_from_db()
    assert system.published_version is None and system.publish_status == PublishStatus.PENDING

    redis = cache._cache.get_client(write=True)
    if killed == "pool child":
        os.kill(child, signal.SIGKILL)
        worker = first
    else:
        first.kill()
        assert redis.hlen("unacked") == 1  # the message is not lost: taken, never acknowledged
        time.sleep(2)  # older than the new worker's visibility timeout by the time it polls
        worker = start_worker(**{SLOW_PUBLISH_ENV: str(marker), "CELERY_VISIBILITY_TIMEOUT": "2"})
    system = wait_for(system, is_published, worker)
    # The killed task itself was delivered again and acknowledged (earlier changes may have queued
    # more tasks: whichever runs first publishes the newest version, the others find it published).
    deadline = time.monotonic() + 20
    while redis.hlen("unacked") or redis.llen("default"):
        assert time.monotonic() < deadline, f"a task was never acknowledged:\n{worker.tail()}"
        time.sleep(0.2)
    if killed == "pool child":
        assert "WorkerLostError" in worker.tail()

    # Published once, by the redelivered task, and served.
    assert PublishedRcml.objects.filter(aa_system_sid=system.sid).count() == 1
    assert rcml_cache.plan(system.sid)["version"] == system.config_version
    assert f"/rcml/{system.sid}/{system.config_version}/input/" in entry_document()


# (d) Idempotency --------------------------------------------------------------------------------


def test_publishing_the_same_version_again_changes_nothing(start_worker):
    worker = start_worker()
    built = build_system()
    system = wait_for(built["system"], is_published, worker)
    sid, version = system.sid, system.config_version
    row = PublishedRcml.objects.get(aa_system_sid=sid, version=version)

    def state():
        system.refresh_from_db()
        rows = list(PublishedRcml.objects.filter(aa_system_sid=sid).values_list("pk", "version", "date_created"))
        fields = (system.config_version, system.published_version, system.publish_status, system.publish_error)
        return rows, fields, cache.get(f"rcml:current:{sid}")

    before = state()
    # Twice in this process, and twice more through the worker (as a redelivered task would run).
    assert publish(sid) == version and publish(sid) == version
    results = [publish_aa_system.delay(sid) for _ in range(2)]
    assert [result.get(timeout=30) for result in results] == [version, version]
    assert state() == before
    assert PublishedRcml.objects.get(pk=row.pk).plan == row.plan

    # A task that died after writing the row but before marking the system (not possible in one
    # transaction, but the row must not be duplicated even then): the version is re-marked, one row.
    AutoAttendantSystem.objects.filter(pk=system.pk).update(publish_status=PublishStatus.PENDING)
    assert publish(sid) == version
    assert state() == before


# (e) Publishing heals itself: a lost publish message is made good by the reconcile ---------------


def queued_publishes(redis) -> list[str]:
    """The SIDs of the publish tasks waiting in the broker's `default` queue."""
    headers = [json.loads(raw)["headers"] for raw in redis.lrange("default", 0, -1)]
    return [h["argsrepr"].strip("(),' ") for h in headers if h["task"] == "telephony.publish_aa_system"]


def test_a_publish_lost_before_any_worker_ran_is_published_when_a_worker_starts(start_worker, settings):
    """The message is gone from the broker (a broker restarted without its data, a worker killed
    after taking it with nothing left to requeue it): the worker that starts next publishes anyway."""
    settings.PUBLISH_QUEUED_GRACE_SECONDS = 1
    system = build_system()["system"]
    redis = cache._cache.get_client(write=True)
    assert system.sid in queued_publishes(redis)
    redis.delete("default", "unacked", "unacked_index")
    time.sleep(1.2)  # the normal path's "just queued" marker has expired
    worker = start_worker()
    started = time.monotonic()
    system = wait_for(system, is_published, worker, timeout=10)
    assert time.monotonic() - started < 10
    assert "reconciled" in worker.tail()


def test_a_change_whose_publish_was_never_queued_is_published_within_seconds(start_worker, settings):
    """A web process killed between its commit and sending the task: nothing is queued; the
    periodic reconcile (beat, every PUBLISH_RECONCILE_SECONDS) publishes it."""
    settings.PUBLISH_QUEUED_GRACE_SECONDS = 2  # the marker of this process's own publishes
    worker = start_worker(beat=True, PUBLISH_RECONCILE_SECONDS="1", PUBLISH_QUEUED_GRACE_SECONDS="2")
    system = wait_for(build_system()["system"], is_published, worker)
    published = system.published_version

    with transaction.atomic():  # what request_publish writes, without the message
        AutoAttendantSystem.objects.filter(pk=system.pk).update(
            config_version=F("config_version") + 1, publish_status=PublishStatus.PENDING
        )
    started = time.monotonic()
    system = wait_for(system, is_published, worker, timeout=10)
    assert time.monotonic() - started < 8  # the next reconcile after the marker expired (1 s + 2 s)
    assert system.published_version == published + 1
    assert PublishedRcml.objects.filter(aa_system_sid=system.sid).count() == 2


def test_the_reconcile_leaves_a_just_queued_publish_alone_and_queues_a_system_once(settings):
    """No thundering herd: the normal path's message is not doubled, nor are two reconciles'."""
    from autoattendant.services import publishing

    settings.PUBLISH_QUEUED_GRACE_SECONDS = 2
    system = build_system()["system"]
    redis = cache._cache.get_client(write=True)
    queued = queued_publishes(redis).count(system.sid)  # one a commit: the system's and its menus'
    assert queued >= 1 and system.sid in publishing.unpublished_sids()
    assert publishing.reconcile() == [] and publishing.reconcile() == []  # just queued by the change
    time.sleep(2.2)
    assert publishing.reconcile() == [system.sid]
    assert publishing.reconcile() == []
    assert queued_publishes(redis).count(system.sid) == queued + 1

    # Published (or failed to compile) systems are not queued at all.
    publish(system.sid)
    assert system.sid not in publishing.unpublished_sids()


# The worker-side hook -----------------------------------------------------------------------------


def _install_slow_first_publish(marker: Path) -> None:
    """Test-only (see the module docstring): the first compile writes the pool child's pid, then
    sleeps inside the publish transaction (the system's row locked, nothing written yet)."""
    from telephony.rcml import publish as publish_module

    compile_plan = publish_module.compile_plan

    def slow_compile_plan(snapshot, version):
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # a redelivery: compile at full speed
            return compile_plan(snapshot, version)
        with os.fdopen(fd, "w") as file:
            file.write(str(os.getpid()))
        time.sleep(SLOW_PUBLISH_SECONDS)
        return compile_plan(snapshot, version)

    publish_module.compile_plan = slow_compile_plan


if os.environ.get(SLOW_PUBLISH_ENV):
    _install_slow_first_publish(Path(os.environ[SLOW_PUBLISH_ENV]))
