# A call's Restcomm account, direction and parent leg.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("autoattendant", "0007_call_record_in_progress"),
    ]

    operations = [
        migrations.AddField(
            model_name="callrecord",
            name="account_sid",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="The telephony (Restcomm) account the call belongs to.",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="callrecord",
            name="direction",
            field=models.CharField(
                default="inbound", help_text="Restcomm's: inbound, outbound-api or outbound-dial.", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="callrecord",
            name="parent_call_sid",
            field=models.CharField(blank=True, help_text="The call that created this leg.", max_length=64),
        ),
    ]
