"""Phone numbers, the CSV import (its task, progress and per-row report) and the calls list."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from autoattendant.models import CallRecord, NumberImport, PhoneNumber
from autoattendant.services import number_imports
from autoattendant.services.systems import create_system

pytestmark = pytest.mark.django_db

CSV = (
    "number,extension,type,name,clientPassword\n"
    "+14155550100,,,Main line,\n"
    "+14155550201,201,number,Alice,\n"
    "+14155550100,,,Duplicate,\n"  # line 4: the number exists by then
    "+14155550202,201,number,Bob,\n"  # line 5: extension 201 is taken
    "\n"
    "+14155550203,203,client,Carol,\n"  # line 7: a SIP client needs its password
    "+14155550204,204,fax,Dan,\n"  # line 8: no such type
    "+14155550205,205,client,Eve,s3cret-pass\n"
)


@pytest.fixture
def csp(client, tenant):
    client.force_login(tenant.csp_admin)
    return client


def upload(csp, tenant, text: str, name: str = "numbers.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return csp.post("/console/numbers/import/", {"enterprise": tenant.enterprise.sid, "file": file})


def test_import_creates_good_rows_and_reports_the_others(csp, tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = upload(csp, tenant, CSV)
    job = NumberImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/numbers/import/{job.pk}/"
    assert job.total == 7 and job.status == NumberImport.Status.QUEUED and len(queued) == 1  # the task, on commit
    waiting = csp.get(response["Location"])
    assert b'hx-trigger="every 1s"' in waiting.content and b"0 of 7 rows" in waiting.content
    while number_imports.run(job.pk, budget=0.0):  # a zero budget: one row per run, as a busy worker would
        pass
    job.refresh_from_db()
    assert job.status == NumberImport.Status.DONE and job.done == 7 and job.created == 3
    assert [(f["row"], f["code"]) for f in job.failures] == [(4, 510), (5, 522), (7, 495), (8, 400)]
    numbers = set(PhoneNumber.objects.filter(enterprise=tenant.enterprise).values_list("number", flat=True))
    assert numbers == {"+14155550100", "+14155550201", "+14155550205"}
    done = csp.get(f"/console/numbers/import/{job.pk}/")
    assert b"hx-trigger" not in done.content  # no more polling
    assert b"PhoneNumber number already exists (510)" in done.content and b"7 of 7 rows" in done.content


def test_a_second_run_of_the_same_import_creates_nothing_twice(tenant):
    job = number_imports.start_import(tenant.csp_admin, enterprise_sid=tenant.enterprise.sid, data=CSV.encode())
    assert number_imports.run(job.pk, budget=0.0)  # one row, more to do
    NumberImport.objects.filter(pk=job.pk).update(status=NumberImport.Status.RUNNING)  # a redelivered task
    while number_imports.run(job.pk, budget=0.0):
        pass
    assert not number_imports.run(job.pk)
    job.refresh_from_db()
    assert job.created == 3 and len(job.failures) == 4
    assert PhoneNumber.objects.filter(number="+14155550100").count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("phone,extension\n+1555,\n", b"number is required"),
        ("number,colour\n+1555,red\n", b"Unknown columns: colour"),
        ("number\n", b"no rows under its header"),
        ("number\n" + "+14155550100\n" * 90_000, b"The file is larger than 1024 KB."),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_next_to_the_file(csp, tenant, text, message):
    response = upload(csp, tenant, text)
    assert response.status_code == 400 and message in response.content
    assert "file" in response.context["form"].errors and not NumberImport.objects.exists()


def test_another_organisations_import_is_not_found(csp, client, tenant, other_tenant):
    job = number_imports.start_import(
        other_tenant.csp_admin, enterprise_sid=other_tenant.enterprise.sid, data=CSV.encode()
    )
    assert csp.get(f"/console/numbers/import/{job.pk}/").status_code == 404
    client.force_login(tenant.bg_admin)
    assert client.get("/console/numbers/import/").status_code == 403
    assert client.get("/console/numbers/").status_code == 403


def test_numbers_list_create_edit_delete(csp, tenant):
    created = csp.post(
        "/console/numbers/new/",
        {"enterprise": tenant.enterprise.sid, "number": "+15550300", "is_extension": "on", "extension": "300",
         "extension_type": "number", "extension_spoken_name": "Sales desk"},
    )  # fmt: skip
    assert created.status_code == 302
    number = PhoneNumber.objects.get(number="+15550300")
    assert number.is_extension and number.extension == "300"
    again = csp.post("/console/numbers/new/", {"enterprise": tenant.enterprise.sid, "number": "+15550300"})
    assert again.context["form"].errors["number"] == ["PhoneNumber number already exists (510)"]
    listed = csp.get("/console/numbers/?kind=extension&q=sales")
    assert [n.number for n in listed.context["object_list"]] == ["+15550300"]
    edit = csp.post(f"/console/numbers/{number.sid}/", {"extension": "301", "extension_type": "number",
                                                        "extension_spoken_name": "Sales"})  # fmt: skip
    assert edit.status_code == 302
    number.refresh_from_db()
    assert number.extension == "301" and number.extension_spoken_name == "Sales"
    system = create_system(
        tenant.csp_admin, name="S", enterprise_sid=tenant.enterprise.sid, extension_sids=[number.sid]
    )
    refused = csp.post(f"/console/numbers/{number.sid}/delete/", follow=True)
    assert b"(508)" in refused.content and PhoneNumber.objects.filter(pk=number.pk).exists()
    assert system.phone_numbers.count() == 1


def test_calls_list_is_scoped_and_names_the_menus(client, tenant, other_tenant):
    mine = create_system(tenant.csp_admin, name="Front desk", enterprise_sid=tenant.enterprise.sid)
    theirs = create_system(other_tenant.csp_admin, name="Theirs", enterprise_sid=other_tenant.enterprise.sid)
    from autoattendant.services.menus import create_menu

    menu = create_menu(tenant.bg_admin, name="Main", aa_system_sid=mine.sid)
    now = timezone.now()
    for index, (system, enterprise) in enumerate(((mine, tenant.enterprise), (theirs, other_tenant.enterprise))):
        CallRecord.objects.create(
            sid=f"CA{index:032d}", call_sid=f"call-{index}", from_number=f"+1999000{index}", to_number="+15550100",
            aa_system_sid=system.sid, enterprise_sid=enterprise.sid, menu_path=[menu.sid], keys=["1"],
            outcome="TRANSFERRED", start_time=now, end_time=now + datetime.timedelta(seconds=30), duration_seconds=30,
        )  # fmt: skip
    client.force_login(tenant.bg_admin)
    page = client.get(f"/console/calls/?system={mine.sid}")
    assert [c.from_number for c in page.context["calls"]] == ["+19990000"]
    assert page.context["calls"][0].menu_names == ["Main"] and b"Front desk" in page.content
    assert client.get(f"/console/calls/?system={theirs.sid}").status_code == 404
    assert client.get("/console/calls/?outcome=VOICEMAIL").context["calls"] == []
    dashboard = client.get("/console/")
    assert dashboard.context["calls_today"] == 1
