# The SIP edge's tables, in Kamailio's own schema (Kamailio 5.6, /usr/share/kamailio/postgres), named
# with a `sip_edge_` prefix: usrloc's bindings, the dispatcher's executors, and the subscriber view
# through which the registrar checks the passwords the portal keeps (no second copy to keep in step).

from django.db import migrations, models

SQL = """
CREATE TABLE sip_edge_version (
    id SERIAL PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT sip_edge_version_table_name_idx UNIQUE (table_name)
);

CREATE TABLE sip_edge_location (
    id SERIAL PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    contact VARCHAR(512) DEFAULT '' NOT NULL,
    received VARCHAR(128) DEFAULT NULL,
    path VARCHAR(512) DEFAULT NULL,
    expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INTEGER DEFAULT 1 NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    cflags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(64) DEFAULT NULL,
    methods INTEGER DEFAULT NULL,
    instance VARCHAR(255) DEFAULT NULL,
    reg_id INTEGER DEFAULT 0 NOT NULL,
    server_id INTEGER DEFAULT 0 NOT NULL,
    connection_id INTEGER DEFAULT 0 NOT NULL,
    keepalive INTEGER DEFAULT 0 NOT NULL,
    partition INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT sip_edge_location_ruid_idx UNIQUE (ruid)
);
CREATE INDEX sip_edge_location_account_contact_idx ON sip_edge_location (username, domain, contact);
CREATE INDEX sip_edge_location_expires_idx ON sip_edge_location (expires);
CREATE INDEX sip_edge_location_connection_idx ON sip_edge_location (server_id, connection_id);

CREATE TABLE sip_edge_location_attrs (
    id SERIAL PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    aname VARCHAR(64) DEFAULT '' NOT NULL,
    atype INTEGER DEFAULT 0 NOT NULL,
    avalue VARCHAR(512) DEFAULT '' NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL
);
CREATE INDEX sip_edge_location_attrs_account_record_idx ON sip_edge_location_attrs (username, domain, ruid);

CREATE TABLE sip_edge_dispatcher (
    id SERIAL PRIMARY KEY NOT NULL,
    setid INTEGER DEFAULT 0 NOT NULL,
    destination VARCHAR(192) DEFAULT '' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    priority INTEGER DEFAULT 0 NOT NULL,
    attrs VARCHAR(128) DEFAULT '' NOT NULL,
    description VARCHAR(64) DEFAULT '' NOT NULL
);
CREATE UNIQUE INDEX sip_edge_dispatcher_destination_idx ON sip_edge_dispatcher (setid, destination);

-- auth_db reads (username, password) with calculate_ha1: the realm is whatever domain the phone uses.
CREATE VIEW sip_edge_subscriber AS
    SELECT id, login AS username, ''::varchar(64) AS domain, password,
           ''::varchar(128) AS ha1, ''::varchar(128) AS ha1b
    FROM telephony_sipclient;

INSERT INTO sip_edge_version (table_name, table_version) VALUES
    ('version', 1), ('location', 9), ('location_attrs', 1), ('dispatcher', 4), ('subscriber', 7),
    ('sip_edge_location', 9), ('sip_edge_location_attrs', 1), ('sip_edge_dispatcher', 4),
    ('sip_edge_subscriber', 7);
"""

REVERSE = """
DROP VIEW sip_edge_subscriber;
DROP TABLE sip_edge_dispatcher, sip_edge_location_attrs, sip_edge_location, sip_edge_version;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('telephony', '0005_call_records_voicemail_to_autoattendant'),
    ]

    operations = [
        migrations.RunSQL(SQL, REVERSE),
        migrations.CreateModel(
            name='ExecutorNode',
            fields=[
                ('id', models.AutoField(primary_key=True, serialize=False)),
                ('setid', models.IntegerField(default=1)),
                ('destination', models.CharField(max_length=192)),
                ('flags', models.IntegerField(default=0)),
                ('priority', models.IntegerField(default=0)),
                ('attrs', models.CharField(default='', max_length=128)),
                ('description', models.CharField(default='', max_length=64)),
            ],
            options={
                'db_table': 'sip_edge_dispatcher',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='Registration',
            fields=[
                ('id', models.AutoField(primary_key=True, serialize=False)),
                ('ruid', models.CharField(max_length=64, unique=True)),
                ('username', models.CharField(max_length=64)),
                ('domain', models.CharField(max_length=64, null=True)),
                ('contact', models.CharField(max_length=512)),
                ('received', models.CharField(max_length=128, null=True)),
                ('path', models.CharField(max_length=512, null=True)),
                ('expires', models.DateTimeField()),
                ('q', models.FloatField()),
                ('callid', models.CharField(max_length=255)),
                ('cseq', models.IntegerField()),
                ('last_modified', models.DateTimeField()),
                ('flags', models.IntegerField()),
                ('cflags', models.IntegerField()),
                ('user_agent', models.CharField(max_length=255)),
                ('socket', models.CharField(max_length=64, null=True)),
                ('methods', models.IntegerField(null=True)),
                ('instance', models.CharField(max_length=255, null=True)),
                ('reg_id', models.IntegerField()),
                ('server_id', models.IntegerField()),
                ('connection_id', models.IntegerField()),
                ('keepalive', models.IntegerField()),
                ('partition', models.IntegerField()),
            ],
            options={
                'db_table': 'sip_edge_location',
                'managed': False,
            },
        ),
    ]
