"""Run celery beat (the periodic tasks) until SIGTERM or SIGINT, which stop it after its current tick.

`celery beat`'s own handler raises SystemExit from inside whatever the scheduler is doing: in the middle
of a tick it could end beat with an error (a closed schedule shelf) or be swallowed while a message was
being sent, and supervisord then had to SIGKILL it. Here the signal only asks Celery's beat service to
stop, which it does between two ticks, exiting 0.
"""

from __future__ import annotations

import signal

from celery import beat, current_app
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the periodic tasks (celery beat); SIGTERM or SIGINT stops it cleanly."

    def handle(self, *args, **options) -> None:
        app = current_app._get_current_object()
        service = beat.Service(app=app, scheduler_cls=app.conf.beat_scheduler)

        def stop(signum, frame) -> None:
            service.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"beat: {len(app.conf.beat_schedule)} periodic tasks, scheduler {app.conf.beat_scheduler}")
        service.start()
        self.stdout.write("beat: stopped")
