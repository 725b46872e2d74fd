"""Text-to-speech with espeak-ng: an announcement's text, language and voice to 8 kHz WAV."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from speech.audio import SpeechError, normalise, run_program

RENDER_TIMEOUT = 60  # seconds for espeak-ng to speak the longest text the API accepts
# espeak-ng's voice variants: the language's voice made female or male.
VARIANTS = {"woman": "f3", "man": "m3"}


@functools.lru_cache(maxsize=1)
def known_languages() -> frozenset[str] | None:
    """The language codes espeak-ng speaks (`en`, `en-us`, `de`…), or None when it is not installed.

    Read once per process: the installed voices do not change while it runs.
    """
    try:
        result = run_program(["espeak-ng", "--voices"], 10, what="Listing the voices")
    except SpeechError:
        return None
    languages = set()
    for line in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
        # Pty, Language, Age/Gender, VoiceName, File, Other Languages: `-v` takes the language
        # (en-us) or the voice file's name (gmw/en: en).
        columns = line.split()
        if len(columns) >= 5:
            languages.add(columns[1].lower())
            languages.add(columns[4].rsplit("/", 1)[-1].lower())
    return frozenset(languages)


def voice_name(language: str, voice: str) -> str:
    return f"{language}+{VARIANTS.get(voice, VARIANTS['woman'])}"


def render(text: str, language: str, voice: str, target: str | os.PathLike) -> float:
    """Speak `text` into `target` as 8 kHz mono 16-bit WAV; return its duration in seconds.

    The text goes in on standard input, never as an argument, so no text is read as an option.
    """
    if not text.strip():
        raise SpeechError("There is no text to speak")
    with tempfile.TemporaryDirectory(prefix="tts-") as workdir:
        spoken = Path(workdir) / "spoken.wav"
        run_program(
            ["espeak-ng", "-v", voice_name(language, voice), "-w", str(spoken), "--stdin"],
            RENDER_TIMEOUT,
            what="Text-to-speech",
            stdin=text.encode("utf-8"),
        )
        if not spoken.exists() or spoken.stat().st_size <= 44:
            raise SpeechError("Text-to-speech produced no audio")
        return normalise(spoken, target, "wav")
