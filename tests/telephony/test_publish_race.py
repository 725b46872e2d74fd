"""Publishing while an admin's change is being committed sees that change whole."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from autoattendant.models import AutoAttendantSystem, Menu
from telephony.models import PublishedRcml
from telephony.rcml.publish import publish
from tests.conftest import make_tenant
from tests.telephony.rcml_support import Attendant


@pytest.mark.django_db(transaction=True)
def test_publish_waiting_for_a_change_sees_the_default_menu_it_created():
    attendant = Attendant.build(make_tenant("race"))
    system = attendant.system
    locked = threading.Event()
    release = threading.Event()
    created = {}

    def admin_change():
        try:
            with transaction.atomic():
                row = AutoAttendantSystem.objects.select_for_update().get(pk=system.pk)
                menu = Menu.objects.create(aa_system=row, name="Main", options=[])
                row.default_menu = menu
                row.config_version += 1
                row.save(update_fields=["default_menu", "config_version"])
                created["menu"] = menu.sid
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=admin_change)
    thread.start()
    assert locked.wait(10)
    timer = threading.Timer(0.5, release.set)  # publish below blocks on the row lock until then
    timer.start()
    version = publish(system.sid)
    thread.join(10)
    plan = PublishedRcml.objects.get(aa_system_sid=system.sid, version=version).plan
    assert plan["defaultMenuSid"] == created["menu"]
