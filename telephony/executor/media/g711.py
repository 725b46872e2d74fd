"""G.711 (PCMU/PCMA) and WAV decoding, with the standard library's audioop.

audioop is deprecated since Python 3.11 (removed in 3.13); it is imported here with its DeprecationWarning
silenced. On Python >= 3.13 the drop-in replacement is the `audioop-lts` package (same module name).
Everything works on 16-bit signed linear PCM in native byte order, 8 kHz mono ("linear" below).
"""

from __future__ import annotations

import math
import struct
import sys
import warnings
from array import array

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # Python 3.13+: pip install audioop-lts

PCMU, PCMA = 0, 8
RATE = 8000

_WAVE_PCM, _WAVE_FLOAT, _WAVE_ALAW, _WAVE_MULAW, _WAVE_EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
_CHUNK = struct.Struct("<4sI")
_FMT = struct.Struct("<HHIIHH")


def encode(pcm: bytes, payload_type: int) -> bytes:
    """16-bit linear PCM -> PCMU or PCMA, one byte per sample."""
    if len(pcm) & 1:
        pcm = pcm[:-1]
    if payload_type == PCMU:
        return audioop.lin2ulaw(pcm, 2)
    if payload_type == PCMA:
        return audioop.lin2alaw(pcm, 2)
    raise ValueError(f"not a G.711 payload type: {payload_type}")


def decode(payload: bytes, payload_type: int) -> bytes:
    """PCMU or PCMA -> 16-bit linear PCM."""
    if payload_type == PCMU:
        return audioop.ulaw2lin(payload, 2)
    if payload_type == PCMA:
        return audioop.alaw2lin(payload, 2)
    raise ValueError(f"not a G.711 payload type: {payload_type}")


def transcode(payload: bytes, from_type: int, to_type: int) -> bytes:
    """PCMU <-> PCMA (through linear)."""
    if from_type == to_type:
        return payload
    return encode(decode(payload, from_type), to_type)


def rms(pcm: bytes) -> int:
    """Root-mean-square level of 16-bit linear PCM (0..32767)."""
    return audioop.rms(pcm, 2)


def decode_wav(data: bytes) -> bytes:
    """Any PCM WAV (8/16/24/32-bit integer, any rate, any channel count) or G.711 WAV (format 6/7)
    -> 16-bit 8 kHz mono linear PCM. ValueError if it is not a WAV we can read."""
    fmt, samples = _parse_riff(bytes(data))
    tag, channels, rate, _byte_rate, block_align, bits = fmt
    if channels < 1 or rate < 1:
        raise ValueError("WAV: bad channel count or sample rate")
    if tag == _WAVE_PCM and bits in (8, 16, 24, 32):
        width = bits // 8
    elif tag in (_WAVE_ALAW, _WAVE_MULAW) and bits == 8:
        width = 1
    elif tag == _WAVE_FLOAT:
        raise ValueError("WAV: floating-point samples are not supported; use integer PCM or G.711")
    else:
        raise ValueError(f"WAV: unsupported format {tag} with {bits} bits per sample")
    frame = width * channels
    if block_align and block_align != frame:
        raise ValueError("WAV: block alignment does not match the format")
    samples = samples[: len(samples) - len(samples) % frame]
    if tag == _WAVE_ALAW:
        pcm = audioop.alaw2lin(samples, 2)
    elif tag == _WAVE_MULAW:
        pcm = audioop.ulaw2lin(samples, 2)
    elif width == 1:
        pcm = audioop.lin2lin(audioop.bias(samples, 1, -128), 1, 2)  # 8-bit WAV samples are unsigned
    else:
        if sys.byteorder == "big":
            samples = audioop.byteswap(samples, width)
        pcm = samples if width == 2 else audioop.lin2lin(samples, width, 2)
    pcm = _to_mono(pcm, channels)
    if rate != RATE:
        pcm = resample(pcm, rate)
    return pcm


def _parse_riff(data: bytes) -> tuple[tuple[int, int, int, int, int, int], bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    fmt = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = _CHUNK.unpack_from(data, pos)
        pos += 8
        if chunk_id == b"fmt ":
            if size < 16 or pos + 16 > len(data):
                raise ValueError("WAV: truncated fmt chunk")
            fmt = list(_FMT.unpack_from(data, pos))
            if fmt[0] == _WAVE_EXTENSIBLE and size >= 40 and pos + 40 <= len(data):
                fmt[0] = struct.unpack_from("<H", data, pos + 24)[0]  # the sub-format GUID's first two bytes
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV: data chunk before fmt chunk")
            return tuple(fmt), data[pos : pos + size]  # a size past the end (streamed WAV): what is there
        pos += size + (size & 1)
    raise ValueError("WAV: no fmt or data chunk")


def _to_mono(pcm: bytes, channels: int) -> bytes:
    if channels == 1:
        return pcm
    if channels == 2:
        return audioop.tomono(pcm, 2, 0.5, 0.5)
    samples = array("h", pcm)
    mixed = None
    for channel in range(channels):
        part = audioop.mul(samples[channel::channels].tobytes(), 2, 1.0 / channels)
        mixed = part if mixed is None else audioop.add(mixed, part, 2)
    return mixed or b""


def resample(pcm: bytes, rate: int) -> bytes:
    """16-bit mono PCM at `rate` -> 8 kHz. Downsampling low-passes first (a windowed-sinc FIR built from
    audioop passes), so that what lies above 4 kHz does not fold back into the band as hiss. Works in blocks
    of a quarter of a second: no single C call holds the GIL long (decoding runs beside the media clock)."""
    if rate == RATE or not pcm:
        return pcm
    lowpass = _Lowpass(3700.0 / rate, 1800.0 / rate) if rate > RATE else None
    block = 2 * max(1024, rate // 4)
    out = []
    state = None
    for offset in range(0, len(pcm), block):
        chunk = pcm[offset : offset + block]
        if lowpass is not None:
            chunk = lowpass.feed(chunk)
        converted, state = audioop.ratecv(chunk, 2, 1, rate, RATE, state)
        out.append(converted)
    if lowpass is not None:
        out.append(audioop.ratecv(lowpass.flush(), 2, 1, rate, RATE, state)[0])
    return b"".join(out)


class _Lowpass:
    """Hamming-windowed sinc FIR (`cutoff` and `transition` width as fractions of the sample rate), fed in
    blocks: one audioop multiply-add pass per tap. It runs at half level so that the partial sums cannot
    saturate, then doubles (the output saturates like any 16-bit filter's). Zero-phase: the first `half`
    outputs (the filter's delay) are dropped and flush() feeds the zeros that bring out the last ones."""

    def __init__(self, cutoff: float, transition: float):
        taps = min(127, 2 * math.ceil(3.3 / transition / 2) + 1)
        self.half = half = taps // 2
        weights = []
        for i in range(taps):
            n = i - half
            sinc = 2 * cutoff if n == 0 else math.sin(2 * math.pi * cutoff * n) / (math.pi * n)
            weights.append(sinc * (0.54 - 0.46 * math.cos(2 * math.pi * i / (taps - 1))))
        scale = 0.5 / sum(weights)
        order = sorted(range(taps), key=lambda i: abs(i - half))  # the big central taps first
        self.taps = [(i, weights[i] * scale) for i in order]
        self.history = bytes(4 * half)
        self.skip = 2 * half

    def feed(self, chunk: bytes) -> bytes:
        buffer = self.history + chunk
        size = len(chunk)
        out = None
        for i, weight in self.taps:
            part = audioop.mul(buffer[2 * i : 2 * i + size], 2, weight)
            out = part if out is None else audioop.add(out, part, 2)
        self.history = buffer[len(buffer) - 4 * self.half :]
        out = audioop.mul(out, 2, 2.0)
        if self.skip:
            out, self.skip = out[self.skip :], max(0, self.skip - len(out))
        return out

    def flush(self) -> bytes:
        return self.feed(bytes(2 * self.half))
