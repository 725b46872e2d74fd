"""Route sets and remote targets of our dialogs (RFC 3261 §12), where aiosipua leaves them out.

aiosipua's UAS reverses the INVITE's Record-Route into its route set and never copies Record-Route into
its answers; its UAC keeps the INVITE's Request-URI as the remote target, takes no route set from the
2xx, and sends every in-dialog request (ACK included) where the INVITE went. So, on our side:

- as UAS: the route set is the INVITE's Record-Route in order, and every 1xx (but 100) and 2xx to an
  INVITE carries those Record-Route values, in order (§12.1.1);
- as UAC: the first 2xx to our INVITE sets the remote target (its Contact) and the route set (its
  Record-Route, reversed) before aiosipua ACKs it (§12.1.2, §13.2.2.4);
- a re-INVITE from the other side refreshes the remote target (§12.2.2);
- an in-dialog request goes to the first route, else to the remote target (§12.2.1.1, §8.1.2).

Loose routing (`;lr`) only: a route set whose first route is a strict router (RFC 2543) is used as if it
were loose; strict routing is not supported.
"""

from __future__ import annotations

from dataclasses import fields

from aiosipua import Dialog, IncomingCall, SipRequest, SipResponse, parse_uri, stringify_uri

from telephony.executor.sip.messages import is_ip, route_values
from telephony.executor.sip.transport import TcpTransport, UdpTransport

Addr = tuple[str, int]


class RoutedDialog(Dialog):
    """aiosipua's Dialog whose answers to an INVITE that establish a dialog (101-299) carry the
    request's Record-Route values in order (RFC 3261 §12.1.1), so the caller's ACK and BYE, and ours,
    follow the proxies that asked to stay on the path."""

    def create_response(
        self, request: SipRequest, status_code: int, reason_phrase: str = "", *, contact: str | None = None
    ) -> SipResponse:
        response = super().create_response(request, status_code, reason_phrase, contact=contact)
        if request.method.upper() == "INVITE" and 100 < status_code < 300:
            for value in request.headers.get("record-route"):
                response.headers.append("Record-Route", value)
        return response


def as_uas(call: IncomingCall) -> None:
    """A new call to us: its dialog copies Record-Route into our answers and keeps the route set in order."""
    old = call.dialog
    dialog = RoutedDialog(**{f.name: getattr(old, f.name) for f in fields(old)})
    dialog.route_set = route_values(call.invite.headers.get("record-route"))
    call.dialog = dialog


def confirmed_as_uac(dialog: Dialog, response: SipResponse) -> None:
    """The 2xx that confirms our INVITE's dialog: remote target from its Contact, route set from its
    Record-Route reversed (RFC 3261 §12.1.2)."""
    refresh_target(dialog, response)
    dialog.route_set = list(reversed(route_values(response.headers.get("record-route"))))


def refresh_target(dialog: Dialog, message: SipRequest | SipResponse) -> None:
    """A target refresh (2xx to our INVITE, a re-INVITE to us): the Contact is the new remote target."""
    contacts = message.contact
    if contacts and contacts[0].uri is not None and contacts[0].uri.host:
        dialog.remote_target = stringify_uri(contacts[0].uri)


def next_hop(dialog: Dialog, fallback: Addr, transport: UdpTransport | TcpTransport) -> Addr:
    """Where an in-dialog request of `dialog` is sent: the first route's host and port, else the remote
    target's (RFC 3261 §12.2.1.1, loose routing). `fallback` (where the dialog's INVITE came from or went)
    when that names a host rather than an address, and over TCP when no connection to it is open
    (we never open one: requests go back on the connection the call came on)."""
    addr = uri_addr(dialog.route_set[0] if dialog.route_set else dialog.remote_target)
    if addr is None:
        return fallback
    if isinstance(transport, TcpTransport) and not transport.has_connection(addr):
        return fallback
    return addr


def request_hop(request: SipRequest, fallback: Addr) -> Addr:
    """Where an in-dialog request we built goes over UDP: its first Route, else its Request-URI."""
    routes = route_values(request.headers.get("route"))
    return uri_addr(routes[0] if routes else request.uri) or fallback


def uri_addr(value: str) -> Addr | None:
    """(IP, port) of a URI or name-addr (`<sip:10.0.0.1:5070;lr>`); None when it names a host, not an IP."""
    text = value.strip()
    if "<" in text:
        text = text[text.index("<") + 1 : text.rindex(">") if ">" in text else len(text)]
    try:
        uri = parse_uri(text)
    except ValueError:
        return None
    host = (uri.host or "").strip("[]")
    if not is_ip(host):
        return None
    return host, uri.port or (5061 if uri.scheme == "sips" else 5060)
