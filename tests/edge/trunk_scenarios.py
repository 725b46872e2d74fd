"""sipp scenarios for gateways (SIP trunks) behind the SIP edge: a gateway's registrar that challenges
the edge's REGISTER, a gateway (or outbound proxy) taking a call to a number, with or without a
digest challenge, and an executor's INVITE for a number as the edge gets it (`;user=phone`,
`X-Account-Sid`). A REGISTER credential that does not verify makes the scenario stop at once (sipp
exits 97).
"""

from __future__ import annotations

import hashlib
import re

from tests.calls.sipp import ACK, SDP, _scenario

REALM = "gateway.test"

_REPLY = """[last_Via:]
[last_From:]
[last_To:];tag=[pid]gw[call_number]
[last_Call-ID:]
[last_CSeq:]"""

# A credential that verifies goes on; one that does not stops the scenario (exit status 97).
_CHECK = """<nop hide="true" test="authorised" next="authorised"/>
<nop><action><exec int_cmd="stop_now"/></action></nop>
<label id="authorised"/>"""


def registrar(user: str, password: str, expires: int) -> str:
    """A gateway's registrar: the REGISTER from `user` gets 401, the next one must carry `user`'s
    digest for `password` (sipp's verifyauth), and is answered 200 with its Contact for `expires` s."""
    return _scenario(
        [
            f"""<recv request="REGISTER" timeout="60000">
  <action>
    <ereg regexp="From: *&lt;sip:{user}@" check_it="true" assign_to="from"/>
  </action>
</recv>
<send><![CDATA[
SIP/2.0 401 Unauthorized
{_REPLY}
WWW-Authenticate: Digest realm="{REALM}", nonce="[pid]r[call_number]", algorithm=MD5
Content-Length: 0

]]></send>
<recv request="REGISTER" timeout="10000">
  <action>
    <ereg regexp="Authorization: *Digest .*username=&quot;{user}&quot;" check_it="true" assign_to="auth"/>
    <verifyauth assign_to="authorised" username="{user}" password="{password}"/>
  </action>
</recv>
{_CHECK}
<send><![CDATA[
SIP/2.0 200 OK
{_REPLY}
[last_Contact:];expires={expires}
Content-Length: 0

]]></send>""",
            '<Reference variables="from,auth"/>',
        ]
    )


def gateway(number: str, *, user: str = "", hold_ms: int = 1000) -> str:
    """A gateway (or outbound proxy) taking one call to `number` (`+` as sent): with `user`, it first
    answers 407 and wants the repeated INVITE to carry `user`'s Proxy-Authorization (sipp's verifyauth
    reads only Authorization: `digest_answers` checks the response); it answers 200 echoing the
    Record-Route, and hangs up after `hold_ms` through the route set."""
    number_pattern = number.replace("+", "\\+")
    first = f'<ereg regexp="^INVITE sip:{number_pattern}@127\\.0\\.0\\.1" check_it="true" assign_to="ruri"/>'
    # What the BYE needs: the answered INVITE's Contact and From (its route set: rrs).
    dialog = """<ereg regexp="&lt;(sip:[^>]*)>" search_in="hdr" header="Contact:" check_it="true"
      assign_to="dummy,contact"/>
    <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="caller"/>"""
    if not user:
        take = f"""<recv request="INVITE" timeout="60000" rrs="true">
  <action>
    {first}
    {dialog}
  </action>
</recv>
"""
    else:
        take = f"""<recv request="INVITE" timeout="60000">
  <action>
    {first}
  </action>
</recv>
<send><![CDATA[
SIP/2.0 407 Proxy Authentication Required
{_REPLY}
Proxy-Authenticate: Digest realm="{REALM}", nonce="[pid]i[call_number]", algorithm=MD5
Content-Length: 0

]]></send>
<recv request="ACK"/>
<recv request="INVITE" timeout="10000" rrs="true">
  <action>
    <ereg regexp="Proxy-Authorization: *Digest .*username=&quot;{user}&quot;" check_it="true" assign_to="auth"/>
    {dialog}
  </action>
</recv>
"""
    take += f"""<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]gw[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{number}@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=gw 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
<recv request="ACK"/>
<pause milliseconds="{hold_ms}"/>
<send retrans="500"><![CDATA[
BYE [$contact] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{number}@[local_ip]:[local_port]>;tag=[pid]gw[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 2 BYE
Contact: <sip:{number}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
"""
    names = "ruri,dummy" + (",auth" if user else "")
    return _scenario([take, f'<Reference variables="{names}"/>'])


def number_call(number: str, account: str, caller_number: str = "15550004000") -> str:
    """An executor's call to `number` as it reaches the edge: `sip:<number>@edge;user=phone`, naming the
    call's account in X-Account-Sid; answered by whatever takes it, which hangs up (we answer 200)."""
    invite = f"""<send retrans="500"><![CDATA[
INVITE sip:{number}@[remote_ip]:[remote_port];user=phone SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller_number}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{number}@[remote_ip]:[remote_port];user=phone>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller_number}@[local_ip]:[local_port]>
X-Account-Sid: {account}
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{SDP.format(media_port="[media_port]").strip()}
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rtd="true" rrs="true"/>
"""
    ack = ACK.format(caller=caller_number, ruri="[next_url]", routes="[routes]\n")
    bye = """<recv request="BYE" timeout="30000"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>"""
    return _scenario([invite, ack, bye])


def digest_answers(messages: str, header: str, method: str, password: str) -> list[bool]:
    """For each `header` (Authorization, Proxy-Authorization) in what sipp received: whether its digest
    response is the one `password` gives (RFC 2617, MD5, no qop)."""

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (SIP digest is MD5)

    found = []
    for value in re.findall(rf"^{header}: *Digest (.*)$", messages, re.MULTILINE | re.IGNORECASE):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', value))
        ha1 = md5(f"{fields['username']}:{fields['realm']}:{password}")
        ha2 = md5(f"{method}:{fields['uri']}")
        expected = md5(f"{ha1}:{fields['nonce']}:{ha2}")
        found.append(fields.get("response") == expected)
    return found


def from_gateway(gateway_sid: str, number: str) -> str:
    """A gateway we registered with calls us: to our Contact (`sip:<gateway sid>@edge`), the number
    dialled in the To; answered, we hang up."""
    invite = f"""<send retrans="500"><![CDATA[
INVITE sip:{gateway_sid}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:15550004001@gateway.test>;tag=[pid]SIPpTag00[call_number]
To: <sip:{number}@gateway.test>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:15550004001@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{SDP.format(media_port="[media_port]").strip()}
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rtd="true" rrs="true"/>
"""
    ack = ACK.format(caller="15550004001", ruri="[next_url]", routes="[routes]\n")
    bye = """<pause milliseconds="1000"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:15550004001@gateway.test>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:15550004001@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>"""
    return _scenario([invite, ack, bye])
