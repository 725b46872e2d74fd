"""Single SIP requests over UDP from a chosen source address (127.0.0.x), for the edge's limits:
what a scanner or a password guesser sends, without a scenario per request."""

from __future__ import annotations

import hashlib
import re
import socket
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int
    text: str

    def header(self, name: str) -> str | None:
        match = re.search(rf"^{name}:\s*(.*)$", self.text, re.MULTILINE | re.IGNORECASE)
        return match.group(1).strip() if match else None


@dataclass
class Peer:
    """A UDP socket on `source` that sends requests to the edge and reads what comes back."""

    source: str
    edge_port: int
    user_agent: str = "edge-tests"
    sock: socket.socket = field(init=False)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.source, 0))

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def request(self, method: str, uri: str, user: str, cseq: int = 1, call_id: str = "", extra: str = "") -> str:
        headers = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.source}:{self.port};rport;branch=z9hG4bK{uuid.uuid4().hex[:16]}",
            "Max-Forwards: 70",
            f"From: <sip:{user}@edge.test>;tag={uuid.uuid4().hex[:8]}",
            f"To: <sip:{user}@edge.test>",
            f"Call-ID: {call_id or uuid.uuid4().hex}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{user}@{self.source}:{self.port}>",
            f"User-Agent: {self.user_agent}",
        ]
        if method == "REGISTER":
            headers.append("Expires: 60")
        return "\r\n".join(headers) + "\r\n" + extra + "Content-Length: 0\r\n\r\n"

    def send(self, message: str) -> None:
        self.sock.sendto(message.encode(), ("127.0.0.1", self.edge_port))

    def receive(self, timeout: float) -> Answer | None:
        """The next final answer within `timeout` s (provisional ones skipped), or None."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except TimeoutError:
                return None
            status = int(data.split(" ", 2)[1]) if data.startswith("SIP/2.0 ") else 0
            if status >= 200:
                return Answer(status, data)
        return None

    def ask(self, method: str, user: str = "probe", timeout: float = 1.0) -> Answer | None:
        self.send(self.request(method, f"sip:{user}@127.0.0.1:{self.edge_port}", user))
        return self.receive(timeout)

    def register(self, login: str, password: str, timeout: float = 1.0) -> list[Answer | None]:
        """REGISTER, then answer its challenge with `password`: the answers to both (None: none came)."""
        uri = f"sip:127.0.0.1:{self.edge_port}"
        call_id = uuid.uuid4().hex
        self.send(self.request("REGISTER", uri, login, 1, call_id))
        challenge = self.receive(timeout)
        if challenge is None or challenge.status != 401:
            return [challenge]
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge.header("WWW-Authenticate") or ""))
        realm, nonce = params["realm"], params["nonce"]
        ha1 = _md5(f"{login}:{realm}:{password}")
        ha2 = _md5(f"REGISTER:{uri}")
        cnonce, nc = uuid.uuid4().hex[:8], "00000001"
        response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        authorization = (
            f'Authorization: Digest username="{login}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"\r\n'
        )
        self.send(self.request("REGISTER", uri, login, 2, call_id, extra=authorization))
        return [challenge, self.receive(timeout)]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (SIP digest is MD5)
