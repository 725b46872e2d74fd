"""Management/Gateways (SIP trunks: GET a page, POST one; one gateway: GET, POST/PUT changes, DELETE)
and OutboundProxy (the proxies, switchProxy, getActiveProxy). The rules are telephony.gateways'; the
SIP edge carries them out (registrations, calls to numbers)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from telephony import gateways
from telephony.models import Gateway
from telephony.restcomm.base import JSON, RestcommView, resource

FIELDS = [
    ("FriendlyName", "A friendly name for the gateway.", False),
    ("UserName", "The user name used to register with the gateway (and to answer its challenges).", False),
    ("Password", "The password used to register with the gateway (and to answer its challenges).", False),
    ("Proxy", "The gateway's address: host[:port] or sip:host[:port][;transport=udp|tcp].", True),
    ("Register", "true: the SIP edge registers with the gateway (UserName and Password needed).", False),
    ("TTL", f"The registration's time to live in seconds, {gateways.MIN_TTL}-{gateways.MAX_TTL} (3600).", False),
]
CHANGES = [(name, description, False) for name, description, _ in FIELDS]


class GatewayView(RestcommView):
    def represent(self, gateway: Gateway) -> dict[str, Any]:
        return {
            "Sid": gateway.sid,
            "DateCreated": gateway.date_created,
            "DateUpdated": gateway.date_updated,
            "AccountSid": gateway.account.sid,
            "FriendlyName": gateway.friendly_name,
            "UserName": gateway.user_name,
            "Password": gateway.password,
            "Proxy": gateway.proxy,
            "Register": gateway.register,
            "TTL": gateway.ttl,
            "Uri": self.uri("Accounts", gateway.account.sid, "Management", "Gateways", gateway.sid),
        }

    def found(self, account_sid: str, gateway_sid: str) -> Gateway:
        return self.one(
            gateways.gateways_of(self.target(account_sid)).select_related("account"), "gateway", gateway_sid
        )


class GatewayList(GatewayView):
    """The account's gateways; POST adds one."""

    paged = True
    creates = True
    form_fields = {"post": FIELDS}

    def get(self, request, account_sid: str, format=None):
        found = gateways.gateways_of(self.target(account_sid)).select_related("account")
        return self.page("Gateways", "Gateway", found, self.represent)

    def post(self, request, account_sid: str, format=None):
        account = self.target(account_sid)
        gateway = gateways.create_gateway(account, gateways.fields_from_form(self.params()))
        return self.item("Gateway", self.represent(gateway), status=201)


class GatewayDetail(GatewayView):
    """One gateway: POST or PUT change the fields sent."""

    form_fields = {"post": CHANGES, "put": CHANGES}

    def get(self, request, account_sid: str, gateway_sid: str, format=None):
        return self.item("Gateway", self.represent(self.found(account_sid, gateway_sid)))

    def post(self, request, account_sid: str, gateway_sid: str, format=None):
        gateway = self.found(account_sid, gateway_sid)
        changed = gateways.update_gateway(gateway, gateways.fields_from_form(self.params()))
        return self.item("Gateway", self.represent(changed))

    put = post

    def delete(self, request, account_sid: str, gateway_sid: str, format=None):
        gateways.delete_gateway(self.found(account_sid, gateway_sid))
        return self.deleted()


class OutboundProxyView(RestcommView):
    """Restcomm names these fields in CamelCase in JSON too (a plain map, not a resource)."""

    def answer(self, representation: dict[str, Any]) -> HttpResponse:
        if self.wants_json:
            return HttpResponse(json.dumps(representation), content_type=JSON)
        return self.item("OutboundProxy", representation)

    def proxies(self, proxies: gateways.OutboundProxies) -> dict[str, Any]:
        return {
            "ActiveProxy": proxies.active,
            "UsingFallBackProxy": proxies.using_fallback,
            "AllowFallbackToPrimary": proxies.allow_fallback_to_primary,
            "PrimaryProxy": proxies.primary,
            "FallbackProxy": proxies.fallback,
        }


class OutboundProxies(OutboundProxyView):
    """The primary and fallback outbound proxies, and which is active."""

    def get(self, request, account_sid: str, format=None):
        self.target(account_sid)
        return self.answer(self.proxies(gateways.outbound_proxies()))


class SwitchProxy(OutboundProxyView):
    """Switch the outbound proxy (a CSP's account only); the proxies as they are then."""

    def get(self, request, account_sid: str, format=None):
        self.target(account_sid)
        return self.answer(self.proxies(gateways.switch_proxy(self.account)))


class ActiveProxy(OutboundProxyView):
    def get(self, request, account_sid: str, format=None):
        self.target(account_sid)
        return self.answer({"ActiveProxy": gateways.outbound_proxies().active})


urlpatterns = [
    *resource("Accounts/<str:account_sid>/Management/Gateways", GatewayList.as_view(), "restcomm-gateways"),
    *resource(
        "Accounts/<str:account_sid>/Management/Gateways/<str:gateway_sid>", GatewayDetail.as_view(), "restcomm-gateway"
    ),
    *resource("Accounts/<str:account_sid>/OutboundProxy", OutboundProxies.as_view(), "restcomm-outbound-proxy"),
    *resource(
        "Accounts/<str:account_sid>/OutboundProxy/switchProxy", SwitchProxy.as_view(), "restcomm-outbound-proxy-switch"
    ),
    *resource(
        "Accounts/<str:account_sid>/OutboundProxy/getActiveProxy",
        ActiveProxy.as_view(),
        "restcomm-outbound-proxy-active",
    ),
]
