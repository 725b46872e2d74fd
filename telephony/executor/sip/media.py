"""Audio as SDP describes it: our MediaOffer, read from and written to SDP with aiosipua's SDP helpers."""

from __future__ import annotations

from dataclasses import dataclass

from aiosipua import Codec, SdpMessage, build_sdp, negotiate_sdp, parse_sdp

# Static payload types we can name in an offer (RFC 3551).
CODEC_NAMES = {0: "PCMU", 8: "PCMA"}
DEFAULT_DTMF_PAYLOAD_TYPE = 101


class NoCommonCodec(Exception):
    """The other side offered no audio codec we can use (the call is rejected 488)."""


@dataclass(frozen=True)
class MediaOffer:
    """One side's audio as in SDP."""

    host: str
    port: int
    payload_types: tuple[int, ...]  # audio codecs in preference order (0 PCMU, 8 PCMA; others possible in an offer)
    dtmf_payload_type: int | None = None  # telephone-event


def parse_body(text: str) -> SdpMessage | None:
    """The SDP in a message body; None when it does not parse."""
    try:
        return parse_sdp(text)
    except (ValueError, IndexError):
        return None


def _dtmf_codec(codec: Codec) -> bool:
    return codec.encoding_name.lower() == "telephone-event" and codec.clock_rate in (0, 8000)


def media_from_sdp(sdp: SdpMessage | None) -> MediaOffer | None:
    """The first audio stream of an SDP as a MediaOffer; None without a usable (non-zero port) audio stream."""
    if sdp is None:
        return None
    audio = sdp.audio
    if audio is None or audio.port <= 0:
        return None
    connection = audio.connection or sdp.connection
    if connection is None:
        return None
    codecs: list[int] = []
    dtmf: int | None = None
    for codec in audio.codecs:
        if codec.encoding_name.lower() == "telephone-event":
            if dtmf is None and _dtmf_codec(codec):
                dtmf = codec.payload_type
        else:
            codecs.append(codec.payload_type)
    return MediaOffer(connection.address, audio.port, tuple(codecs), dtmf)


def choose_codec(ours: tuple[int, ...], theirs: tuple[int, ...]) -> int:
    """The first of our codecs that they offered."""
    for payload_type in ours:
        if payload_type in theirs:
            return payload_type
    raise NoCommonCodec(f"offered {list(theirs)}, we take {list(ours)}")


def answer_sdp(offer_sdp: SdpMessage, offer: MediaOffer, ours: MediaOffer) -> tuple[SdpMessage, MediaOffer]:
    """Our SDP answer to an offer (RFC 3264) and the negotiated media.

    One codec: the first of ours that the caller offered. telephone-event with the caller's own
    payload type number when both sides want it. Raises NoCommonCodec.
    """
    chosen = choose_codec(ours.payload_types, offer.payload_types)
    dtmf = offer.dtmf_payload_type if ours.dtmf_payload_type is not None else None
    sdp, _ = negotiate_sdp(offer_sdp, ours.host, ours.port, supported_codecs=[chosen], dtmf_payload_type=dtmf or 0)
    return sdp, MediaOffer(offer.host, offer.port, (chosen,), dtmf)


def offer_sdp(ours: MediaOffer) -> SdpMessage:
    """An SDP offer with our codecs (those we can name) and telephone-event."""
    codecs = [pt for pt in ours.payload_types if pt in CODEC_NAMES] or [0, 8]
    first = codecs[0]
    dtmf = ours.dtmf_payload_type
    sdp = build_sdp(ours.host, ours.port, first, CODEC_NAMES[first], dtmf_payload_type=dtmf or 0)
    audio = sdp.media[0]
    rtpmaps = audio.attributes["rtpmap"]
    for index, payload_type in enumerate(codecs[1:], start=1):
        audio.formats.insert(index, str(payload_type))
        rtpmaps.insert(index, f"{payload_type} {CODEC_NAMES[payload_type]}/8000")
        audio.codecs.insert(index, Codec(payload_type, CODEC_NAMES[payload_type], 8000, 1))
    return sdp


def negotiated_answer(answer: MediaOffer | None, ours: MediaOffer) -> MediaOffer | None:
    """The callee's answer to our offer, reduced to one codec we offered; None when unusable."""
    if answer is None:
        return None
    try:
        chosen = choose_codec(answer.payload_types, ours.payload_types)
    except NoCommonCodec:
        return None
    dtmf = answer.dtmf_payload_type if ours.dtmf_payload_type is not None else None
    return MediaOffer(answer.host, answer.port, (chosen,), dtmf)
