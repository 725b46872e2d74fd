"""Helpers for the media tests (no tests here): engines on random port ranges, fake RTP peers on real UDP sockets."""

from __future__ import annotations

import asyncio
import functools
import random
import socket
import struct

from telephony.executor.media import MediaEngine

HOST = "127.0.0.1"
HEADER = struct.Struct(">BBHII")


def async_test(function):
    """Run an async test in a fresh event loop, with a hard timeout."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(function(*args, **kwargs), 30))

    return wrapper


async def new_engine(ports: int = 40, **kwargs) -> MediaEngine:
    """A started engine on a random even range of high ports (the engine skips the ones in use elsewhere)."""
    base = random.randrange(10000, 15000 - ports) & ~1  # below the ephemeral ports and make run's range
    engine = MediaEngine(HOST, base, base + ports - 1, **kwargs)
    await engine.start()
    return engine


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, *, marker: bool = False) -> bytes:
    return HEADER.pack(0x80, pt | (0x80 if marker else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def parse(data: bytes) -> tuple[bool, int, int, int, int, bytes]:
    """(marker, pt, seq, ts, ssrc, payload) of a plain RTP packet."""
    first, second, seq, ts, ssrc = HEADER.unpack_from(data)
    assert first == 0x80, data[:12].hex()
    return bool(second & 0x80), second & 0x7F, seq, ts, ssrc, data[12:]


def dtmf_packets(event: int, ts: int, ssrc: int, seq: int, pt: int = 101) -> list[bytes]:
    """An RFC 4733 key press as real phones send it: 3 packets at the start (the first with the marker),
    3 end packets, all with the event's timestamp."""
    packets = []
    for i, duration in enumerate((160, 320, 480)):
        packets.append(rtp(pt, seq + i, ts, ssrc, struct.pack(">BBH", event, 10, duration), marker=i == 0))
    for i in range(3):
        packets.append(rtp(pt, seq + 3 + i, ts, ssrc, struct.pack(">BBH", event, 0x80 | 10, 800)))
    return packets


class Peer:
    """The far end of a call: a UDP socket that receives our stream and sends its own packets."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.ssrc = random.getrandbits(32)

    def send(self, packet: bytes, session) -> None:
        self.sock.sendto(packet, (HOST, session.local_port))

    def send_audio(self, session, payload: bytes, pt: int = 0, *, skip: int = 0) -> None:
        """One 20 ms packet of our stream (`skip` packets lost before it)."""
        self.seq += 1 + skip
        self.ts += 160 * (1 + skip)
        self.send(rtp(pt, self.seq, self.ts, self.ssrc, payload), session)

    def send_digit(self, session, event: int, pt: int = 101) -> None:
        self.ts += 160
        for packet in dtmf_packets(event, self.ts, self.ssrc, self.seq + 1, pt):
            self.send(packet, session)
        self.seq += 6

    async def recv(self, timeout: float = 2.0) -> bytes:
        data, _ = await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(self.sock, 4096), timeout)
        return data

    async def collect(self, count: int, timeout: float = 5.0) -> list[bytes]:
        return [await self.recv(timeout) for _ in range(count)]

    def take(self) -> list[bytes]:
        """Whatever is waiting on the socket, without waiting."""
        got = []
        while True:
            try:
                got.append(self.sock.recv(4096))
            except BlockingIOError:
                return got

    async def quiet(self, seconds: float) -> list[bytes]:
        """Whatever arrives within `seconds`."""
        got = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                got.append(await self.recv(left))
            except TimeoutError:
                break
        return got

    def close(self) -> None:
        self.sock.close()
