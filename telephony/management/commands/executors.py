"""`manage.py executors`: the executors behind the SIP edge (list, add, remove), live."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telephony.edge import dispatcher
from telephony.edge.config import EdgeConfig


class Command(BaseCommand):
    help = (
        "List, add or remove the executors the SIP edge dispatches calls to (Kamailio's dispatcher, set 1). "
        "A change is loaded by the running Kamailio at once (its RPC socket in SIP_EDGE_RUN_DIR); one that "
        "is not running reads the table when it starts."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("list", help="the executors, with their state in the running Kamailio")
        add = commands.add_parser("add", help="add an executor (or change its weights)")
        add.add_argument("uri", help="sip:host:port where the executor listens (its EXECUTOR_SIP_PORT)")
        add.add_argument(
            "--weight",
            type=int,
            default=dispatcher.DEFAULT_WEIGHT,
            help=f"its share of new calls among the active executors, 1-100 (default {dispatcher.DEFAULT_WEIGHT})",
        )
        add.add_argument(
            "--congestion-ms",
            type=int,
            default=dispatcher.DEFAULT_CONGESTION_MS,
            help="how much slower than usual its OPTIONS answers may get before it gets no new calls "
            f"(default {dispatcher.DEFAULT_CONGESTION_MS})",
        )
        remove = commands.add_parser("remove", help="remove an executor (its calls in progress go on)")
        remove.add_argument("uri")
        local = commands.add_parser("local", help="replace the executors `make run` started here (its own use)")
        local.add_argument("uris", nargs="*")

    def handle(self, *args, **options):
        ctl_socket = EdgeConfig.from_settings(settings).ctl_socket
        action = options["action"]
        try:
            if action == "list":
                self.list(ctl_socket)
                return
            if action == "add":
                executor = dispatcher.add(options["uri"], options["weight"], options["congestion_ms"])
                self.stdout.write(f"added {executor.uri} (weight {executor.weight})")
            elif action == "remove":
                if not dispatcher.remove(options["uri"]):
                    raise CommandError(f"no executor {options['uri']}")
                self.stdout.write(f"removed {options['uri']}")
            else:
                found = dispatcher.replace_local(options["uris"])
                self.stdout.write(f"{len(found)} local executor(s): {' '.join(e.uri for e in found) or '-'}")
        except dispatcher.DispatcherError as exc:
            raise CommandError(str(exc)) from exc
        if not ctl_socket.exists():
            self.stdout.write("the SIP edge is not running here: it reads its executors when it starts")
            return
        try:
            dispatcher.reload(ctl_socket)
            self.stdout.write("the SIP edge reloaded its executors")
        except dispatcher.DispatcherError as exc:
            self.stdout.write(f"not reloaded: {exc}")

    def list(self, ctl_socket):
        try:
            states = dispatcher.states(ctl_socket)
        except dispatcher.DispatcherError as exc:
            states = {}
            self.stderr.write(f"states unknown: {exc}")
        for executor in dispatcher.executors():
            state = states.get(executor.uri, "-")
            line = f"{executor.uri}\tweight {executor.weight}\tcongestion {executor.congestion_ms} ms\t{state}"
            self.stdout.write(line + (f"\t{executor.description}" if executor.description else ""))
