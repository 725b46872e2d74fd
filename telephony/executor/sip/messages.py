"""Building and inspecting SIP messages where aiosipua has no helper for what we need."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote

from aiosipua import (
    CSeq,
    Dialog,
    SipRequest,
    SipResponse,
    Via,
    expand_compact_header,
    generate_branch,
    generate_tag,
    parse_uri,
    parse_via,
    stringify_cseq,
    stringify_uri,
    stringify_via,
)

REQUIRED_HEADERS = ("via", "from", "to", "call-id", "cseq")
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    503: "Service Unavailable",
    603: "Decline",
}


def top_branch(message: SipRequest | SipResponse) -> str | None:
    """The branch parameter of the topmost Via (without parsing the whole header)."""
    vias = message.headers.get("via")
    if not vias:
        return None
    for part in vias[0].split(";")[1:]:
        part = part.strip()
        if part[:7].lower() == "branch=":
            return part[7:]
    return None


def cseq_method(message: SipRequest | SipResponse) -> str:
    raw = message.headers.get_first("cseq") or ""
    parts = raw.split()
    return parts[1].upper() if len(parts) == 2 else ""


def transaction_key(message: SipRequest | SipResponse) -> tuple[str, str] | None:
    """(branch, method) of the transaction a request starts or a response answers (RFC 3261 §17.2.3)."""
    branch = top_branch(message)
    if not branch:
        return None
    method = message.method.upper() if isinstance(message, SipRequest) else cseq_method(message)
    return branch, method


def problem(request: SipRequest) -> str | None:
    """Why a parsed request is malformed (-> 400), or None."""
    for name in REQUIRED_HEADERS:
        if not request.headers.get(name):
            return f"Missing {name} header"
    raw_cseq = request.headers.get_first("cseq") or ""
    parts = raw_cseq.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return "Malformed CSeq"
    if parts[1].upper() != request.method.upper():
        return "CSeq method does not match the request"
    if ":" not in request.uri:
        return "Malformed Request-URI"
    return None


def response_destination(response: SipResponse) -> tuple[str, int] | None:
    """Where a response goes: its top Via's received/rport, else sent-by (RFC 3261 §18.2.2, RFC 3581)."""
    vias = response.headers.get("via")
    if not vias:
        return None
    via = parse_via(vias[0])
    host = via.received or via.host
    port = via.port or 5060
    if via.rport:
        try:
            port = int(via.rport)
        except ValueError:
            pass
    return host.strip("[]"), port


def stamp_source(request: SipRequest, addr: tuple[str, int], *, force_rport: bool) -> None:
    """Record where the request came from in its top Via (RFC 3261 §18.2.1, RFC 3581).

    `received` when the sent-by host differs from the source; `rport` filled in when asked for, or
    always when `force_rport` (TCP: responses must go back on the connection the request came on).
    """
    vias = request.headers.get("via")
    if not vias:
        return
    via = parse_via(vias[0])
    changed = False
    if via.host != addr[0]:
        via.params["received"] = addr[0]
        changed = True
    if force_rport or ("rport" in via.params and not via.params["rport"]):
        via.params["rport"] = str(addr[1])
        changed = True
    if changed:
        rest = vias[1:]
        request.headers.remove("Via")
        request.headers.append("Via", stringify_via(via))
        for value in rest:
            request.headers.append("Via", value)


def make_response(
    request: SipRequest,
    status: int,
    reason: str = "",
    *,
    headers: dict[str, str] | None = None,
    user_agent: str | None = None,
    tag: str | None = None,
) -> SipResponse:
    """A response outside any dialog we track: Via/From/To/Call-ID/CSeq copied, our tag added to To."""
    to_value = request.headers.get_first("to") or ""
    has_tag = ";tag=" in to_value.replace(" ", "").lower()
    dialog = Dialog(call_id=request.call_id or "", local_tag="" if has_tag else (tag or generate_tag()))
    response = dialog.create_response(request, status, reason or REASONS.get(status, ""))
    if user_agent:
        response.headers.set_single("User-Agent", user_agent)
    for name, value in (headers or {}).items():
        response.headers.set_single(name, value)
    return response


def lenient_bad_request(data: bytes, reason: str = "Bad Request") -> SipResponse | None:
    """A 400 for bytes that do not parse as SIP, when they carry a Via to route it; None otherwise.

    Reads header lines leniently; never answers what looks like a response or an ACK.
    """
    text = data[:65536].decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start = lines[0].strip() if lines else ""
    if not start or start.upper().startswith("SIP/") or start.split()[0].upper() == "ACK":
        return None
    found: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line.strip():
            break
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = expand_compact_header(name.strip()).lower()
        if key in REQUIRED_HEADERS and value.strip():
            found.setdefault(key, []).append(value.strip())
    if "via" not in found:
        return None
    response = SipResponse(status_code=400, reason_phrase=reason)
    try:
        for value in found["via"]:
            response.headers.append("Via", value)
        for key, name in (("from", "From"), ("to", "To"), ("call-id", "Call-ID"), ("cseq", "CSeq")):
            if key in found:
                value = found[key][0]
                if key == "to" and ";tag=" not in value.lower():
                    value = f"{value};tag={generate_tag()}"
                response.headers.set_single(name, value)
    except ValueError:
        return None
    return response


def via_header(host: str, port: int, transport: str) -> str:
    return stringify_via(
        Via(transport=transport, host=host, port=port, params={"branch": generate_branch(), "rport": None})
    )


def ack_for_final(invite: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK for a non-2xx final response to our INVITE: part of the INVITE transaction (RFC 3261 §17.1.1.3)."""
    ack = SipRequest(method="ACK", uri=invite.uri)
    ack.headers.append("Via", invite.headers.get("via")[0])
    ack.headers.set_single("Max-Forwards", "70")
    ack.headers.set_single("From", invite.headers.get_first("from") or "")
    ack.headers.set_single("To", response.headers.get_first("to") or invite.headers.get_first("to") or "")
    ack.headers.set_single("Call-ID", invite.call_id or "")
    seq = invite.cseq.seq if invite.cseq else 1
    ack.headers.set_single("CSeq", stringify_cseq(CSeq(seq=seq, method="ACK")))
    for route in invite.headers.get("route"):
        ack.headers.append("Route", route)
    return ack


def dialog_request_for_2xx(
    method: str, invite: SipRequest, response: SipResponse, via: str, seq: int | None = None
) -> SipRequest:
    """ACK or BYE in the dialog a 2xx created after we gave up on the INVITE (answered after our CANCEL)."""
    contacts = response.contact
    uri = contacts[0].uri if contacts else None
    target = invite.uri
    if uri is not None and uri.host:
        target = stringify_uri(uri)
    request = SipRequest(method=method, uri=target)
    request.headers.append("Via", via)
    request.headers.set_single("Max-Forwards", "70")
    request.headers.set_single("From", invite.headers.get_first("from") or "")
    request.headers.set_single("To", response.headers.get_first("to") or "")
    request.headers.set_single("Call-ID", invite.call_id or "")
    base = invite.cseq.seq if invite.cseq else 1
    request.headers.set_single("CSeq", stringify_cseq(CSeq(seq=seq if seq is not None else base, method=method)))
    for route in reversed(route_values(response.headers.get("record-route"))):
        request.headers.append("Route", route)
    return request


def route_values(headers: list[str]) -> list[str]:
    """Each route of Record-Route/Route header lines, in order (one line may hold several, comma-separated)."""
    values: list[str] = []
    for line in headers:
        start, bracketed, quoted = 0, False, False
        for index, char in enumerate(line):
            if char == '"':
                quoted = not quoted
            elif not quoted and char in "<>":
                bracketed = char == "<"
            elif char == "," and not quoted and not bracketed:
                values.append(line[start:index].strip())
                start = index + 1
        if line[start:].strip():
            values.append(line[start:].strip())
    return values


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def uri_user(uri: str) -> str:
    """The user part of a sip:/sips:/tel: URI, percent-decoded ("" when none)."""
    uri = uri.strip()
    if uri[:4].lower() == "tel:":
        return unquote(uri[4:].split(";")[0])
    try:
        user = parse_uri(uri).user
    except ValueError:
        return ""
    return unquote(user.split(";")[0]) if user else ""
