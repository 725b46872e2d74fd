# The SIP edge's view of the gateways (Restcomm's Management/Gateways), in Kamailio 5.6's own schemas
# (/usr/share/kamailio/postgres): `sip_edge_uacreg` is the uac module's `uacreg` table (the gateways it
# registers with), `sip_edge_trunk` an `htable` table (for each account, the gateway its calls to
# numbers go out through, and which outbound proxy is active). Views: nothing to keep in step.

from django.db import migrations, models

# A gateway's Proxy is `host[:port]` or `sip:host[:port][;params]` (telephony.gateways checks it):
# the registrar's domain is host[:port], the URI requests go to keeps the parameters (transport).
HOST_PORT = "split_part(regexp_replace(g.proxy, '^sip:', ''), ';', 1)"
URI = "CASE WHEN g.proxy LIKE 'sip:%' THEN g.proxy ELSE 'sip:' || g.proxy END"

SQL = f"""
-- uac registers with every gateway that asks for it and has credentials (uac ignores a row with an
-- empty user or password). Contact: sip:<gateway sid>@<the edge>.
CREATE VIEW sip_edge_uacreg AS
    SELECT g.id, g.sid::varchar(64) AS l_uuid, g.user_name::varchar(64) AS l_username,
           {HOST_PORT}::varchar(64) AS l_domain, g.user_name::varchar(64) AS r_username,
           {HOST_PORT}::varchar(64) AS r_domain, ''::varchar(64) AS realm,
           g.user_name::varchar(64) AS auth_username, g.password::varchar(64) AS auth_password,
           ''::varchar(128) AS auth_ha1, ({URI})::varchar(255) AS auth_proxy, g.ttl::integer AS expires,
           0 AS flags, 0 AS reg_delay, ''::varchar(255) AS contact_addr, ''::varchar(128) AS socket
    FROM telephony_gateway g
    WHERE g.register AND g.user_name <> '' AND g.password <> '';

-- For every account, the gateway of the nearest account at or above it (the oldest of that account's
-- gateways), flattened to htable rows `<AccountSid>:uri|host|user|password|gateway`; and
-- `outbound:fallback` = 1 when the fallback outbound proxy is the active one.
CREATE VIEW sip_edge_trunk AS
    WITH RECURSIVE chain (account_id, ancestor_id, depth) AS (
        SELECT id, id, 0 FROM telephony_telephonyaccount
        UNION ALL
        SELECT chain.account_id, a.parent_id, chain.depth + 1
        FROM chain JOIN telephony_telephonyaccount a ON a.id = chain.ancestor_id
        WHERE a.parent_id IS NOT NULL AND chain.depth < 32
    ),
    nearest AS (
        SELECT DISTINCT ON (chain.account_id) chain.account_id AS caller_id, g.sid, g.proxy, g.user_name,
               g.password
        FROM chain JOIN telephony_gateway g ON g.account_id = chain.ancestor_id
        ORDER BY chain.account_id, chain.depth, g.id
    )
    SELECT (a.sid || ':' || field)::varchar(64) AS key_name, 0 AS key_type, 0 AS value_type,
           value::varchar(255) AS key_value, 0 AS expires
    FROM nearest g
    JOIN telephony_telephonyaccount a ON a.id = g.caller_id
    CROSS JOIN LATERAL (VALUES
        ('uri', {URI}), ('host', {HOST_PORT}), ('user', g.user_name), ('password', g.password),
        ('gateway', g.sid)
    ) AS fields (field, value)
    UNION ALL
    SELECT 'outbound:fallback', 0, 0,
           CASE WHEN EXISTS (SELECT 1 FROM telephony_activeoutboundproxy WHERE fallback) THEN '1' ELSE '0' END,
           0;

INSERT INTO sip_edge_version (table_name, table_version) VALUES ('sip_edge_uacreg', 5), ('sip_edge_trunk', 2);
"""

REVERSE = """
DROP VIEW sip_edge_trunk;
DROP VIEW sip_edge_uacreg;
DELETE FROM sip_edge_version WHERE table_name IN ('sip_edge_uacreg', 'sip_edge_trunk');
"""


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0009_account_password"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActiveOutboundProxy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("fallback", models.BooleanField(default=False)),
                ("date_updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
