"""SIP signalling for the executor: aiosipua behind our own small interface.

    server.py     SipServer: UDP + TCP, the dispatcher in front of aiosipua, dial() (client
                  extensions through the SIP edge, the registrar)
    inbound.py    InboundCall: a call to one of our numbers
    outbound.py   OutboundCall: a Dial leg
    dialogs.py    route sets and remote targets (RFC 3261 §12) aiosipua leaves out
    transport.py  aiosipua's transports + 400 on garbage, retransmission handling, TCP fixes
    media.py      MediaOffer <-> SDP (aiosipua's SDP helpers)
    compat.py     every reach into aiosipua's internals

Only what this module exports is the interface; the rest may change with the library underneath.
"""

from telephony.executor.sip.inbound import CallEnded, InboundCall
from telephony.executor.sip.media import MediaOffer, NoCommonCodec
from telephony.executor.sip.outbound import OutboundCall
from telephony.executor.sip.server import SipServer

__all__ = [
    "CallEnded",
    "InboundCall",
    "MediaOffer",
    "NoCommonCodec",
    "OutboundCall",
    "SipServer",
]
