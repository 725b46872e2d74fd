"""RTP media for the executor: G.711 prompts, one shared 20 ms clock, digits, recording, bridging."""

from telephony.executor.media.engine import MediaEngine, NoPortAvailable, Recording, RtpSession
from telephony.executor.media.g711 import PCMA, PCMU, decode_wav
from telephony.executor.media.prompt import Prompt, PromptCache, prompt_from_pcm, prompt_from_wav, silence, tone

__all__ = [
    "PCMA",
    "PCMU",
    "MediaEngine",
    "NoPortAvailable",
    "Prompt",
    "PromptCache",
    "Recording",
    "RtpSession",
    "decode_wav",
    "prompt_from_pcm",
    "prompt_from_wav",
    "silence",
    "tone",
]
