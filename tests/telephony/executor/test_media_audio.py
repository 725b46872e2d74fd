"""Media without sockets: G.711, WAV decoding, prompts and the prompt cache."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from array import array

import pytest

from telephony.executor.media import (
    PCMA,
    PCMU,
    Prompt,
    PromptCache,
    Recording,
    decode_wav,
    g711,
    prompt_from_pcm,
    prompt_from_wav,
    silence,
    tone,
)


def sine(frequency: float, seconds: float, rate: int = 8000, amplitude: int = 12000) -> array:
    return array(
        "h", (round(amplitude * math.sin(2 * math.pi * frequency * i / rate)) for i in range(round(seconds * rate)))
    )


def make_wav(samples: array, rate: int, channels: int = 1, width: int = 2) -> bytes:
    """16-bit samples (interleaved already when channels > 1) written at `width` bytes per sample."""
    if width == 1:
        raw = bytes((s >> 8) + 128 for s in samples)
    elif width == 2:
        raw = samples.tobytes()
    elif width == 3:
        raw = b"".join(struct.pack("<i", s << 8)[:3] for s in samples)
    else:
        raw = array("i", (s << 16 for s in samples)).tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(raw)
    return out.getvalue()


def g711_wav(encoded: bytes, tag: int) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, 1, 8000, 8000, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(encoded)) + encoded
    return b"RIFF" + struct.pack("<I", len(body)) + body


def crossings(pcm: bytes) -> int:
    samples = array("h", pcm)
    return sum(1 for a, b in zip(samples, samples[1:], strict=False) if (a < 0) != (b < 0))


def error_ratio(expected: bytes, got: bytes) -> float:
    """RMS of the difference over the RMS of the signal."""
    a, b = array("h", expected), array("h", got)
    diff = array("h", (x - y for x, y in zip(a, b, strict=True)))
    return g711.rms(diff.tobytes()) / g711.rms(expected)


# G.711.
@pytest.mark.parametrize("payload_type", [PCMU, PCMA])
def test_g711_round_trip(payload_type):
    pcm = sine(1000, 0.1).tobytes()
    encoded = g711.encode(pcm, payload_type)
    assert len(encoded) == len(pcm) // 2
    assert error_ratio(pcm, g711.decode(encoded, payload_type)) < 0.05
    assert g711.encode(g711.decode(encoded, payload_type), payload_type) == encoded  # G.711 codes are stable


def test_g711_silence_and_transcode():
    assert g711.encode(bytes(4), PCMU) == b"\xff\xff"
    assert g711.encode(bytes(4), PCMA) == b"\xd5\xd5"
    pcm = sine(700, 0.05).tobytes()
    alaw = g711.transcode(g711.encode(pcm, PCMU), PCMU, PCMA)
    assert error_ratio(pcm, g711.decode(alaw, PCMA)) < 0.08
    with pytest.raises(ValueError):
        g711.encode(pcm, 18)
    with pytest.raises(ValueError):
        g711.decode(b"\xff", 3)


# WAV decoding.
@pytest.mark.parametrize(
    "rate, channels, width",
    [
        (8000, 1, 2),
        (8000, 1, 1),
        (8000, 2, 2),
        (16000, 2, 2),
        (11025, 1, 1),
        (22050, 1, 3),
        (44100, 2, 2),
        (48000, 1, 4),
    ],
)
def test_decode_wav_formats(rate, channels, width):
    mono = sine(440, 0.5, rate)
    samples = array("h", (s for s in mono for _ in range(channels))) if channels > 1 else mono
    pcm = decode_wav(make_wav(samples, rate, channels, width))
    assert abs(len(pcm) - 8000) <= 4  # 0.5 s at 8 kHz, 16-bit
    assert 7000 < g711.rms(pcm) < 10000  # 12000 * 0.707, give or take the 8-bit quantisation and the filter
    assert abs(crossings(pcm) - 440) <= 6  # still 440 Hz


def test_decode_wav_mixes_channels_and_filters_above_4khz():
    left, right = sine(440, 0.5, 16000), sine(440, 0.5, 16000, amplitude=0)
    stereo = array("h", (s for pair in zip(left, right, strict=True) for s in pair))
    assert 3500 < g711.rms(decode_wav(make_wav(stereo, 16000, 2))) < 5000  # the average of both channels
    assert g711.rms(decode_wav(make_wav(sine(6000, 0.5, 48000), 48000))) < 300  # would alias to 2 kHz unfiltered
    assert g711.rms(decode_wav(make_wav(sine(1000, 0.5, 48000), 48000))) > 8000


@pytest.mark.parametrize("payload_type, tag", [(PCMU, 7), (PCMA, 6)])
def test_decode_g711_wav(payload_type, tag):
    pcm = sine(500, 0.2).tobytes()
    decoded = decode_wav(g711_wav(g711.encode(pcm, payload_type), tag))
    assert len(decoded) == len(pcm)
    assert error_ratio(pcm, decoded) < 0.05


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a wav file at all",
        b"RIFF\x10\x00\x00\x00WAVEjunk\x00\x00\x00\x00",
        g711_wav(b"\x00" * 10, 0x55),  # MP3 in a WAV
        make_wav(sine(440, 0.1), 8000).replace(b"fmt ", b"xxxx"),
    ],
)
def test_decode_wav_rejects(data):
    with pytest.raises(ValueError):
        decode_wav(data)


# Prompts.
def test_prompt_frames_and_padding():
    pcm = sine(1000, 0.05).tobytes()  # 400 samples: 2 frames and a half
    prompt = prompt_from_pcm(pcm)
    assert len(prompt.pcmu) == len(prompt.pcma) == 3
    assert all(len(frame) == 160 for frame in prompt.pcmu + prompt.pcma)
    assert prompt.pcmu[2][80:] == b"\xff" * 80 and prompt.pcma[2][80:] == b"\xd5" * 80
    assert prompt.duration == pytest.approx(0.05)
    assert prompt.frames(PCMU) is prompt.pcmu and prompt.frames(PCMA) is prompt.pcma
    assert b"".join(prompt.pcmu)[:400] == g711.encode(pcm, PCMU)
    with pytest.raises(ValueError):
        prompt.frames(9)
    assert prompt_from_pcm(b"").pcmu == () and prompt_from_pcm(b"").duration == 0


def test_prompt_from_wav_silence_and_tone():
    prompt = prompt_from_wav(make_wav(sine(440, 1.0, 16000), 16000))
    assert len(prompt.pcmu) == 50 and prompt.duration == pytest.approx(1.0, abs=0.001)
    quiet = silence(0.5)
    assert len(quiet.pcmu) == 25 and set(quiet.pcmu) == {b"\xff" * 160} and set(quiet.pcma) == {b"\xd5" * 160}
    assert len(silence(0.01).pcmu) == 1 and silence(0).pcmu == ()
    beep = tone()
    assert len(beep.pcmu) == 15 and beep.duration == pytest.approx(0.3)
    linear = g711.decode(b"".join(beep.pcmu), PCMU)
    assert abs(crossings(linear) - 600) <= 4 and g711.rms(linear) > 9000
    assert abs(array("h", linear)[0]) < 100  # faded in: no click


def test_recording_wav():
    recording = Recording(sine(440, 0.25).tobytes(), 0.25, "max")
    with wave.open(io.BytesIO(recording.wav())) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 8000)
        assert reader.readframes(10**6) == recording.pcm


# The cache.
def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def test_cache_shares_one_load_among_concurrent_getters():
    wav = make_wav(sine(440, 0.2), 8000)
    loads = []

    async def load():
        loads.append(1)
        await asyncio.sleep(0.05)
        return wav

    async def main():
        cache = PromptCache()
        prompts = await asyncio.gather(*(cache.get("hello", load) for _ in range(10)))
        assert len(loads) == 1 and all(p is prompts[0] for p in prompts) and isinstance(prompts[0], Prompt)
        assert await cache.get("hello", load) is prompts[0] and len(loads) == 1
        assert cache.bytes == prompts[0].size == 2 * 10 * 160

    run(main())


def test_cache_evicts_least_recently_used_by_bytes():
    wavs = {name: make_wav(sine(440, 1.0), 8000) for name in "abc"}  # 50 frames: 16,000 bytes each prompt
    loads = []

    def loader(name):
        async def load():
            loads.append(name)
            return wavs[name]

        return load

    async def main():
        cache = PromptCache(max_bytes=40_000)
        await cache.get("a", loader("a"))
        await cache.get("b", loader("b"))
        await cache.get("a", loader("a"))  # a is now the most recent
        await cache.get("c", loader("c"))  # b goes
        assert "a" in cache and "c" in cache and "b" not in cache and cache.bytes == 32_000
        await cache.get("b", loader("b"))
        assert loads == ["a", "b", "c", "b"] and "a" not in cache
        tiny = PromptCache(max_bytes=1000)
        prompt = await tiny.get("a", loader("a"))  # larger than the whole cache: returned, not kept
        assert prompt.duration == pytest.approx(1.0) and len(tiny) == 0 and tiny.bytes == 0

    run(main())


def test_cache_failed_load_is_not_cached_and_reaches_every_waiter():
    calls = []

    async def failing():
        calls.append(1)
        await asyncio.sleep(0.02)
        raise LookupError("404")

    async def garbage():
        return b"this is not a WAV"

    async def main():
        cache = PromptCache()
        results = await asyncio.gather(*(cache.get("x", failing) for _ in range(5)), return_exceptions=True)
        assert len(calls) == 1 and all(isinstance(r, LookupError) for r in results)
        with pytest.raises(LookupError):
            await cache.get("x", failing)
        assert len(calls) == 2 and len(cache) == 0
        with pytest.raises(ValueError):
            await cache.get("y", garbage)
        assert len(cache) == 0

    run(main())


def test_cache_waiter_cancelled_does_not_cancel_the_load():
    async def slow():
        await asyncio.sleep(0.05)
        return make_wav(sine(440, 0.1), 8000)

    async def main():
        cache = PromptCache()
        first = asyncio.create_task(cache.get("k", slow))
        second = asyncio.create_task(cache.get("k", slow))
        await asyncio.sleep(0.01)
        first.cancel()
        assert len((await second).pcmu) == 5
        assert "k" in cache

    run(main())
