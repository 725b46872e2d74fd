"""The bundled call executor: answers SIP calls to AA numbers and runs the RCML the portal publishes.

One asyncio process (`manage.py run_executor`), talking to the portal only over HTTP:

    sip/          signalling: aiosipua behind our own small interface (registrar, digest, INFO, ...)
    media/        RTP: one socket per call, one shared 20 ms clock, G.711 prompts, RFC 4733 digits
    portal.py     the HTTP client: number lookup, RCML, audio, speech, recordings, call records
    rcml.py       RCML documents parsed into verbs
    call.py       one call: runs its RCML verb by verb and reports a call record
    server.py     wires the parts together; graceful shutdown
"""
