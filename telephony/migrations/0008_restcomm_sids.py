# Restcomm's identifiers become required once every row has one; disabled clients leave the registrar.

from django.db import migrations, models

# A disabled client (Restcomm's Status 0) cannot register: the registrar does not find it.
ENABLED_ONLY = """
CREATE OR REPLACE VIEW sip_edge_subscriber AS
    SELECT id, login AS username, ''::varchar(64) AS domain, password,
           ''::varchar(128) AS ha1, ''::varchar(128) AS ha1b
    FROM telephony_sipclient WHERE enabled;
"""
ALL_CLIENTS = """
CREATE OR REPLACE VIEW sip_edge_subscriber AS
    SELECT id, login AS username, ''::varchar(64) AS domain, password,
           ''::varchar(128) AS ha1, ''::varchar(128) AS ha1b
    FROM telephony_sipclient;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0007_restcomm_api"),
    ]

    operations = [
        migrations.AlterField(
            model_name="gateway",
            name="sid",
            field=models.CharField(editable=False, max_length=40, unique=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="sid",
            field=models.CharField(editable=False, max_length=40, unique=True),
        ),
        migrations.AlterField(
            model_name="numberroute",
            name="sid",
            field=models.CharField(editable=False, max_length=40, unique=True),
        ),
        migrations.AlterField(
            model_name="sipclient",
            name="sid",
            field=models.CharField(editable=False, max_length=40, unique=True),
        ),
        migrations.AlterField(
            model_name="telephonyaccount",
            name="sid",
            field=models.CharField(editable=False, max_length=40, unique=True),
        ),
        migrations.RunSQL(ENABLED_ONLY, ALL_CLIENTS),
    ]
