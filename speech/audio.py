"""Audio files with sox: what a file is and how long (soxi), and 8 kHz mono 16-bit WAV out of it.

Every external program runs with a timeout, its output captured; a failure is a `SpeechError` whose
message is fit to show an enterprise admin (it ends up in the announcement's `failureReason`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM

PROBE_TIMEOUT = 20  # seconds for soxi to read a header (an MP3 without one is scanned whole)
CONVERT_TIMEOUT = 90  # seconds for sox to decode and resample up to five minutes of audio

# sox's names for the formats uploads may come in; the extension is only a fallback to the content.
KNOWN_TYPES = {"wav", "mp3", "ogg", "vorbis", "flac", "aiff", "au"}
EXTENSION_TYPES = {
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".flac": "flac",
    ".aif": "aiff",
    ".aiff": "aiff",
    ".au": "au",
    ".snd": "au",
}


class SpeechError(Exception):
    """Rendering or transcoding failed; the message says why, in words for the console."""


@dataclass(frozen=True)
class Probe:
    type: str
    duration_seconds: float


def sniff_type(head: bytes, filename: str = "") -> str | None:
    """sox's type for a file from its first bytes, else from its name; None when neither says.

    sox itself picks a handler by extension, and uploads arrive with any name or none.
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:4] == b".snd":
        return "au"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return EXTENSION_TYPES.get(Path(filename or "").suffix.lower())


def run_program(
    argv: list[str], timeout: float, *, what: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise SpeechError(f"{argv[0]} is not installed on the server") from None
    except subprocess.TimeoutExpired:
        raise SpeechError(f"{what} took longer than {timeout:g} s") from None
    if result.returncode != 0:
        raise SpeechError(f"{what} failed: {_last_line(result.stderr)}")
    return result


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    # sox's own prefix (`sox FAIL formats: `) says nothing to a person.
    message = lines[-1] if lines else "no output"
    message = re.sub(r"^(soxi|sox) FAIL ", "", message)
    # Our temporary file's name means nothing to the uploader either.
    message = re.sub(r"^formats: can't open (input|output) file `[^']*':?\s*", "", message)
    message = re.sub(r"file `[^']*'", "the file", message)  # however sox words it
    return message[:300] or "not a readable audio file"


def probe(path: str | os.PathLike, audio_type: str) -> Probe:
    """The file's duration by its header (`soxi -D`): SpeechError when sox cannot read it."""
    if audio_type not in KNOWN_TYPES:
        raise SpeechError(f"unsupported audio type {audio_type!r}")
    # soxi takes a file's type only from its name: give it one that says what the content is.
    with tempfile.TemporaryDirectory(prefix="probe-") as workdir:
        named = Path(workdir) / f"audio.{audio_type}"
        named.symlink_to(Path(path).resolve())
        result = run_program(["soxi", "-D", str(named)], PROBE_TIMEOUT, what="Reading the audio")
    try:
        duration = float(result.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SpeechError("Reading the audio failed: no duration") from None
    return Probe(type=audio_type, duration_seconds=duration)


def normalise(source: str | os.PathLike, target: str | os.PathLike, audio_type: str | None = None) -> float:
    """Write `source` as 8 kHz mono 16-bit PCM WAV to `target` (channels mixed down, resampled);
    return its duration in seconds, measured on the result."""
    argv = ["sox", "-V1"]
    if audio_type:
        argv += ["-t", audio_type]
    argv += [
        str(source),
        "-t",
        "wav",
        "-r",
        str(SAMPLE_RATE),
        "-c",
        str(CHANNELS),
        "-b",
        str(SAMPLE_WIDTH * 8),
        "-e",
        "signed-integer",
        str(target),
    ]
    run_program(argv, CONVERT_TIMEOUT, what="Converting the audio")
    return wav_duration(target)


def wav_duration(path: str | os.PathLike) -> float:
    """Duration of a PCM WAV file, from its frames (exact, unlike a compressed file's header)."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else 0.0
    except (wave.Error, EOFError, OSError) as exc:
        raise SpeechError(f"The converted audio is unreadable: {exc}") from None
