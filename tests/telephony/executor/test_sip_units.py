"""The SIP layer's pure parts: digest, registrar rules, SDP negotiation, DTMF bodies, message helpers."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiosipua import (
    SipDigestAuth,
    SipMessage,
    SipRequest,
    build_credentials,
    parse_auth,
    parse_sdp,
    serialize_sdp,
    stringify_auth,
)

from telephony.executor.config import ExecutorConfig
from telephony.executor.sip import MediaOffer, NoCommonCodec, Registrar
from telephony.executor.sip.digest import Nonces, NonceState, response_matches
from telephony.executor.sip.media import answer_sdp, media_from_sdp, negotiated_answer, offer_sdp
from telephony.executor.sip.messages import lenient_bad_request, problem, response_destination, uri_user
from telephony.executor.sip.server import parse_dtmf
from telephony.executor.sip.transport import DONE, ResponseCache


# DTMF bodies.
@pytest.mark.parametrize(
    "content_type, body, digit",
    [
        ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"),
        ("application/dtmf-relay", "Signal= *\r\nDuration=100", "*"),
        ("Application/DTMF-Relay; charset=x", "signal=11\r\n", "#"),
        ("application/dtmf-relay", "Signal=10", "*"),
        ("application/dtmf-relay", "Duration=160", None),
        ("application/dtmf-relay", "Signal=Z", None),
        ("application/dtmf", "7", "7"),
        ("application/dtmf", " # \r\n", "#"),
        ("application/dtmf", "hello", None),
        ("application/media_control+xml", "<x/>", None),
    ],
)
def test_parse_dtmf(content_type, body, digit):
    assert parse_dtmf(content_type, body) == digit


# Digest.
def test_nonces():
    nonces = Nonces(secret=b"k" * 32, lifetime=300)
    nonce = nonces.make("pbx.example.com", now=1_000_000)
    assert nonces.check(nonce, "pbx.example.com", now=1_000_100) is NonceState.VALID
    assert nonces.check(nonce, "pbx.example.com", now=1_000_400) is NonceState.STALE
    assert nonces.check(nonce, "other.example.com", now=1_000_100) is NonceState.INVALID  # bound to its realm
    assert nonces.check(nonce.replace(nonce[-1], "0" if nonce[-1] != "0" else "1"), "pbx.example.com") is (
        NonceState.INVALID
    )
    assert nonces.check("garbage", "pbx.example.com") is NonceState.INVALID
    assert Nonces().check(nonce, "pbx.example.com", now=1_000_100) is NonceState.INVALID  # another process's secret


@pytest.mark.parametrize("qop, algorithm", [("auth", "MD5"), ("", "MD5"), ("auth", "SHA-256")])
def test_digest_matches_aiosipuas_client_side(qop, algorithm):
    challenge_text = f'Digest realm="example.com", nonce="abc.def", algorithm={algorithm}'
    if qop:
        challenge_text += f', qop="{qop}"'
    credentials = build_credentials(
        SipDigestAuth("1001", "pw"), parse_auth(challenge_text), "REGISTER", "sip:example.com"
    )
    params = {k.lower(): v for k, v in parse_auth(stringify_auth(credentials), credentials=True).params.items()}
    assert response_matches(params, "REGISTER", "pw")
    assert not response_matches(params, "REGISTER", "wrong")
    assert not response_matches(params, "INVITE", "pw")
    assert not response_matches({**params, "algorithm": "SHA-512"}, "REGISTER", "pw")


# The registrar, driven directly.
def register_request(
    login: str = "1001",
    *,
    domain: str = "pbx.example.com",
    contact: str | None = "<sip:1001@10.0.0.5:5062>",
    expires: str | None = "600",
    authorization: str | None = None,
    cseq: int = 1,
) -> SipRequest:
    lines = [
        f"REGISTER sip:{domain} SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKreg1;received=192.0.2.7;rport=40000",
        f"From: <sip:{login}@{domain}>;tag=ft",
        f"To: <sip:{login}@{domain}>",
        "Call-ID: reg-call-1",
        f"CSeq: {cseq} REGISTER",
    ]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return SipMessage.parse("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n")


async def _password(login: str) -> str | None:
    return {"1001": "pw1", "1002": "pw2"}.get(login)


def authorized(registrar: Registrar, request: SipRequest, password: str, username: str | None = None) -> SipRequest:
    """Answer the registrar's challenge to `request` like a phone would (aiosipua's client digest)."""
    challenge = asyncio.run(registrar.handle(request, ("192.0.2.7", 40000), "udp"))
    assert challenge.status_code == 401
    header = challenge.get_header("www-authenticate")
    credentials = build_credentials(
        SipDigestAuth(username or request.to_addr.uri.user, password), parse_auth(header), "REGISTER", request.uri
    )
    retried = SipMessage.parse(bytes(request))
    retried.headers.set_single("Authorization", stringify_auth(credentials))
    return retried


def test_registrar_binds_and_unbinds():
    registrar = Registrar(_password, max_expires=300)
    request = authorized(registrar, register_request(), "pw1")
    ok = asyncio.run(registrar.handle(request, ("192.0.2.7", 40000), "udp"))
    assert ok.status_code == 200
    assert ok.get_header("expires") == "300"  # capped
    assert ok.get_header("contact") == "<sip:1001@10.0.0.5:5062>;expires=300"
    binding = registrar.lookup("1001")
    assert (binding.contact, binding.addr, binding.transport) == ("sip:1001@10.0.0.5:5062", ("192.0.2.7", 40000), "udp")
    assert 299 < binding.expires_at - time.time() <= 300

    second = authorized(registrar, register_request(contact="<sip:1001@10.0.0.9:5060>;expires=120"), "pw1")
    ok = asyncio.run(registrar.handle(second, ("192.0.2.8", 5060), "tcp"))
    assert len(ok.get_header_values("contact")) == 2
    assert registrar.lookup("1001").contact == "sip:1001@10.0.0.9:5060"  # the latest
    assert len(registrar.bindings()) == 2
    registrar.drop_connection("tcp", ("192.0.2.8", 5060))
    assert registrar.lookup("1001").contact == "sip:1001@10.0.0.5:5062"

    query = authorized(registrar, register_request(contact=None, expires=None), "pw1")
    ok = asyncio.run(registrar.handle(query, ("192.0.2.7", 40000), "udp"))
    assert ok.status_code == 200 and len(ok.get_header_values("contact")) == 1 and registrar.lookup("1001")

    wildcard = authorized(registrar, register_request(contact="*", expires="0"), "pw1")
    assert asyncio.run(registrar.handle(wildcard, ("192.0.2.7", 40000), "udp")).status_code == 200
    assert registrar.lookup("1001") is None and registrar.bindings() == []


@pytest.mark.parametrize(
    "kwargs, password, username, status",
    [
        ({}, "wrong", None, 403),
        ({"login": "7777"}, "pw1", None, 403),  # unknown extension
        ({}, "pw2", "1002", 403),  # someone else's credentials for this extension
        ({"expires": "30"}, "pw1", None, 423),
        ({"contact": "*", "expires": "60"}, "pw1", None, 400),
        ({"expires": "soon"}, "pw1", None, 400),
    ],
)
def test_registrar_refuses(kwargs, password, username, status):
    registrar = Registrar(_password)
    request = authorized(registrar, register_request(**kwargs), password, username)
    response = asyncio.run(registrar.handle(request, ("192.0.2.7", 40000), "udp"))
    assert response.status_code == status
    if status == 423:
        assert response.get_header("min-expires") == "60"
    assert registrar.bindings() == []


def test_registrar_stale_and_foreign_nonces():
    registrar = Registrar(_password, nonces=Nonces(lifetime=300))
    request = authorized(registrar, register_request(), "pw1")
    later = Registrar(_password, nonces=registrar.nonces)
    registrar.nonces.lifetime = -10  # every nonce is now too old
    stale = asyncio.run(later.handle(request, ("192.0.2.7", 40000), "udp"))
    assert stale.status_code == 401 and "stale=true" in stale.get_header("www-authenticate")
    foreign = asyncio.run(Registrar(_password).handle(request, ("192.0.2.7", 40000), "udp"))
    assert foreign.status_code == 401 and "stale" not in foreign.get_header("www-authenticate")


def test_registrar_any_domain_is_its_realm():
    registrar = Registrar(_password)
    challenge = asyncio.run(registrar.handle(register_request(domain="tenant-7.example"), ("192.0.2.7", 1), "udp"))
    assert 'realm="tenant-7.example"' in challenge.get_header("www-authenticate")
    request = authorized(registrar, register_request(domain="tenant-7.example"), "pw1")
    assert asyncio.run(registrar.handle(request, ("192.0.2.7", 1), "udp")).status_code == 200


def test_registrar_password_lookup_failure_is_503():
    async def broken(login: str) -> str | None:
        raise ConnectionError("portal down")

    registrar = Registrar(broken)
    request = authorized(registrar, register_request(), "pw1")
    response = asyncio.run(registrar.handle(request, ("192.0.2.7", 40000), "udp"))
    assert response.status_code == 503 and response.get_header("retry-after")


# SDP.
OFFER = (
    "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n"
    "m=video 30002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n"
)
OURS = MediaOffer("127.0.0.1", 20000, (0, 8), 101)


def test_answer_takes_our_preferred_codec_and_the_callers_dtmf_type():
    sdp = parse_sdp(OFFER)
    offer = media_from_sdp(sdp)
    assert offer == MediaOffer("192.0.2.10", 30000, (8, 0), 96)
    answer, negotiated = answer_sdp(sdp, offer, OURS)
    assert negotiated == MediaOffer("192.0.2.10", 30000, (0,), 96)
    audio, video = answer.media
    assert (audio.port, audio.formats) == (20000, ["0", "96"])
    assert "96 telephone-event/8000" in audio.attributes["rtpmap"]
    assert video.port == 0  # refused, in the offer's order (RFC 3264)
    assert answer.connection.address == "127.0.0.1"


def test_answer_without_dtmf_and_without_common_codec():
    sdp = parse_sdp(OFFER.replace(" 96\r\n", "\r\n", 1))
    _, negotiated = answer_sdp(sdp, media_from_sdp(sdp), OURS)
    assert negotiated.dtmf_payload_type is None
    g729 = parse_sdp(OFFER.replace("RTP/AVP 8 0 96", "RTP/AVP 18 96"))
    with pytest.raises(NoCommonCodec):
        answer_sdp(g729, media_from_sdp(g729), OURS)


def test_unusable_offers():
    assert media_from_sdp(None) is None
    assert media_from_sdp(parse_sdp(OFFER.replace("m=audio 30000", "m=audio 0"))) is None
    assert media_from_sdp(parse_sdp("v=0\r\nm=video 1 RTP/AVP 97\r\n")) is None


def test_offer_and_the_answer_to_it():
    sdp = offer_sdp(OURS)
    audio = sdp.audio
    assert audio.formats == ["0", "8", "101"]
    assert audio.attributes["rtpmap"] == ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"]
    assert media_from_sdp(parse_sdp(serialize_sdp(sdp))) == OURS
    assert negotiated_answer(MediaOffer("h", 1, (8, 0), 100), OURS) == MediaOffer("h", 1, (8,), 100)
    assert negotiated_answer(MediaOffer("h", 1, (18,), None), OURS) is None
    assert negotiated_answer(MediaOffer("h", 1, (0,), 100), MediaOffer("x", 2, (0,), None)).dtmf_payload_type is None


# Messages.
def test_lenient_bad_request():
    response = lenient_bad_request(
        b"BLAH\r\nv: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\ni: c1\r\nt: <sip:a@b>\r\n\r\n"
    )
    assert response.status_code == 400
    assert response.get_header("via") == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx"
    assert response.get_header("call-id") == "c1" and ";tag=" in response.get_header("to")
    assert lenient_bad_request(b"BLAH\r\nCall-ID: c1\r\n\r\n") is None  # no Via: nowhere to answer
    assert lenient_bad_request(b"SIP/2.0 2OO OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n") is None  # a response
    assert lenient_bad_request(b"ACK x\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n") is None
    assert lenient_bad_request(b"\r\n\r\n") is None


def test_problem():
    base = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
    good = SipMessage.parse(base + "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n")
    assert problem(good) is None
    assert problem(SipMessage.parse(base + "CSeq: 1 OPTIONS\r\n\r\n")) == "Missing call-id header"
    assert problem(SipMessage.parse(base + "Call-ID: c\r\nCSeq: x OPTIONS\r\n\r\n")) == "Malformed CSeq"
    assert problem(SipMessage.parse(base + "Call-ID: c\r\nCSeq: 1 INVITE\r\n\r\n")).startswith("CSeq method")


@pytest.mark.parametrize(
    "uri, user",
    [
        ("sip:+15551234@10.0.0.1:5080;user=phone", "+15551234"),
        ("sip:%2B4930123@example.com", "+4930123"),
        ("sips:alice@example.com", "alice"),
        ("tel:+15551234;phone-context=x", "+15551234"),
        ("sip:example.com", ""),
    ],
)
def test_uri_user(uri, user):
    assert uri_user(uri) == user


def test_response_cache_generations(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("telephony.executor.sip.transport.time.monotonic", lambda: now[0])
    cache = ResponseCache(linger=32)
    cache.put(("b1", "INVITE"), "r1")
    now[0] += 40
    cache.put(("b2", "BYE"), "r2")  # rotates: b1 is now in the previous generation
    assert cache.get(("b1", "INVITE")) == "r1"  # still answered (and refreshed)
    now[0] += 40
    assert cache.get(("b2", "BYE")) == "r2"
    now[0] += 100
    assert cache.get(("b1", "INVITE")) is None and cache.get(("b2", "BYE")) is None and len(cache) == 0
    cache.put(("b3", "INVITE"), (b"SIP/2.0 200 OK...", ("h", 1)))
    cache.done(("b3", "INVITE"))
    assert cache.get(("b3", "INVITE")) is DONE


def test_response_destination():
    def response(via: str):
        return SipMessage.parse(f"SIP/2.0 200 OK\r\nVia: {via}\r\n\r\n")

    assert response_destination(response("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx")) == ("10.0.0.1", 5062)
    assert response_destination(response("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx")) == ("10.0.0.1", 5060)
    nat = "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;received=192.0.2.7;rport=40000"
    assert response_destination(response(nat)) == ("192.0.2.7", 40000)
    assert response_destination(response("SIP/2.0/UDP [2001:db8::1]:5062;rport;branch=z9hG4bKx")) == (
        "2001:db8::1",
        5062,
    )
    assert response_destination(SipMessage.parse("SIP/2.0 200 OK\r\n\r\n")) is None


def test_the_user_agent_setting():
    assert ExecutorConfig.from_env("token", {}).sip_user_agent == ""  # by default, the product is not named
    assert ExecutorConfig.from_env("token", {"SIP_USER_AGENT": " Example SBC "}).sip_user_agent == "Example SBC"
