"""`manage.py gateways`: the gateways (SIP trunks) with their registration state in the running SIP
edge, adding and removing one, and the outbound proxy (show, switch)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from autoattendant.errors import AAError
from telephony import gateways
from telephony.edge import dispatcher, trunks
from telephony.edge.config import EdgeConfig
from telephony.models import Gateway, TelephonyAccount


class Command(BaseCommand):
    help = (
        "The gateways calls to numbers go out through (Restcomm's Management/Gateways) and the outbound "
        "proxy. Changes reach the running SIP edge at once (its RPC socket in SIP_EDGE_RUN_DIR)."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("list", help="every gateway, with its registration in the running SIP edge")
        add = commands.add_parser("add", help="a gateway of an account")
        add.add_argument("--account", required=True, help="its AccountSid")
        add.add_argument("--proxy", required=True, help="host[:port] or sip:host[:port][;transport=udp|tcp]")
        add.add_argument("--user", default="", help="UserName")
        add.add_argument("--password", default="", help="Password")
        add.add_argument("--name", default="", help="FriendlyName")
        add.add_argument("--register", action="store_true", help="the SIP edge registers with it")
        add.add_argument("--ttl", type=int, default=gateways.DEFAULT_TTL, help="the registration's TTL (s)")
        remove = commands.add_parser("remove", help="delete a gateway")
        remove.add_argument("sid")
        commands.add_parser("proxy", help="the outbound proxies and which is active")
        switch = commands.add_parser("switch-proxy", help="switch the outbound proxy (primary <-> fallback)")
        switch.add_argument("--account", required=True, help="the AccountSid of a CSP's account")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            if action == "list":
                self.list()
            elif action == "add":
                account = self.account(options["account"])
                values = {"proxy": options["proxy"], "user_name": options["user"], "password": options["password"]}
                values.update(friendly_name=options["name"], register=options["register"], ttl=options["ttl"])
                gateway = gateways.create_gateway(account, values)
                self.stdout.write(f"added {gateway.sid}")
            elif action == "remove":
                gateway = Gateway.objects.filter(sid=options["sid"]).first()
                if gateway is None:
                    raise CommandError(f"no gateway {options['sid']}")
                gateways.delete_gateway(gateway)
                self.stdout.write(f"removed {options['sid']}")
            elif action == "proxy":
                self.proxies(gateways.outbound_proxies())
            else:
                self.proxies(gateways.switch_proxy(self.account(options["account"])))
        except AAError as exc:
            raise CommandError(exc.describe()) from exc

    def account(self, sid: str) -> TelephonyAccount:
        account = TelephonyAccount.objects.filter(sid=sid).first()
        if account is None:
            raise CommandError(f"no account {sid}")
        return account

    def list(self) -> None:
        try:
            states = trunks.registrations(EdgeConfig.from_settings(settings).ctl_socket)
        except dispatcher.DispatcherError as exc:
            states = {}
            self.stderr.write(f"registrations unknown: {exc}")
        for gateway in Gateway.objects.select_related("account").order_by("date_created", "id"):
            state = states[gateway.sid].state if gateway.sid in states else ("-" if gateway.register else "")
            fields = (gateway.sid, gateway.account.sid, gateway.proxy, gateway.user_name, state or "no register")
            self.stdout.write("\t".join(fields))

    def proxies(self, proxies: gateways.OutboundProxies) -> None:
        self.stdout.write(f"primary\t{proxies.primary or '-'}")
        self.stdout.write(f"fallback\t{proxies.fallback or '-'}")
        self.stdout.write(f"active\t{proxies.active or '-'}" + ("\t(fallback)" if proxies.using_fallback else ""))
