"""sipp's RFC 4733 captures (package sip-tester) replayed into a session: each press is one digit."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from telephony.executor.media import PCMU, silence
from tests.telephony.executor.test_media_support import HOST, Peer, async_test, new_engine

PCAPS = Path("/usr/share/sip-tester")
DIGITS = {**{f"dtmf_2833_{d}.pcap": d for d in "0123456789"}, "dtmf_2833_pound.pcap": "#", "dtmf_2833_star.pcap": "*"}
LINK_HEADER = {0: 4, 1: 14, 101: 0, 113: 16}  # BSD loopback, Ethernet, raw IP, Linux cooked


def udp_payloads(path: Path) -> list[bytes]:
    """The UDP payloads of a classic pcap file (IPv4), in capture order."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    link = struct.unpack_from(endian + "I", data, 20)[0]
    skip = LINK_HEADER[link]
    payloads = []
    offset = 24
    while offset + 16 <= len(data):
        included = struct.unpack_from(endian + "I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + included]
        offset += 16 + included
        ip = frame[skip:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue  # not IPv4/UDP
        header = (ip[0] & 0x0F) * 4
        length = struct.unpack_from(">H", ip, header + 4)[0]
        payloads.append(ip[header + 8 : header + length])
    return payloads


needs_pcaps = pytest.mark.skipif(not (PCAPS / "dtmf_2833_1.pcap").exists(), reason="apt-get install sip-tester")


@needs_pcaps
def test_pcap_reader():
    payloads = udp_payloads(PCAPS / "dtmf_2833_1.pcap")
    assert len(payloads) >= 6
    assert all(p[0] == 0x80 and p[1] & 0x7F == 101 for p in payloads)  # RTP, telephone-event 101
    assert {p[12] for p in payloads} == {1}


@needs_pcaps
@async_test
async def test_sipp_pcaps_each_give_one_digit():
    engine = await new_engine()
    peer = Peer()
    try:
        for name, expected in DIGITS.items():
            session = await engine.open_session()
            session.set_remote(HOST, peer.port, PCMU, 101)
            for payload in udp_payloads(PCAPS / name):
                peer.send(payload, session)
            assert await asyncio.wait_for(session.digits.get(), 2) == expected, name
            await asyncio.sleep(0.05)
            assert session.digits.empty(), name
            await session.close()
    finally:
        await engine.stop()
        peer.close()


@needs_pcaps
@async_test
async def test_sipp_pcap_digit_one_once_and_a_replay_is_the_same_press():
    engine = await new_engine()
    peer = Peer()
    try:
        session = await engine.open_session()
        session.set_remote(HOST, peer.port, PCMU, 101)
        playing = asyncio.create_task(session.play(silence(10), interruptible=True))
        await asyncio.sleep(0.05)
        packets = udp_payloads(PCAPS / "dtmf_2833_1.pcap")
        for payload in packets:
            peer.send(payload, session)
            await asyncio.sleep(0.005)
        assert await asyncio.wait_for(playing, 1) is False  # barge-in
        assert session.digits.get_nowait() == "1"
        # sipp's pcap replay sends the same RTP timestamp again: by design that reads as the same press.
        for payload in packets:
            peer.send(payload, session)
        await asyncio.sleep(0.15)
        assert session.digits.empty()
    finally:
        await engine.stop()
        peer.close()
