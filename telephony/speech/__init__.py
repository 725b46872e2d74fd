"""Announcements as callers hear them: text rendered by espeak-ng, uploads normalised by sox.

Everything ends as 8 kHz mono 16-bit PCM WAV, the format the executor plays into an RTP stream.
`audio` probes and normalises files, `tts` renders text, `tasks` runs both as Celery tasks and writes
the result back to the announcement.
"""
