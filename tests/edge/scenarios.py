"""A phone's REGISTER as sipp sends it, for the SIP edge (the executor no longer registers phones)."""

from __future__ import annotations

from tests.calls.sipp import _scenario


def _register(login: str, password: str, contact_address: str) -> str:
    return f"""<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{login}@example.test>;tag=[pid]reg[call_number]
To: <sip:{login}@example.test>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:{login}@{contact_address};transport=[transport]>
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
<recv response="401" auth="true"/>
<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{login}@example.test>;tag=[pid]reg[call_number]
To: <sip:{login}@example.test>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:{login}@{contact_address};transport=[transport]>
[authentication username={login} password={password}]
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
"""


def register(
    login: str, password: str, expect_status: str = "200", contact_address: str = "[local_ip]:[local_port]"
) -> str:
    """REGISTER with digest authentication, expecting `expect_status` to the answered challenge.
    contact_address: what its Contact names (a private address behind NAT: not where it sends from)."""
    return _scenario([_register(login, password, contact_address), f'<recv response="{expect_status}"/>'])
