# An account's password, kept as a hash.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0008_restcomm_sids"),
    ]

    operations = [
        migrations.AddField(
            model_name="telephonyaccount",
            name="password",
            field=models.CharField(blank=True, help_text="Django's hash of the account's password.", max_length=128),
        ),
    ]
