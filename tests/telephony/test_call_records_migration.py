"""Call records and voicemail messages moved from the telephony app to the domain: the migrations
change Django's state only, so a database that has rows keeps them, in the same tables."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from autoattendant.models import CallRecord, VoicemailMessage

BEFORE_THE_MOVE = [("autoattendant", "0005_number_import"), ("telephony", "0004_call_records")]
THE_MOVE = [
    ("autoattendant", "0006_call_records_voicemail"),
    ("telephony", "0005_call_records_voicemail_to_autoattendant"),
]


def migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    """Migrate to `targets` (None: to the newest migrations) and return the executor for its state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db
@pytest.mark.parametrize(("app", "name"), THE_MOVE)
def test_the_move_runs_no_sql(app, name):
    statements = [
        line
        for line in call_command("sqlmigrate", app, name).splitlines()
        if line.strip() and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]
    assert statements == []


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it():
    executor = migrate(BEFORE_THE_MOVE)
    try:
        old = executor.loader.project_state(BEFORE_THE_MOVE).apps
        start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
        old.get_model("telephony", "CallRecord").objects.create(
            sid="CA" + "1" * 32,
            call_sid="before-the-move",
            from_number="+14155550100",
            aa_system_sid="AA" + "2" * 32,
            enterprise_sid="EN" + "3" * 32,
            menu_path=["MN" + "4" * 32],
            keys=["1"],
            outcome="COMPLETED",
            start_time=start,
            end_time=start + datetime.timedelta(seconds=30),
        )
        old.get_model("telephony", "VoicemailMessage").objects.create(
            sid="VM" + "5" * 32,
            aa_system_sid="AA" + "2" * 32,
            call_sid="before-the-move",
            caller="+14155550100",
            recording_url="/rcml/recording/RE" + "6" * 32 + ".wav",
            duration_seconds=9,
        )
        assert "CallRecord" not in {m.__name__ for m in old.get_app_config("autoattendant").get_models()}
    finally:
        executor = migrate()

    call = CallRecord.objects.get(call_sid="before-the-move")
    assert (call.sid, call.keys, call.menu_path, call.outcome) == (
        "CA" + "1" * 32,
        ["1"],
        ["MN" + "4" * 32],
        "COMPLETED",
    )
    assert call.end_time - call.start_time == datetime.timedelta(seconds=30)
    message = VoicemailMessage.objects.get(call_sid="before-the-move")
    assert (message.sid, message.duration_seconds) == ("VM" + "5" * 32, 9)
    # The newest state knows them in the domain only, in the tables they always had.
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    assert new.get_model("autoattendant", "CallRecord")._meta.db_table == "telephony_callrecord"
    assert new.get_model("autoattendant", "VoicemailMessage")._meta.db_table == "telephony_voicemailmessage"
    assert not {"callrecord", "voicemailmessage"} & {
        m._meta.model_name for m in new.get_app_config("telephony").get_models()
    }
