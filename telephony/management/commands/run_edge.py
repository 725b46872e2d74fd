"""`manage.py run_edge`: the SIP edge (Kamailio) with the configuration rendered from the settings."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telephony.edge.config import EdgeConfig, EdgeConfigError


class Command(BaseCommand):
    help = (
        "Render the SIP edge's Kamailio configuration into SIP_EDGE_RUN_DIR and run Kamailio on it in the "
        "foreground (it replaces this process: supervisord and systemd signal Kamailio itself)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--print", action="store_true", help="print the rendered configuration and exit")
        parser.add_argument("--check", action="store_true", help="render, let Kamailio check it (-c) and exit")

    def handle(self, *args, **options):
        config = EdgeConfig.from_settings(settings)
        try:
            if options["print"]:
                self.stdout.write(config.render())
                return
            path = config.write()
        except (EdgeConfigError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        command = config.command()
        if options["check"]:
            command = [config.kamailio, "-c", "-f", str(path)]
        elif leftovers := config.stop_leftovers():
            self.stderr.write(f"killed {len(leftovers)} process(es) left by a Kamailio of ours that was killed")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(command[0], command, config.environment(dict(os.environ)))
