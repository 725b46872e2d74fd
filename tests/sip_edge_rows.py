"""Bindings written into the SIP edge's location table as Kamailio's usrloc (DB-only mode) writes them:
its columns and defaults, a `uloc-…` ruid, naive UTC timestamps, `received` only behind NAT, the
edge's socket as `proto:ip:port`, no domain (`use_domain=0`), q -1 and connection -1 over UDP (as
Kamailio 5.6 wrote a REGISTER's row, checked column for column).

Works with any DB-API cursor whose placeholders are `%s` (Django's, or psycopg's for a test stack's
own database).
"""

from __future__ import annotations

import datetime
import itertools
import os

_COUNTER = itertools.count(1)

INSERT = """
INSERT INTO sip_edge_location
    (ruid, username, domain, contact, received, path, expires, q, callid, cseq, flags, cflags,
     user_agent, socket, methods, last_modified, instance, reg_id, server_id, connection_id,
     keepalive, partition)
VALUES (%s, %s, NULL, %s, %s, NULL, %s, -1, %s, %s, 0, 0, %s, %s, NULL, %s, NULL, 0, 0, -1, 0, 0)
"""


def _kamailio_time(moment: datetime.datetime) -> str:
    """usrloc's `YYYY-MM-DD HH:MM:SS` in the machine's time zone, UTC."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def insert_binding(
    cursor,
    login: str,
    *,
    contact: str | None = None,
    received: str | None = None,
    user_agent: str = "Yealink SIP-T46S 66.86.0.15",
    expires_in: int | None = 3600,
    refreshed_ago: int = 30,
    socket: str = "udp:127.0.0.1:5080",
) -> str:
    """One binding for `login`, refreshed `refreshed_ago` seconds ago and ending `expires_in` seconds
    from now (negative: expired, not yet removed by Kamailio's timer; None: permanent, usrloc's time 0).
    Returns its ruid."""
    now = datetime.datetime.now(datetime.UTC)
    ruid = f"uloc-{int(now.timestamp()):x}-{os.getpid():x}-{next(_COUNTER)}"
    cursor.execute(
        INSERT,
        [
            ruid,
            login,
            contact or f"sip:{login}@192.168.1.20:5060",
            received,
            _kamailio_time(
                datetime.datetime.fromtimestamp(0, datetime.UTC)
                if expires_in is None
                else now + datetime.timedelta(seconds=expires_in)
            ),
            f"{ruid}@phone",
            2,
            user_agent,
            socket,
            _kamailio_time(now - datetime.timedelta(seconds=refreshed_ago)),
        ],
    )
    return ruid
