"""How the API documents its `audio.wav` downloads (served by `speech.wav_http.serve_wav`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from autoattendant.api.schema import EnvelopeAutoSchema

# The request header every audio.wav download documents.
RANGE_HEADER = OpenApiParameter(
    "Range", str, OpenApiParameter.HEADER, required=False, description="`bytes=start-end`, one range."
)


class AudioSchema(EnvelopeAutoSchema):
    """The envelope schema, except that an `audio` action (`…/audio.wav`) answers with the WAV itself."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if getattr(self.view, "action", None) == "audio":
            wav = {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}
            responses["200"] = {"description": "The 8 kHz mono 16-bit PCM WAV", "content": wav}
            responses["206"] = {"description": "The byte range asked for with `Range`", "content": wav}
        return responses
