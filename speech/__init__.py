"""Audio as callers hear it: text rendered by espeak-ng, uploads probed and normalised by sox.

Everything ends as 8 kHz mono 16-bit PCM WAV, the format the executor plays into an RTP stream.
A library below the domain: it knows nothing of announcements, Django or the call side, so the
services, the worker and the executor's endpoints can all use it (`make lint` holds it to that).
"""
