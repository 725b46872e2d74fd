"""The SIP layer's pure parts: SDP negotiation, DTMF bodies, message helpers; the executor's settings."""

from __future__ import annotations

import pytest
from aiosipua import IncomingCall, SipMessage, parse_sdp, serialize_sdp
from aiosipua.dialog import create_dialog_from_request

from telephony.executor.config import ExecutorConfig
from telephony.executor.sip import MediaOffer, NoCommonCodec
from telephony.executor.sip.dialogs import as_uas, confirmed_as_uac, uri_addr
from telephony.executor.sip.media import answer_sdp, media_from_sdp, negotiated_answer, offer_sdp
from telephony.executor.sip.messages import lenient_bad_request, problem, response_destination, route_values, uri_user
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


# Route sets (RFC 3261 §12).
INVITE = (
    "INVITE sip:+15550001@10.0.0.5:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5080;branch=z9hG4bKp\r\n"
    "Record-Route: <sip:10.0.0.1:5080;lr;ftag=a>\r\nRecord-Route: <sip:192.0.2.9;lr>, <sip:192.0.2.8;lr>\r\n"
    "From: <sip:caller@192.0.2.1>;tag=a\r\nTo: <sip:+15550001@10.0.0.5>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@192.0.2.1:5062>\r\nContent-Length: 0\r\n\r\n"
)
RECORD_ROUTE = ["<sip:10.0.0.1:5080;lr;ftag=a>", "<sip:192.0.2.9;lr>", "<sip:192.0.2.8;lr>"]


def test_route_values_and_their_addresses():
    assert route_values(["<sip:a.example;lr>, <sip:b.example;lr>", '"x, y" <sip:c.example>;p=1']) == [
        "<sip:a.example;lr>",
        "<sip:b.example;lr>",
        '"x, y" <sip:c.example>;p=1',
    ]
    assert uri_addr("<sip:10.0.0.1:5080;lr;ftag=a>") == ("10.0.0.1", 5080)
    assert uri_addr("sip:1002@192.0.2.40;transport=udp") == ("192.0.2.40", 5060)
    assert uri_addr("<sip:[::1]:5062;lr>") == ("::1", 5062)
    assert uri_addr("<sip:edge.example;lr>") is None  # a name: the caller falls back to a known address


def test_as_uas_our_answers_echo_the_record_route_and_the_route_set_keeps_its_order():
    invite = SipMessage.parse(INVITE)
    call = IncomingCall(dialog=create_dialog_from_request(invite), invite=invite)
    as_uas(call)
    assert call.dialog.route_set == RECORD_ROUTE  # aiosipua reverses it
    assert call.dialog.remote_target == "sip:caller@192.0.2.1:5062"
    for status, echoed in ((100, False), (180, True), (200, True), (487, False)):
        response = call.dialog.create_response(invite, status)
        assert route_values(response.headers.get("record-route")) == (RECORD_ROUTE if echoed else []), status


def test_as_uac_the_2xx_gives_the_remote_target_and_the_reversed_route_set():
    invite = SipMessage.parse(INVITE)
    dialog = create_dialog_from_request(invite)
    ok = SipMessage.parse(INVITE.replace("INVITE sip:+15550001@10.0.0.5:5090 SIP/2.0", "SIP/2.0 200 OK"))
    confirmed_as_uac(dialog, ok)
    assert dialog.route_set == list(reversed(RECORD_ROUTE))
    assert dialog.remote_target == "sip:caller@192.0.2.1:5062"


def test_the_user_agent_setting():
    assert ExecutorConfig.from_env("token", {}).sip_user_agent == ""  # by default, the product is not named
    assert ExecutorConfig.from_env("token", {"SIP_USER_AGENT": " Example SBC "}).sip_user_agent == "Example SBC"


def test_the_sip_port_and_the_edge():
    """Behind the edge an executor has a port of its own; alone it takes SIP_PORT."""
    assert ExecutorConfig.from_env("token", {}).sip_port == 5080
    assert ExecutorConfig.from_env("token", {"SIP_PORT": "5070"}).sip_port == 5070
    both = ExecutorConfig.from_env("token", {"SIP_PORT": "5080", "EXECUTOR_SIP_PORT": "5091"})
    assert both.sip_port == 5091
    assert ExecutorConfig.from_env("token", {}).sip_edge is None
    assert ExecutorConfig.from_env("token", {"SIP_EDGE": "127.0.0.1:5080"}).sip_edge == ("127.0.0.1", 5080)
    assert ExecutorConfig.from_env("token", {"SIP_EDGE": "edge.example.net"}).sip_edge == ("edge.example.net", 5060)
