"""The RTP engine over real UDP sockets on 127.0.0.1: the stream, playback, digits, recording, bridging, ports."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import struct
import time
from array import array

from telephony.executor.media import PCMA, PCMU, MediaEngine, NoPortAvailable, g711, prompt_from_pcm, silence
from telephony.executor.media import engine as engine_module
from tests.telephony.executor.test_media_support import HOST, Peer, async_test, dtmf_packets, new_engine, parse, rtp

SILENT_U, SILENT_A = b"\xff" * 160, b"\xd5" * 160
LONG = prompt_from_pcm(bytes(2 * 8000 * 10))  # 10 s


def sine(frequency: float, seconds: float, amplitude: int = 10000) -> bytes:
    count = round(seconds * 8000)
    return array("h", (round(amplitude * math.sin(2 * math.pi * frequency * i / 8000)) for i in range(count))).tobytes()


def frames_of(pcm: bytes, pt: int = PCMU) -> list[bytes]:
    encoded = g711.encode(pcm, pt)
    return [encoded[i : i + 160] for i in range(0, len(encoded), 160)]


def check_stream(packets: list[bytes]) -> None:
    """Consecutive packets of one stream: seq +1, timestamp +160, one SSRC, no marker after the first."""
    parsed = [parse(p) for p in packets]
    for before, after in zip(parsed, parsed[1:], strict=False):
        assert after[2] == (before[2] + 1) & 0xFFFF
        assert after[3] == (before[3] + 160) & 0xFFFFFFFF
        assert after[4] == before[4]
        assert not after[0]


class Call:
    """An engine, a session and its peer; closes them all."""

    async def __aenter__(self):
        self.engine = await new_engine(inactivity_timeout=self.timeout)
        self.peers = []
        return self

    def __init__(self, inactivity_timeout: float = 30.0):
        self.timeout = inactivity_timeout

    async def session(self, pt=PCMU, dtmf=101):
        session = await self.engine.open_session()
        peer = Peer()
        self.peers.append(peer)
        session.set_remote(HOST, peer.port, pt, dtmf)
        return session, peer

    async def __aexit__(self, *exc):
        await self.engine.stop()
        for peer in self.peers:
            peer.close()


async def digit(session, timeout: float = 2.0) -> str:
    return await asyncio.wait_for(session.digits.get(), timeout)


# The stream.
@async_test
async def test_stream_plays_the_prompt_then_comfort_silence():
    async with Call() as call:
        session, peer = await call.session()
        prompt = prompt_from_pcm(sine(440, 0.2))  # 10 frames
        playing = asyncio.create_task(session.play(prompt))
        started = time.monotonic()
        packets = await peer.collect(30)
        elapsed = time.monotonic() - started
        assert await asyncio.wait_for(playing, 1) is True
        check_stream(packets)
        parsed = [parse(p) for p in packets]
        assert parsed[0][0] is True  # the marker: the first packet of the talkspurt
        assert {p[1] for p in parsed} == {PCMU}
        assert [p[5] for p in parsed[:10]] == list(prompt.pcmu)
        assert all(p[5] == SILENT_U for p in parsed[10:])
        assert 0.35 < elapsed < 2.0  # 29 intervals of 20 ms, loosely
        stats = call.engine.stats()
        assert call.engine.sessions == stats["sessions"] == 1 and stats["ticks"] >= 25
        assert 0 <= stats["tick_late_p50_ms"] <= stats["tick_late_p99_ms"] and stats["tick_work_p99_ms"] >= 0


@async_test
async def test_pcma_stream_and_how_play_ends():
    async with Call() as call:
        session, peer = await call.session(PCMA, None)
        assert all(parse(p)[1] == PCMA and parse(p)[5] == SILENT_A for p in await peer.collect(3))
        prompt = prompt_from_pcm(sine(300, 0.1))
        peer.take()
        assert await session.play(prompt) is True
        payloads = [parse(p)[5] for p in peer.take() + await peer.quiet(0.05)]
        assert list(prompt.pcma) == [p for p in payloads if p != SILENT_A]
        assert await session.play(silence(0)) is True

        playing = asyncio.create_task(session.play(LONG))
        await asyncio.sleep(0.1)
        session.stop_playback()
        assert await asyncio.wait_for(playing, 1) is False

        first = asyncio.create_task(session.play(LONG))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(session.play(prompt))
        assert await asyncio.wait_for(first, 1) is False  # another play cuts the current one
        assert await asyncio.wait_for(second, 1) is True

        loud = prompt_from_pcm(sine(300, 5.0))
        playing = asyncio.create_task(session.play(loud))
        await asyncio.sleep(0.05)
        playing.cancel()  # the caller gave up: the prompt stops too
        await asyncio.sleep(0.05)
        peer.take()
        assert all(parse(p)[5] == SILENT_A for p in await peer.collect(3))

        playing = asyncio.create_task(session.play(LONG))
        await asyncio.sleep(0.05)
        await session.close()
        assert await asyncio.wait_for(playing, 1) is False
        assert await session.play(prompt) is False
        await session.close()  # idempotent
        assert call.engine.sessions == 0


@async_test
async def test_prompt_plays_in_time_before_the_remote_is_known_and_hold_sends_nothing():
    async with Call() as call:
        peer = Peer()
        call.peers.append(peer)
        session = await call.engine.open_session()
        started = time.monotonic()
        assert await session.play(prompt_from_pcm(sine(300, 0.2))) is True
        assert time.monotonic() - started > 0.12
        session.set_remote("0.0.0.0", peer.port, PCMU, 101)  # on hold: nothing goes out
        assert await peer.quiet(0.15) == []


@async_test
async def test_a_late_loop_catches_up_without_bursting():
    async with Call() as call:
        session, peer = await call.session()
        await peer.collect(5)
        peer.take()
        time.sleep(0.3)  # the loop is blocked for 15 ticks
        await asyncio.sleep(0.2)
        assert call.engine.stats()["ticks_skipped"] >= 10  # skipped, not sent in a burst
        packets = peer.take()
        check_stream(packets)
        assert 5 <= len(packets) < 20  # ~10 in the 200 ms after, and at most a couple of catch-up frames


# Digits.
@async_test
async def test_rfc4733_digit_cuts_an_interruptible_prompt_once():
    async with Call() as call:
        session, peer = await call.session()
        playing = asyncio.create_task(session.play(LONG, interruptible=True))
        await peer.collect(3)
        peer.send_digit(session, 5)  # 3 start packets + 3 end packets, one timestamp
        assert await asyncio.wait_for(playing, 1) is False
        assert await digit(session) == "5"
        await asyncio.sleep(0.1)
        assert session.digits.empty()
        peer.send_digit(session, 5)  # the same key again: a new event timestamp, a new press
        peer.send_digit(session, 11)
        for event in (10, 12, 13, 14, 15, 0, 9):
            peer.send_digit(session, event)
        got = [await digit(session) for _ in range(9)]
        assert got == ["5", "#", "*", "A", "B", "C", "D", "0", "9"]
        await asyncio.sleep(0.05)
        assert session.digits.empty()


@async_test
async def test_play_with_a_digit_waiting_and_uninterruptible_play():
    async with Call() as call:
        session, peer = await call.session()
        session.push_digit("3")
        started = time.monotonic()
        assert await session.play(LONG, interruptible=True) is False  # typed ahead: at once
        assert time.monotonic() - started < 0.05
        prompt = prompt_from_pcm(sine(300, 0.2))
        playing = asyncio.create_task(session.play(prompt))  # not interruptible: digits wait in the queue
        await asyncio.sleep(0.05)
        peer.send_digit(session, 7)
        assert await asyncio.wait_for(playing, 2) is True
        assert [session.digits.get_nowait(), session.digits.get_nowait()] == ["3", "7"]
        session.push_digit("x")
        session.push_digit("12")
        session.push_digit("b")
        assert session.digits.get_nowait() == "B" and session.digits.empty()
        playing = asyncio.create_task(session.play(LONG, interruptible=True))
        await asyncio.sleep(0.05)
        session.push_digit("#")  # SIP INFO barges in too
        assert await asyncio.wait_for(playing, 1) is False
        session.clear_digits()
        assert session.digits.empty()


@async_test
async def test_digits_need_the_negotiated_payload_type():
    async with Call() as call:
        session, peer = await call.session(dtmf=None)
        peer.send_digit(session, 1)
        session_b, peer_b = await call.session(dtmf=96)
        peer_b.send_digit(session_b, 1)  # PT 101 on a session that negotiated 96
        peer_b.send_digit(session_b, 2, pt=96)
        assert await digit(session_b) == "2"
        await asyncio.sleep(0.1)
        assert session.digits.empty() and session_b.digits.empty()


# Recording.
@async_test
async def test_record_until_the_finish_key():
    async with Call() as call:
        session, peer = await call.session()
        recording = asyncio.create_task(session.record(max_seconds=10, finish_on_key="#"))
        await asyncio.sleep(0.02)
        tone = sine(500, 1.0)
        for frame in frames_of(tone):
            peer.send_audio(session, frame)
        await asyncio.sleep(0.05)
        peer.send_digit(session, 11)
        result = await asyncio.wait_for(recording, 2)
        assert (result.finished_by, result.digit) == ("key", "#")
        assert abs(result.duration - 1.0) < 0.03 and len(result.pcm) == round(result.duration * 16000)
        assert g711.rms(result.pcm) > 6000
        assert session.digits.empty()  # the finishing key is consumed


@async_test
async def test_record_fills_gaps_uses_timestamps_and_keeps_other_keys():
    async with Call() as call:
        session, peer = await call.session(PCMA)
        recording = asyncio.create_task(session.record(max_seconds=0.5, finish_on_key="*"))
        await asyncio.sleep(0.02)
        frames = frames_of(sine(500, 0.2), PCMU)
        for i, frame in enumerate(frames):
            peer.send_audio(session, frame, skip=5 if i == 5 else 0)  # 5 packets lost (100 ms)
        peer.send_digit(session, 1)  # not a finishing key: queued
        await asyncio.sleep(0.05)
        for frame in frames_of(sine(500, 1.0), PCMA):
            peer.send_audio(session, frame, pt=PCMA)  # PCMA from here: recorded as well
        result = await asyncio.wait_for(recording, 2)
        assert result.finished_by == "max" and result.duration == 0.5 and len(result.pcm) == 8000
        gap = result.pcm[5 * 320 : 10 * 320]
        assert gap == bytes(len(gap))
        assert g711.rms(result.pcm[: 5 * 320]) > 6000 and g711.rms(result.pcm[10 * 320 : 15 * 320]) > 6000
        assert g711.rms(result.pcm[15 * 320 :]) > 6000  # the digit's timestamp slot is audio again
        assert session.digits.get_nowait() == "1"


@async_test
async def test_record_max_seconds_by_time_and_no_finish_key():
    async with Call() as call:
        session, peer = await call.session()
        started = time.monotonic()
        result = await session.record(max_seconds=0.3, finish_on_key="", silence_timeout=0)
        assert result.finished_by == "max" and result.duration == 0 and 0.25 < time.monotonic() - started < 1.0
        recording = asyncio.create_task(session.record(max_seconds=0.4, finish_on_key=""))
        await asyncio.sleep(0.02)
        peer.send_digit(session, 11)  # no key finishes
        result = await asyncio.wait_for(recording, 2)
        assert result.finished_by == "max" and session.digits.get_nowait() == "#"


@async_test
async def test_record_silence_timeout():
    async with Call() as call:
        session, peer = await call.session()
        started = time.monotonic()
        result = await session.record(max_seconds=10, silence_timeout=0.3)  # nothing at all
        assert result.finished_by == "silence" and result.duration == 0
        assert 0.25 < time.monotonic() - started < 1.5

        recording = asyncio.create_task(session.record(max_seconds=10, silence_timeout=0.4))
        await asyncio.sleep(0.02)
        for frame in frames_of(sine(500, 0.5)):  # half a second of voice...
            peer.send_audio(session, frame)
            await asyncio.sleep(0.005)
        started = time.monotonic()
        while not recording.done() and time.monotonic() - started < 3:
            peer.send_audio(session, SILENT_U)  # ... then silence, in real time
            await asyncio.sleep(0.02)
        result = await asyncio.wait_for(recording, 1)
        assert result.finished_by == "silence"
        assert 0.3 < time.monotonic() - started < 1.5
        assert abs(result.duration - 0.5) < 0.03  # the trailing silence trimmed


@async_test
async def test_close_ends_a_recording():
    async with Call() as call:
        session, peer = await call.session()
        recording = asyncio.create_task(session.record(max_seconds=10))
        await asyncio.sleep(0.02)
        for frame in frames_of(sine(500, 0.1)):
            peer.send_audio(session, frame)
        await asyncio.sleep(0.05)
        await session.close()
        result = await asyncio.wait_for(recording, 1)
        assert result.finished_by == "closed" and abs(result.duration - 0.1) < 0.01
        assert (await session.record(max_seconds=1)).finished_by == "closed"


# Bridging.
@async_test
async def test_bridge_relays_both_ways_with_transcoding():
    async with Call() as call:
        a, peer_a = await call.session(PCMU, 101)
        b, peer_b = await call.session(PCMA, 96)
        a.bridge(b)
        assert await peer_a.quiet(0.1) == [] and await peer_b.quiet(0.01) == []  # no clocked frames
        tone = sine(700, 0.2)
        for frame in frames_of(tone, PCMU):
            peer_a.send_audio(a, frame, pt=PCMU)
        relayed = await peer_b.collect(10)
        check_stream(relayed)
        parsed = [parse(p) for p in relayed]
        assert parsed[0][0] and {p[1] for p in parsed} == {PCMA}
        decoded = g711.decode(b"".join(p[5] for p in parsed), PCMA)
        diff = array("h", (x - y for x, y in zip(array("h", tone), array("h", decoded), strict=True)))
        assert g711.rms(diff.tobytes()) < 0.08 * g711.rms(tone)

        peer_a.send_digit(a, 4)  # forwarded with B's telephone-event type
        events = [parse(p) for p in await peer_b.collect(6)]
        assert {e[1] for e in events} == {96} and {e[5][0] for e in events} == {4} and len({e[3] for e in events}) == 1
        assert a.digits.empty()  # relayed, not collected

        for frame in frames_of(tone, PCMA):
            peer_b.send_audio(b, frame, pt=PCMA)
        back = [parse(p) for p in await peer_a.collect(10)]
        assert {p[1] for p in back} == {PCMU}
        assert g711.rms(g711.decode(b"".join(p[5] for p in back), PCMU)) > 6000

        a.unbridge()
        resumed = await peer_b.collect(3)
        assert parse(resumed[0])[0] and all(parse(p)[5] == SILENT_A for p in resumed)
        assert parse(resumed[0])[2] == (parsed[-1][2] + 6 + 1) & 0xFFFF  # B's one stream goes on
        assert parse(resumed[0])[4] == parsed[0][4]


@async_test
async def test_bridge_keeps_the_press_that_led_to_it_and_relays_later_ones():
    async with Call() as call:
        a, peer_a = await call.session(PCMU, 101)
        b, peer_b = await call.session(PCMU, 101)
        peer_a.ts += 160
        press = dtmf_packets(1, peer_a.ts, peer_a.ssrc, peer_a.seq + 1)
        peer_a.seq += 6
        for packet in press[:3]:  # the key goes down: collected (the menu transfers on it)
            peer_a.send(packet, a)
        assert await digit(a) == "1"
        a.bridge(b)
        await asyncio.sleep(0.05)
        for packet in press[3:]:  # the same press ends once the transfer is up: not relayed
            peer_a.send(packet, a)
        peer_a.send_digit(a, 2)  # a new press while bridged: relayed
        events = [parse(p) for p in await peer_b.quiet(0.3)]
        assert [e[5][0] for e in events] == [2] * 6 and {e[1] for e in events} == {101}
        assert a.digits.empty()


@async_test
async def test_bridge_drops_events_the_other_side_did_not_negotiate():
    async with Call() as call:
        a, peer_a = await call.session(PCMU, 101)
        b, peer_b = await call.session(PCMU, None)
        a.bridge(b)
        await asyncio.sleep(0.05)
        peer_a.send_digit(a, 4)
        peer_a.send_audio(a, SILENT_U)
        got = [parse(p) for p in await peer_b.quiet(0.2)]
        assert [g[1] for g in got] == [PCMU]
        await b.close()  # closing one side unbridges the other: its clocked stream resumes
        assert parse((await peer_a.collect(1))[0])[1] == PCMU


# Inactivity, latching, garbage.
@async_test
async def test_inactivity_fires_without_rtp():
    async with Call(inactivity_timeout=0.3) as call:
        idle, _ = await call.session()
        talking, peer = await call.session()
        suppressed, cn_peer = await call.session()  # silence suppression: comfort noise packets only
        loop = asyncio.get_running_loop()
        end = loop.time() + 2.5
        while not idle.inactive.is_set() and loop.time() < end:
            peer.send_audio(talking, SILENT_U)
            cn_peer.send_audio(suppressed, b"\x40", pt=13)
            await asyncio.sleep(0.02)
        assert idle.inactive.is_set() and not talking.inactive.is_set() and not suppressed.inactive.is_set()
        assert talking.last_received > loop.time() - 0.1


@async_test
async def test_symmetric_rtp_latches_to_the_source():
    async with Call() as call:
        session, _ = await call.session()
        nat = Peer()  # where the packets really come from: not the address of the SDP
        stranger = Peer()
        call.peers += [nat, stranger]
        nat.send_audio(session, SILENT_U)
        packets = await nat.collect(3)
        assert all(parse(p)[1] == PCMU for p in packets)
        assert session.remote == nat.sock.getsockname() and session._connected  # filtered by the kernel now
        stranger.send_digit(session, 9)  # another source while the latched one is alive: ignored
        nat.send_digit(session, 8)
        assert await digit(session) == "8"
        await asyncio.sleep(0.05)
        assert session.digits.empty() and await stranger.quiet(0.05) == []


@async_test
async def test_a_quiet_source_lets_another_one_latch(monkeypatch):
    monkeypatch.setattr(engine_module, "RELATCH_AFTER", 0.1)
    async with Call() as call:
        session, _ = await call.session()
        first, second, third = Peer(), Peer(), Peer()
        call.peers += [first, second, third]
        first.send_audio(session, SILENT_U)
        await first.collect(2)
        assert session.remote == first.sock.getsockname()
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while session.remote != second.sock.getsockname() and loop.time() < end:
            second.send_audio(session, SILENT_U)  # ignored until the first has been quiet for a while
            await asyncio.sleep(0.05)
        assert session.remote == second.sock.getsockname()
        second.take()
        await second.collect(2)
        session.set_remote(HOST, third.port, PCMU, 101)  # a re-INVITE: the SDP's address, and latching anew
        third.take()
        assert parse((await third.collect(1))[0])[1] == PCMU
        first.send_digit(session, 3)
        assert await digit(session) == "3" and session.remote == first.sock.getsockname()


@async_test
async def test_garbage_does_not_break_the_session():
    async with Call() as call:
        session, peer = await call.session()
        ssrc = 1234
        garbage = [
            b"",
            b"\x80",
            b"\x00" * 12,
            b"\x40\x00" + bytes(20),  # RTP version 1
            bytes(random.getrandbits(8) for _ in range(200)),
            b"\x8f\x65" + bytes(10),  # 15 CSRCs announced, none there
            b"\x90\x65" + bytes(10) + b"\x00\x00\xff\xff",  # an extension longer than the packet
            b"\xa0\x65" + bytes(10) + b"\x01\x0a\x00\xa0\xff",  # padding longer than the packet
            rtp(101, 1, 1, ssrc, b"\x01"),  # a telephone-event too short
            rtp(101, 2, 2, ssrc, b"\x10\x0a\x00\xa0"),  # event 16 (flash): not a digit
            rtp(13, 3, 3, ssrc, b"\x40"),  # comfort noise: ignored
            b"STUN-ish text",
        ]
        for packet in garbage:
            peer.send(packet, session)
        # RTP with CSRCs, a header extension and padding around a telephone-event
        header = struct.pack(">BBHII", 0xB2, 101 | 0x80, 7, 5000, ssrc) + struct.pack(">II", 1, 2)
        extension = struct.pack(">HH", 0xBEDE, 1) + b"\x10\x00\x00\x00"
        peer.send(header + extension + struct.pack(">BBH", 6, 10, 160) + b"\x00\x00\x00\x04", session)
        assert await digit(session) == "6"
        packets = await peer.collect(5)
        check_stream(packets)
        assert session.digits.empty()


# Ports.
@async_test
async def test_ports_are_even_exhaustion_raises_and_close_releases():
    for _attempt in range(10):
        base = random.randrange(10000, 15000) & ~1  # below the ephemeral ports and make run's range
        engine = MediaEngine(HOST, base, base + 5)  # three even ports
        await engine.start()
        sessions = []
        try:
            for _ in range(3):
                sessions.append(await engine.open_session())
        except NoPortAvailable:
            await engine.stop()
            continue  # someone else holds a port of this range: another range
        try:
            ports = sorted(s.local_port for s in sessions)
            assert ports == [base, base + 2, base + 4]
            try:
                await engine.open_session()
                raise AssertionError("a fourth session on three ports")
            except NoPortAvailable:
                pass
            await sessions[1].close()
            again = await engine.open_session()
            assert again.local_port == sessions[1].local_port and engine.sessions == 3
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:  # the port is really bound again
                probe.bind((HOST, again.local_port))
                raise AssertionError("port not bound")
            except OSError:
                pass
            finally:
                probe.close()
        finally:
            await engine.stop()
        assert engine.sessions == 0
        return
    raise AssertionError("no free port range found")


@async_test
async def test_odd_port_min_and_busy_ports_are_skipped():
    for _attempt in range(10):
        base = random.randrange(10000, 15000) | 1  # odd: the first port is base + 1 (low: see new_engine)
        squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            squatter.bind((HOST, base + 1))
        except OSError:
            squatter.close()
            continue
        engine = MediaEngine(HOST, base, base + 4)  # even ports: base+1 (taken by another process), base+3
        await engine.start()
        try:
            try:
                session = await engine.open_session()
            except NoPortAvailable:
                continue
            assert session.local_port == base + 3
        finally:
            await engine.stop()
            squatter.close()
        return
    raise AssertionError("no free port range found")
