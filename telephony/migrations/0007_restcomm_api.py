# The Restcomm API's resources: accounts above accounts, numbers and clients with their voice URLs,
# gateways, recordings, notifications, and what the restcomm backend created remotely.

import django.db.models.deletion
import telephony.models
import secrets
import uuid

from django.db import migrations, models


def fill_sids(apps, schema_editor):
    """Existing accounts, numbers and clients get their Restcomm SIDs; each CSP its account, above its
    enterprises' accounts."""
    Account = apps.get_model("telephony", "TelephonyAccount")
    for model, prefix in (
        (Account, "AC"),
        (apps.get_model("telephony", "NumberRoute"), "PN"),
        (apps.get_model("telephony", "SipClient"), "CL"),
    ):
        for row in model.objects.filter(sid__isnull=True).only("pk"):
            model.objects.filter(pk=row.pk).update(sid=f"{prefix}{uuid.uuid4().hex}")
    Organisation = apps.get_model("autoattendant", "Organisation")
    for organisation in Organisation.objects.all():
        csp = Account.objects.create(
            sid=f"AC{uuid.uuid4().hex}",
            organisation_sid=organisation.sid,
            friendly_name=organisation.name,
            role="Administrator",
            auth_token=secrets.token_hex(16),
        )
        Account.objects.filter(organisation_sid=organisation.sid, enterprise_sid__isnull=False).update(parent=csp)


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0006_sip_edge_tables"),
        ("autoattendant", "0008_restcomm_api"),
    ]

    operations = [
        migrations.CreateModel(
            name="Gateway",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sid", models.CharField(editable=False, max_length=40, null=True)),
                ("friendly_name", models.CharField(blank=True, max_length=200)),
                ("user_name", models.CharField(blank=True, max_length=128)),
                ("password", models.CharField(blank=True, max_length=128)),
                ("proxy", models.CharField(max_length=255)),
                ("register", models.BooleanField(default=False)),
                ("ttl", models.PositiveIntegerField(default=3600)),
                ("date_created", models.DateTimeField(auto_now_add=True)),
                ("date_updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sid", models.CharField(editable=False, max_length=40, null=True)),
                ("account_sid", models.CharField(blank=True, db_index=True, max_length=40)),
                ("call_sid", models.CharField(blank=True, db_index=True, max_length=64)),
                ("api_version", models.CharField(default="2012-04-24", max_length=16)),
                ("log", models.PositiveSmallIntegerField(default=0)),
                ("error_code", models.PositiveIntegerField(default=0)),
                ("more_info", models.CharField(blank=True, max_length=500)),
                ("message_text", models.TextField(blank=True)),
                ("message_date", models.DateTimeField()),
                ("request_url", models.CharField(blank=True, max_length=1000)),
                ("request_method", models.CharField(blank=True, max_length=8)),
                ("request_variables", models.TextField(blank=True)),
                ("response_headers", models.TextField(blank=True)),
                ("response_body", models.TextField(blank=True)),
                ("date_created", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("date_updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Recording",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sid", models.CharField(max_length=40, unique=True)),
                ("account_sid", models.CharField(blank=True, db_index=True, max_length=40)),
                ("call_sid", models.CharField(blank=True, db_index=True, max_length=64)),
                ("duration", models.FloatField(default=0)),
                ("date_created", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("date_updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="RestcommLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("account", "account"), ("number", "number"), ("client", "client")], max_length=16
                    ),
                ),
                ("portal_sid", models.CharField(max_length=40)),
                ("remote_sid", models.CharField(max_length=40)),
                ("remote_account_sid", models.CharField(blank=True, max_length=40)),
                ("auth_token", models.CharField(blank=True, max_length=64)),
                ("date_created", models.DateTimeField(auto_now_add=True)),
                ("date_updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddField(
            model_name="numberroute",
            name="api_version",
            field=models.CharField(default="2012-04-24", max_length=16),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="friendly_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="sid",
            field=models.CharField(editable=False, max_length=40, null=True),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="status_callback",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="status_callback_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="voice_caller_id_lookup",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="voice_fallback_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="voice_fallback_url",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="voice_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="numberroute",
            name="voice_url",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="api_version",
            field=models.CharField(default="2012-04-24", max_length=16),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="enabled",
            field=models.BooleanField(default=True, help_text="Restcomm's Status: 1 enabled, 0 disabled."),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="friendly_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="sid",
            field=models.CharField(editable=False, max_length=40, null=True),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="status_callback",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="status_callback_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="voice_fallback_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="voice_fallback_url",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="voice_method",
            field=models.CharField(default="POST", max_length=4),
        ),
        migrations.AddField(
            model_name="sipclient",
            name="voice_url",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="auth_token",
            field=models.CharField(default=telephony.models.new_auth_token, max_length=64),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="date_updated",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="email_address",
            field=models.CharField(blank=True, max_length=254, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="telephony.telephonyaccount",
            ),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="role",
            field=models.CharField(default="Developer", max_length=64),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="sid",
            field=models.CharField(editable=False, max_length=40, null=True),
        ),
        migrations.AddField(
            model_name="telephonyaccount",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("suspended", "Suspended"), ("closed", "Closed")],
                default="active",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="numberroute",
            name="phone_number_sid",
            field=models.CharField(blank=True, max_length=40, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="sipclient",
            name="phone_number_sid",
            field=models.CharField(blank=True, max_length=40, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="telephonyaccount",
            name="enterprise_sid",
            field=models.CharField(blank=True, max_length=40, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="telephonyaccount",
            name="organisation_sid",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.AddConstraint(
            model_name="telephonyaccount",
            constraint=models.UniqueConstraint(
                models.F("organisation_sid"),
                condition=models.Q(
                    ("enterprise_sid__isnull", True),
                    ("parent__isnull", True),
                    models.Q(("organisation_sid", ""), _negated=True),
                ),
                name="telephony_account_one_per_csp",
            ),
        ),
        migrations.AddField(
            model_name="gateway",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="gateways", to="telephony.telephonyaccount"
            ),
        ),
        migrations.AddConstraint(
            model_name="restcommlink",
            constraint=models.UniqueConstraint(
                models.F("kind"), models.F("portal_sid"), name="restcomm_link_one_per_object"
            ),
        ),
        migrations.RunPython(fill_sids, migrations.RunPython.noop),
    ]
