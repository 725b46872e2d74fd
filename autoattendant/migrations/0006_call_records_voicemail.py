# Call records and voicemail messages become domain models. Their tables stay as the telephony app
# created them (db_table): this migration only tells Django's state where the models live now, and
# telephony 0005 forgets them there. On an existing database it changes no table and no row.

import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('autoattendant', '0005_number_import'),
        # The tables themselves, created by the telephony app.
        ('telephony', '0004_call_records'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='VoicemailMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sid', models.CharField(editable=False, max_length=40, unique=True)),
                        ('aa_system_sid', models.CharField(db_index=True, max_length=40)),
                        ('extension_sid', models.CharField(blank=True, db_index=True, help_text='Empty: the general box.', max_length=40)),
                        ('call_sid', models.CharField(blank=True, max_length=64)),
                        ('caller', models.CharField(blank=True, max_length=128)),
                        ('recording_url', models.CharField(max_length=500)),
                        ('duration_seconds', models.PositiveIntegerField(default=0)),
                        ('date_created', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        'db_table': 'telephony_voicemailmessage',
                        'ordering': ['-date_created', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='CallRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sid', models.CharField(editable=False, max_length=40, unique=True)),
                        ('call_sid', models.CharField(help_text='The SIP Call-ID.', max_length=255, unique=True)),
                        ('from_number', models.CharField(blank=True, max_length=255)),
                        ('to_number', models.CharField(blank=True, max_length=255)),
                        ('aa_system_sid', models.CharField(blank=True, help_text='Empty: a number in no AA system.', max_length=40)),
                        ('enterprise_sid', models.CharField(blank=True, help_text="The AA system's, when the call arrived.", max_length=40)),
                        ('menu_path', models.JSONField(blank=True, default=list, help_text='The menus the caller walked, in order.')),
                        ('keys', models.JSONField(blank=True, default=list, help_text='Each entry the caller made, in order.')),
                        ('outcome', models.CharField(choices=[('COMPLETED', 'The call flow ended and the system hung up'), ('CALLER_HANGUP', 'The caller hung up during the menus'), ('TRANSFERRED', 'A transfer (Dial) was answered'), ('VOICEMAIL', 'The caller left a voicemail message'), ('CANCELLED', 'The caller gave up before the call was answered'), ('REJECTED', 'Rejected: unknown number, inactive system, or an RCML Reject'), ('FAILED', 'Failed: portal unreachable, no ACK, media timeout or an internal error')], max_length=16)),
                        ('dial_status', models.CharField(blank=True, max_length=32)),
                        ('transfer_target', models.CharField(blank=True, max_length=255)),
                        ('start_time', models.DateTimeField()),
                        ('answer_time', models.DateTimeField(blank=True, null=True)),
                        ('end_time', models.DateTimeField()),
                        ('duration_seconds', models.PositiveIntegerField(default=0, help_text='From answer to end; 0 if never answered.')),
                        ('executor', models.CharField(blank=True, help_text='Host name of the executor that ran it.', max_length=255)),
                        ('hangup_cause', models.CharField(blank=True, max_length=500)),
                        ('date_created', models.DateTimeField(auto_now_add=True)),
                        ('date_updated', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'telephony_callrecord',
                        'ordering': ['-start_time', '-id'],
                        'indexes': [models.Index(fields=['enterprise_sid', '-start_time'], name='call_record_enterprise_start'), models.Index(fields=['aa_system_sid', '-start_time'], name='call_record_system_start'), models.Index(fields=['outcome', '-start_time'], name='call_record_outcome_start'), models.Index(fields=['-start_time'], name='call_record_start'), django.contrib.postgres.indexes.GinIndex(fields=['from_number'], name='call_record_from_trgm', opclasses=['gin_trgm_ops']), django.contrib.postgres.indexes.GinIndex(fields=['to_number'], name='call_record_to_trgm', opclasses=['gin_trgm_ops'])],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
