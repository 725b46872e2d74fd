"""Celery work that services queue, by the task's registered name, once their transaction commits.

Services name a task rather than import it: the domain's tasks import the services, and the call
side's tasks (publishing) sit above the domain, so an import would run the wrong way. The names are
the contract; each task module registers under its name here (`AppConfig.ready` imports them, so a
web process knows them too and an eager test run executes them in place).
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction

PUBLISH_AA_SYSTEM = "telephony.publish_aa_system"
RENDER_ANNOUNCEMENT = "autoattendant.render_announcement"
IMPORT_NUMBERS = "autoattendant.import_numbers"
STORE_QUEUED_CALLS = "autoattendant.store_queued_calls"


def queue(task_name: str, *args: Any) -> None:
    """Send the task now (outside a transaction, or from a task going on with its own work)."""
    current_app.signature(task_name, args=args).delay()


def queue_on_commit(task_name: str, *args: Any) -> None:
    """Send the task when the current transaction commits; nothing is sent if it rolls back."""
    transaction.on_commit(lambda: queue(task_name, *args))
