"""The bundled call executor: answers SIP calls to AA numbers and runs the RCML the portal publishes,
and calls to numbers routed to RCML applications, whose documents it fetches from them.

One asyncio process (`manage.py run_executor`), talking to the portal only over HTTP. It keeps no
state another executor would need (calls in progress aside): many run behind the SIP edge
(Kamailio), which is the registrar of client extensions and dispatches calls over the executors.

    sip/              signalling: aiosipua behind our own small interface (INFO, OPTIONS, drain, ...)
    media/            RTP: one socket per call, one shared 20 ms clock, G.711 prompts, RFC 4733 digits
    portal_client.py  the HTTP client: the portal (RCML, audio, speech, recordings, call records, notifications)
                      and the applications (documents, audio, callbacks)
    fetch_policy.py   which addresses an application's URLs may reach (RCML_FETCH_ALLOW)
    call.py           one call: runs its RCML (parsed by telephony.rcml.verbs) verb by verb, reports a call record
    server.py         the process (ExecutorProcess): wires the parts together; graceful shutdown
"""
