"""Every reach into aiosipua's internals, in one place (pinned: aiosipua 0.7.1).

aiosipua has no public way to put a dispatcher in front of its UAS, to forget a call it keeps
(it never forgets a call we hang up, or one rejected whose ACK never came), or to stop the 2xx
retransmission of a call we give up on. Replacing the library means reimplementing these.
"""

from __future__ import annotations

from aiosipua import IncomingCall, SipRequest, SipResponse, SipUAS


def forward(uas: SipUAS, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
    """Hand a message to aiosipua's UAS (and, for responses, to its UAC)."""
    uas._on_message(message, addr)


def forget(uas: SipUAS, call: IncomingCall) -> None:
    """Drop a finished call from the UAS: no timer left, no dialog kept, no INVITE transaction."""
    call._stop_retransmissions()
    if uas._calls.get(call.call_id) is call:
        del uas._calls[call.call_id]
    uas._remove_invite_transaction(call.invite)
