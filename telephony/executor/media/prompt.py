"""Prompts: audio pre-encoded once into 20 ms G.711 frames, ready for the media clock; and their cache."""

from __future__ import annotations

import asyncio
import math
from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telephony.executor.media.g711 import PCMA, PCMU, RATE, decode_wav, encode

FRAME_SAMPLES = 160  # 20 ms at 8 kHz
FRAME_SECONDS = FRAME_SAMPLES / RATE
SILENCE_PCMU = b"\xff" * FRAME_SAMPLES  # G.711 encodings of linear 0
SILENCE_PCMA = b"\xd5" * FRAME_SAMPLES


@dataclass(frozen=True)
class Prompt:
    pcmu: tuple[bytes, ...]  # 160-byte frames (20 ms at 8 kHz), the last padded with silence
    pcma: tuple[bytes, ...]
    duration: float  # seconds

    def frames(self, payload_type: int) -> tuple[bytes, ...]:
        if payload_type == PCMU:
            return self.pcmu
        if payload_type == PCMA:
            return self.pcma
        raise ValueError(f"not a G.711 payload type: {payload_type}")

    @property
    def size(self) -> int:
        """Bytes held by the frames (what PromptCache counts)."""
        return FRAME_SAMPLES * (len(self.pcmu) + len(self.pcma))


def prompt_from_pcm(pcm: bytes) -> Prompt:
    """16-bit 8 kHz mono linear PCM -> Prompt."""
    samples = len(pcm) // 2
    count = -(-samples // FRAME_SAMPLES)
    pcm = bytes(pcm[: samples * 2]) + bytes(2 * (count * FRAME_SAMPLES - samples))
    return Prompt(_split(encode(pcm, PCMU)), _split(encode(pcm, PCMA)), samples / RATE)


def prompt_from_wav(data: bytes) -> Prompt:
    """A WAV file (see g711.decode_wav) -> Prompt; ValueError if unreadable."""
    return prompt_from_pcm(decode_wav(data))


def silence(seconds: float) -> Prompt:
    count = max(0, math.ceil(seconds / FRAME_SECONDS - 1e-9))
    return Prompt((SILENCE_PCMU,) * count, (SILENCE_PCMA,) * count, max(0.0, seconds))


def tone(frequency: float = 1000.0, seconds: float = 0.3) -> Prompt:
    """A sine at -6 dBFS with 5 ms fades (no clicks): the Record beep, ringback."""
    count = max(0, round(seconds * RATE))
    fade = min(40, count // 2)
    step = 2 * math.pi * frequency / RATE
    samples = array("h", bytes(2 * count))
    for i in range(count):
        gain = min(1.0, i / fade, (count - 1 - i) / fade) if fade else 1.0
        samples[i] = round(16000 * gain * math.sin(step * i))
    return prompt_from_pcm(samples.tobytes())


def _split(encoded: bytes) -> tuple[bytes, ...]:
    frames = []
    silent = {SILENCE_PCMU, SILENCE_PCMA}
    for offset in range(0, len(encoded), FRAME_SAMPLES):
        frame = encoded[offset : offset + FRAME_SAMPLES]
        if frame in silent:  # share the silent frames (long pauses cost nothing)
            frame = SILENCE_PCMU if frame == SILENCE_PCMU else SILENCE_PCMA
        frames.append(frame)
    return tuple(frames)


class PromptCache:
    """Decoded prompts by key (a URL, a Say's text...), least recently used evicted past `max_bytes`.

    Concurrent get() of the same key share one load and one decode; a failed load (or decode) is not
    cached and raises to every waiter. A prompt larger than the whole cache is returned but not kept.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._prompts: OrderedDict[str, Prompt] = OrderedDict()
        self._loading: dict[str, asyncio.Future[Prompt]] = {}

    def __len__(self) -> int:
        return len(self._prompts)

    def __contains__(self, key: str) -> bool:
        return key in self._prompts

    async def get(self, key: str, load: Callable[[], Awaitable[bytes]]) -> Prompt:
        prompt = self._prompts.get(key)
        if prompt is not None:
            self._prompts.move_to_end(key)
            return prompt
        loading = self._loading.get(key)
        if loading is None:
            # A task of its own: a waiter being cancelled does not cancel the load for the others.
            loading = asyncio.ensure_future(self._load(key, load))
            loading.add_done_callback(_retrieve)
            self._loading[key] = loading
        return await asyncio.shield(loading)

    async def _load(self, key: str, load: Callable[[], Awaitable[bytes]]) -> Prompt:
        try:
            data = await load()
            # Decoding a long WAV takes milliseconds of CPU: off the loop, so the media clock keeps time.
            prompt = await asyncio.to_thread(prompt_from_wav, data)
        finally:
            del self._loading[key]
        if prompt.size <= self.max_bytes:
            self._prompts[key] = prompt
            self.bytes += prompt.size
            while self.bytes > self.max_bytes:
                _, evicted = self._prompts.popitem(last=False)
                self.bytes -= evicted.size
        return prompt

    def clear(self) -> None:
        self._prompts.clear()
        self.bytes = 0


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # every waiter may have gone: no "exception was never retrieved" noise
