"""The RTP media engine: one UDP socket per call, one shared 20 ms clock for every call.

The clock is a single task with absolute deadlines (start + n x 20 ms, so it never drifts). Each tick
walks the open sessions and sends each one 20 ms frame: the next frame of the prompt it plays, else
comfort silence. The hot path allocates nothing per packet: frames are pre-encoded (Prompt), the
12-byte RTP header is packed with a preallocated struct into a per-session 172-byte buffer that also
receives the payload, and the buffer goes out by `socket.sendto` on the session's non-blocking socket.

Receiving is one asyncio DatagramProtocol per session: RTP header parsing (version, CSRCs, extension,
padding), symmetric RTP latching, RFC 4733 digits, recording, and the packet-driven relay of a bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import random
import resource
import socket
import struct
import wave
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from io import BytesIO

from telephony.executor.media import g711
from telephony.executor.media.g711 import PCMA, PCMU, RATE
from telephony.executor.media.prompt import FRAME_SAMPLES, SILENCE_PCMA, SILENCE_PCMU, Prompt

logger = logging.getLogger(__name__)

FRAME = FRAME_SAMPLES / RATE  # 0.020 s
SLOTS = 4  # the 20 ms frame is served in 4 slots of 5 ms, each sending to its quarter of the sessions
SLOT = FRAME / SLOTS
MAX_CATCH_UP = 2  # frames sent back to back after a late wake-up; beyond that, missed ones are skipped
INACTIVITY_CHECK_TICKS = 50  # once a second
STATS_WINDOW = 500  # frames (10 s) kept for stats()
SPEECH_RMS = 300  # linear RMS of a 20 ms packet above which a recording hears "audio", not silence
RELATCH_AFTER = 2.0  # seconds the latched source must be silent before another source may take over
DTMF_EVENTS = "0123456789*#ABCD"
COMFORT_NOISE = 13  # RFC 3389 payload type

_SEQ_TS = struct.Struct(">HI")  # bytes 2-7 of the header: sequence number, timestamp
_HEADER = struct.Struct(">BBHII")
_SEQ_TS_SSRC = struct.Struct(">HII")
_EXT_LENGTH = struct.Struct(">H")


class NoPortAvailable(Exception):
    """Every RTP port of the configured range is in use."""


@dataclass
class Recording:
    pcm: bytes  # 16-bit 8 kHz mono linear PCM
    duration: float  # seconds
    finished_by: str  # "key" | "max" | "silence" | "closed"
    digit: str = ""  # the key that finished it ("key" only)

    def wav(self) -> bytes:
        """8 kHz mono 16-bit WAV."""
        out = BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(RATE)
            writer.writeframes(self.pcm)
        return out.getvalue()


@dataclass(eq=False)
class _Recorder:
    finish_on_key: str
    max_bytes: int
    started: float
    done: asyncio.Future
    pcm: bytearray = field(default_factory=bytearray)
    base_ts: int | None = None
    ssrc: int | None = None
    voiced_at: float | None = None  # loop time of the last packet louder than SPEECH_RMS
    voiced_end: int = 0  # byte offset in pcm where that packet ended
    digit: str = ""

    def finish(self, how: str, digit: str = "") -> None:
        if not self.done.done():
            self.digit = digit
            self.done.set_result(how)


class _Protocol(asyncio.DatagramProtocol):
    """The session's receiving side; datagram_received is the session's bound method (one call less)."""

    def __init__(self, session: RtpSession):
        self.datagram_received = session._received
        self.closed = asyncio.get_running_loop().create_future()

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors (port unreachable...): the peer is gone or not there yet; inactivity will tell

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class RtpSession:
    """One call's media: a UDP socket on an even port, a continuous outgoing stream, digits, recordings."""

    __slots__ = (
        "engine",
        "local_host",
        "local_port",
        "digits",
        "inactive",
        "last_received",
        "_sock",
        "_sendto",
        "_send",
        "_connected",
        "_transport",
        "_protocol",
        "_loop",
        "_buf",
        "_addr",
        "_latched",
        "_remote_set",
        "_pt",
        "_dtmf_pt",
        "_comfort",
        "_seq",
        "_ts",
        "_ssrc",
        "_marker",
        "_frames",
        "_index",
        "_prompt",
        "_playing",
        "_interruptible",
        "_event_ts",
        "_event_before_bridge",
        "_recorder",
        "_bridge",
        "_relay_ssrc",
        "_relay_offset",
        "_inactive_flag",
        "_closed",
        "_slot",
        "__weakref__",
    )

    def __init__(self, engine: MediaEngine, sock: socket.socket, host: str, port: int):
        self.engine = engine
        self.local_host = host
        self.local_port = port
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.inactive = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self.last_received = self._loop.time()
        self._sock = sock
        self._sendto = sock.sendto
        self._send = sock.send
        self._connected = False  # connected to the latched source: send() without an address, kernel filtering
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Protocol | None = None
        self._addr: tuple | None = None  # where media goes; None: nowhere (not set, or on hold)
        self._latched = False
        self._remote_set = False
        self._pt = PCMU
        self._dtmf_pt: int | None = None
        self._comfort = SILENCE_PCMU
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._ssrc = random.getrandbits(32)
        self._buf = bytearray(12 + FRAME_SAMPLES)
        _HEADER.pack_into(self._buf, 0, 0x80, PCMU | 0x80, 0, 0, self._ssrc)
        self._marker = True
        self._frames: tuple[bytes, ...] | None = None
        self._index = 0
        self._prompt: Prompt | None = None
        self._playing: asyncio.Future | None = None
        self._interruptible = False
        self._event_ts = -1
        self._event_before_bridge = -1  # the timestamp of the last event received before the bridge
        self._recorder: _Recorder | None = None
        self._bridge: RtpSession | None = None
        self._relay_ssrc: int | None = None
        self._relay_offset = 0
        self._inactive_flag = False
        self._closed = False
        self._slot: dict[RtpSession, None] = {}  # the clock slot that serves this session

    def __repr__(self) -> str:
        return f"<RtpSession {self.local_host}:{self.local_port} -> {self._addr}>"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def remote(self) -> tuple | None:
        """Where the media goes (after latching: where it comes from)."""
        return self._addr

    @property
    def payload_type(self) -> int:
        return self._pt

    @property
    def dtmf_payload_type(self) -> int | None:
        return self._dtmf_pt

    # Sending.
    def set_remote(self, host: str, port: int, payload_type: int, dtmf_payload_type: int | None) -> None:
        """Media flows from here on. Host 0.0.0.0 or port 0 (hold): nothing is sent until a packet latches."""
        if payload_type not in (PCMU, PCMA):
            raise ValueError(f"not a G.711 payload type: {payload_type}")
        self._unlatch()
        self._addr = self._resolve(host, port)
        self._remote_set = True
        self._pt = payload_type
        self._dtmf_pt = dtmf_payload_type
        self._comfort = SILENCE_PCMU if payload_type == PCMU else SILENCE_PCMA
        if self._prompt is not None:
            self._frames = self._prompt.frames(payload_type)
        self._marker = True
        self._buf[1] = payload_type | 0x80
        self.last_received = self._loop.time()
        self._inactive_flag = False
        self.inactive.clear()

    def _resolve(self, host: str, port: int) -> tuple | None:
        if not port or host in ("0.0.0.0", "::", ""):
            return None
        family = self._sock.family
        try:
            info = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST)
        except socket.gaierror:
            if family == socket.AF_INET6 and _is_ipv4(host):
                return self._resolve(f"::ffff:{host}", port)  # an IPv4 peer from an IPv6 socket
            # A name, not an address: resolved once here (blocking), never per packet.
            info = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
        return info[0][4]

    async def play(self, prompt: Prompt, *, interruptible: bool = False) -> bool:
        """Play on the shared clock. True when it played out; False when it was cut: a digit (interruptible
        only; the digit stays in `digits`), stop_playback(), another play(), or close()."""
        if self._closed or (interruptible and not self.digits.empty()):
            return False
        self._end_playback(False)
        frames = prompt.frames(self._pt)
        if not frames:
            return True
        future = self._loop.create_future()
        self._prompt, self._frames, self._index = prompt, frames, 0
        self._playing, self._interruptible = future, interruptible
        try:
            return await future
        finally:
            if self._playing is future:  # the caller was cancelled: stop what it started
                self._end_playback(False)

    def stop_playback(self) -> None:
        self._end_playback(False)

    def _end_playback(self, played: bool) -> None:
        future = self._playing
        self._prompt = self._frames = self._playing = None
        if future is not None and not future.done():
            future.set_result(played)

    # Digits.
    def push_digit(self, digit: str) -> None:
        """A digit that arrived by SIP INFO (or any other way than RTP)."""
        digit = digit.strip().upper()
        if len(digit) == 1 and digit in DTMF_EVENTS:
            self._digit(digit)

    def clear_digits(self) -> None:
        while not self.digits.empty():
            self.digits.get_nowait()

    def _digit(self, digit: str) -> None:
        if self._bridge is not None or self._closed:
            return  # bridged: key presses are relayed to the other side, not collected
        recorder = self._recorder
        if recorder is not None and recorder.finish_on_key and digit in recorder.finish_on_key:
            recorder.finish("key", digit)
            return
        self.digits.put_nowait(digit)
        if self._interruptible and self._playing is not None:
            self._end_playback(False)

    # Recording.
    async def record(self, *, max_seconds: float, finish_on_key: str = "#", silence_timeout: float = 5.0) -> Recording:
        """What the caller sends, as 16-bit 8 kHz PCM, until a key of `finish_on_key` ("" : none), `max_seconds`,
        `silence_timeout` seconds without audio (after some audio, or from the start), or close().
        Finished by silence, the trailing silence is trimmed. Gaps in the timestamps are filled with silence."""
        if self._recorder is not None:
            raise RuntimeError("already recording")
        loop = self._loop
        recorder = _Recorder(finish_on_key, 2 * round(max(0.0, max_seconds) * RATE), loop.time(), loop.create_future())
        if self._closed:
            recorder.finish("closed")
        self._recorder = recorder
        try:
            while not recorder.done.done():
                now = loop.time()
                wait = recorder.started + max_seconds - now
                if wait <= 0 or len(recorder.pcm) >= recorder.max_bytes:
                    recorder.finish("max")
                    break
                if silence_timeout > 0:
                    quiet = silence_timeout - (now - (recorder.voiced_at or recorder.started))
                    if quiet <= 0:
                        recorder.finish("silence")
                        break
                    wait = min(wait, quiet)
                await asyncio.wait((recorder.done,), timeout=wait)
        finally:
            self._recorder = None
        how = recorder.done.result()
        pcm = recorder.pcm
        if how == "silence":
            del pcm[recorder.voiced_end :]
        del pcm[recorder.max_bytes :]
        return Recording(bytes(pcm), len(pcm) / (2 * RATE), how, recorder.digit)

    def _record(self, recorder: _Recorder, payload: bytes, pt: int, ts: int, ssrc: int) -> None:
        pcm = recorder.pcm
        if recorder.ssrc != ssrc:  # first packet, or a new stream: continue at the end
            recorder.ssrc = ssrc
            recorder.base_ts = (ts - len(pcm) // 2) & 0xFFFFFFFF
        position = (ts - recorder.base_ts) & 0xFFFFFFFF
        if position >= 0x80000000:
            return  # older than the start of the recording
        offset = 2 * position
        if offset >= recorder.max_bytes:
            recorder.finish("max")
            return
        linear = g711.decode(payload, pt)
        if offset > len(pcm):
            pcm.extend(bytes(offset - len(pcm)))  # lost packets: silence
        pcm[offset : offset + len(linear)] = linear  # in place when late, appended when in order
        if g711.rms(linear) >= SPEECH_RMS:
            recorder.voiced_at = self._loop.time()
            recorder.voiced_end = max(recorder.voiced_end, offset + len(linear))
        if len(pcm) >= recorder.max_bytes:
            recorder.finish("max")

    # Bridging.
    def bridge(self, other: RtpSession) -> None:
        """Relay the two calls' audio both ways (transcoding PCMU<->PCMA, RFC 4733 events forwarded with the
        other side's payload type, or dropped). While bridged, the clock sends neither prompts nor silence.
        The rest of a key press that began before the bridge (its end packets: often the press that led to
        the transfer) is not relayed: the other side would get a key nobody pressed for it."""
        if other is self:
            raise ValueError("cannot bridge a session to itself")
        self.unbridge()
        other.unbridge()
        self._bridge, other._bridge = other, self
        self._event_before_bridge, other._event_before_bridge = self._event_ts, other._event_ts
        self._relay_ssrc = other._relay_ssrc = None

    def unbridge(self) -> None:
        other = self._bridge
        if other is None:
            return
        self._bridge = other._bridge = None
        self._marker = other._marker = True  # the clocked stream resumes: a new talkspurt
        self._buf[1] = self._pt | 0x80
        other._buf[1] = other._pt | 0x80

    def _relay(self, data: bytes, offset: int, end: int, pt: int, marker: int, ts: int, ssrc: int) -> None:
        """A packet from our peer, out to the bridged session's peer, rewritten into that session's stream."""
        out = self._bridge
        if out._addr is None:
            return
        if pt == self._dtmf_pt:
            out_pt = out._dtmf_pt
            if out_pt is None:
                return
            payload = data[offset:end]
        elif pt == PCMU or pt == PCMA:
            out_pt = out._pt
            payload = data[offset:end]
            if pt != out_pt:
                payload = g711.transcode(payload, pt, out_pt)
        else:
            return  # comfort noise, other codecs: not relayed
        if out._relay_ssrc != ssrc:  # first relayed packet (or a new source stream): continue out's timeline
            out._relay_ssrc = ssrc
            out._relay_offset = (out._ts + FRAME_SAMPLES - ts) & 0xFFFFFFFF
            marker = 0x80
        out._seq = seq = (out._seq + 1) & 0xFFFF
        out_ts = (ts + out._relay_offset) & 0xFFFFFFFF
        if pt != self._dtmf_pt:
            out._ts = out_ts
        try:
            packet = _HEADER.pack(0x80, out_pt | marker, seq, out_ts, out._ssrc) + payload
            if out._connected:
                out._send(packet)
            else:
                out._sendto(packet, out._addr)
        except OSError:
            pass

    # Receiving.
    def _received(self, data: bytes, addr: tuple) -> None:
        try:
            size = len(data)
            if size < 12:
                return
            first = data[0]
            if first & 0xC0 != 0x80:
                return  # not RTP version 2 (STUN, garbage...)
            offset = 12 + 4 * (first & 0x0F)
            if first & 0x10:
                if size < offset + 4:
                    return
                offset += 4 + 4 * _EXT_LENGTH.unpack_from(data, offset + 2)[0]
            end = size
            if first & 0x20:
                end -= data[-1]
            if end <= offset:
                return
            second = data[1]
            pt = second & 0x7F
            if pt != self._pt and pt != self._dtmf_pt and pt != PCMU and pt != PCMA and pt != COMFORT_NOISE:
                return
            if not self._remote_set:
                return  # before set_remote (early media of a Dial leg...): nothing to do with it yet
            now = self._loop.time()
            if addr != self._addr:
                if self._latched and now - self.last_received < RELATCH_AFTER:
                    return  # another source while ours is alive: ignored
                self._latch(addr)
            elif not self._latched:
                self._latch(addr)
            self.last_received = now
            if self._inactive_flag:
                self._inactive_flag = False
                self.inactive.clear()
            if pt == COMFORT_NOISE:
                return  # alive (a phone with silence suppression), but nothing to play, record or relay
            seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
            if pt == self._dtmf_pt:
                if end - offset >= 4 and ts != self._event_ts:
                    self._event_ts = ts  # the first packet of an event; repeats and end packets share its ts
                    event = data[offset]
                    if event < 16:
                        self._digit(DTMF_EVENTS[event])
                if self._bridge is not None and ts != self._event_before_bridge:
                    self._relay(data, offset, end, pt, second & 0x80, ts, ssrc)
                return
            recorder = self._recorder
            if recorder is not None:
                self._record(recorder, data[offset:end], pt, ts, ssrc)
            if self._bridge is not None:
                self._relay(data, offset, end, pt, second & 0x80, ts, ssrc)
        except Exception:  # never let a packet break the session
            logger.debug("RTP packet dropped on %s", self, exc_info=True)

    def _latch(self, addr: tuple) -> None:
        """Symmetric RTP: answer where the media comes from (NAT). The socket is connected to that source:
        sending then skips the per-packet address handling and route lookup, and the kernel drops what
        others send (until the source has been silent for RELATCH_AFTER: see MediaEngine._check_inactivity)."""
        self._addr = addr
        self._latched = True
        if _disconnect is not None:
            try:
                self._sock.connect(addr)
                self._connected = True
            except OSError:
                self._unlatch()
                self._addr = addr
                self._latched = True

    def _unlatch(self) -> None:
        """Back to accepting packets from anyone (the next one latches)."""
        if self._connected:
            self._connected = False
            _disconnect(self._sock)
        self._latched = False

    # Lifetime.
    async def close(self) -> None:
        """Idempotent: ends playback (False) and recording ("closed"), unbridges, releases the port."""
        if self._closed:
            return
        self._closed = True
        self._end_playback(False)
        if self._recorder is not None:
            self._recorder.finish("closed")
        self.unbridge()
        self.engine._forget(self)
        self.clear_digits()
        if self._transport is not None:
            self._transport.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._protocol.closed), 1.0)
        else:
            self._sock.close()
        self.engine._release(self.local_port)


class MediaEngine:
    """Every call's RTP: ports from [port_min, port_max] (even ones), one 20 ms clock task for all.

    The clock wakes every 5 ms (absolute deadlines: start + n x 5 ms) and serves one of four slots in turn;
    each session belongs to one slot (the least loaded when it opened), so it gets exactly one frame every
    20 ms while the work comes in four smaller bursts: the gap between two packets of a stream varies with a
    quarter of the work, and the packets received (digits, relays) wait at most one slot's work.
    """

    def __init__(self, host: str, port_min: int, port_max: int, *, inactivity_timeout: float = 30.0):
        if port_min > port_max:
            raise ValueError("port_min > port_max")
        self.host = host
        self.port_min, self.port_max = port_min, port_max
        self.inactivity_timeout = inactivity_timeout
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._free = deque(range(port_min + (port_min & 1), port_max + 1, 2))
        self._sessions: dict[RtpSession, None] = {}
        self._slots: list[dict[RtpSession, None]] = [{} for _ in range(SLOTS)]
        self._clock: asyncio.Task | None = None
        self._ticks = 0  # frames: SLOTS slot runs each
        self._late: deque[float] = deque(maxlen=STATS_WINDOW * SLOTS)  # per slot run
        self._slot_work: deque[float] = deque(maxlen=STATS_WINDOW * SLOTS)
        self._work: deque[float] = deque(maxlen=STATS_WINDOW)  # per frame: the sum of its slots
        self._skipped = 0

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    @property
    def ports(self) -> int:
        """Ports of the range not in use by a session."""
        return len(self._free)

    async def start(self) -> None:
        if self._clock is not None:
            return
        _raise_file_limit(len(self._free) + 256)
        self._clock = asyncio.get_running_loop().create_task(self._run_clock(), name="media-clock")

    async def stop(self) -> None:
        clock, self._clock = self._clock, None
        if clock is not None:
            clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock
        await asyncio.gather(*(session.close() for session in list(self._sessions)), return_exceptions=True)

    async def open_session(self) -> RtpSession:
        """A session on a free even port; NoPortAvailable when none can be bound."""
        loop = asyncio.get_running_loop()
        for _ in range(len(self._free)):
            port = self._free.popleft()
            sock = socket.socket(self._family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.bind((self.host, port))
            except OSError as exc:
                sock.close()
                self._free.append(port)  # in use by someone else (or not ours to bind): try it again later
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            session = RtpSession(self, sock, self.host, port)
            try:
                transport, protocol = await loop.create_datagram_endpoint(partial(_Protocol, session), sock=sock)
            except BaseException:
                sock.close()
                self._free.append(port)
                raise
            session._transport, session._protocol = transport, protocol
            self._sessions[session] = None
            session._slot = min(self._slots, key=len)
            session._slot[session] = None
            return session
        raise NoPortAvailable(f"no free RTP port in {self.port_min}-{self.port_max}")

    def _forget(self, session: RtpSession) -> None:
        self._sessions.pop(session, None)
        session._slot.pop(session, None)

    def _release(self, port: int) -> None:
        self._free.append(port)  # at the end: a closed port rests before it is reused

    # The clock.
    async def _run_clock(self) -> None:
        loop = asyncio.get_running_loop()
        time = loop.time
        late_window, slot_window, work_window = self._late, self._slot_work, self._work
        slots = self._slots
        start = time()
        n = 0
        frame_work = 0.0
        while True:
            n += 1
            deadline = start + n * SLOT
            now = time()
            if now < deadline:
                await asyncio.sleep(deadline - now)
                now = time()
            else:
                behind = int((now - deadline) / FRAME)
                if behind > MAX_CATCH_UP:  # far behind: skip whole missed frames instead of bursting them
                    n += behind * SLOTS
                    self._skipped += behind
                    deadline = start + n * SLOT
                await asyncio.sleep(0)  # catching up: still let the I/O in between
                now = time()
            late_window.append(now - deadline)
            slot = n % SLOTS
            try:
                self._tick(slots[slot])
                if slot == 0:
                    self._ticks += 1
                    if self._ticks % INACTIVITY_CHECK_TICKS == 0:
                        self._check_inactivity(now)
            except Exception:
                logger.exception("media clock tick failed")
            work = time() - now
            slot_window.append(work)
            frame_work += work
            if slot == SLOTS - 1:
                work_window.append(frame_work)
                frame_work = 0.0

    @staticmethod
    def _tick(sessions: dict[RtpSession, None]) -> None:
        """One frame to each session of a slot: the hot path."""
        pack_into = _SEQ_TS.pack_into
        for s in sessions:
            frames = s._frames
            if frames is not None:
                index = s._index
                payload = frames[index]
                index += 1
                s._index = index
                if index == len(frames):
                    s._end_playback(True)
            else:
                payload = s._comfort
            addr = s._addr
            if addr is None or s._bridge is not None:
                continue  # a prompt plays on (in time) but nothing goes out
            buf = s._buf
            s._seq = seq = (s._seq + 1) & 0xFFFF
            s._ts = ts = (s._ts + FRAME_SAMPLES) & 0xFFFFFFFF
            pack_into(buf, 2, seq, ts)
            buf[12:] = payload
            try:
                if s._connected:
                    s._send(buf)
                else:
                    s._sendto(buf, addr)
            except OSError:
                pass  # full socket buffer, unreachable...: this frame is lost, the stream goes on
            if s._marker:
                s._marker = False
                buf[1] = s._pt

    def _check_inactivity(self, now: float) -> None:
        limit = now - self.inactivity_timeout
        relatch = now - RELATCH_AFTER
        for s in self._sessions:
            last = s.last_received
            if last < relatch and s._connected:
                s._unlatch()  # the source went quiet: let whoever sends next take over
            if not s._inactive_flag and s._remote_set and last < limit:
                s._inactive_flag = True
                s.inactive.set()

    def stats(self) -> dict:
        """The clock over the last STATS_WINDOW frames (10 s): "ticks" counts 20 ms frames; tick_late is how
        late each 5 ms slot woke; tick_work the clock's work per 20 ms frame (its four slots), slot_work per slot."""
        late = sorted(self._late)
        work = sorted(self._work)
        slot_work = sorted(self._slot_work)
        return {
            "sessions": len(self._sessions),
            "ticks": self._ticks,
            "ticks_skipped": self._skipped,
            "tick_late_p50_ms": _percentile(late, 0.50),
            "tick_late_p99_ms": _percentile(late, 0.99),
            "tick_late_max_ms": _percentile(late, 1.0),
            "tick_work_p50_ms": _percentile(work, 0.50),
            "tick_work_p99_ms": _percentile(work, 0.99),
            "slot_work_p99_ms": _percentile(slot_work, 0.99),
        }


def _is_ipv4(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET, host)
        return True
    except OSError:
        return False


def _make_disconnect():
    """socket.connect() cannot express AF_UNSPEC, the way to dissolve a UDP socket's association: libc's
    connect() through ctypes. None where that is not available (sockets are then never connected)."""
    try:
        import ctypes

        connect = ctypes.CDLL(None, use_errno=True).connect
    except (ImportError, OSError, AttributeError):
        return None
    unspec = ctypes.create_string_buffer(16)  # a sockaddr of family AF_UNSPEC (0)

    def disconnect(sock: socket.socket) -> None:
        connect(sock.fileno(), unspec, 16)  # BSDs answer EAFNOSUPPORT yet dissolve it: the result is moot

    return disconnect


_disconnect = _make_disconnect()


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return round(1000 * ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1 if q else 0)], 3)


def _raise_file_limit(wanted: int) -> None:
    """One socket per call: lift the soft limit on open files (up to the hard limit) if the range needs it."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        logger.warning("could not raise the open files limit to %s", wanted)
