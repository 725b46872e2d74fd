# Call records and voicemail messages moved to the autoattendant app (its migration 0006 took them
# over with their tables): the telephony app forgets them without dropping anything.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('telephony', '0004_call_records'),
        ('autoattendant', '0006_call_records_voicemail'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Named as the tables they keep, so the state says so before the models leave.
                migrations.AlterModelTable(name='CallRecord', table='telephony_callrecord'),
                migrations.AlterModelTable(name='VoicemailMessage', table='telephony_voicemailmessage'),
                migrations.DeleteModel(name='CallRecord'),
                migrations.DeleteModel(name='VoicemailMessage'),
            ],
            database_operations=[],
        ),
    ]
