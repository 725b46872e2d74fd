"""The tenancy walk: every endpoint, called by someone of another tenant, aimed at a tenant's objects.

Another tenant's object must be answered exactly as a missing one: the resource's not-found code
with `data: {"sid": ...}`, never 403, never its data; lists never show it, whatever the filters; and
nothing in the database changes. Where the caller's role may not perform an action at all (a BG_ADMIN
deleting an enterprise), the answer is the role's 403, identical for an existing and a missing SID,
so it tells nothing about the object either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.utils import timezone

from autoattendant.choices import Role
from autoattendant.models import (
    Announcement,
    AutoAttendantSystem,
    CallRecord,
    Enterprise,
    HmacKey,
    Menu,
    NumberImport,
    PhoneNumber,
    Schedule,
    User,
    VoicemailMessage,
)
from autoattendant.models.audit import AuditEntry
from autoattendant.models.base import TenantQuerySet
from autoattendant.services.enterprises import create_enterprise
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.systems import create_system
from autoattendant.services.users import create_user, update_user
from tests.conftest import PASSWORD, Api, Tenant, assert_error, assert_ok

NOT_FOUND = {
    "enterprise": 467,
    "user": 487,
    "phonenumber": 491,
    "system": 490,
    "hmac": 458,
    "announcement": 516,
    "menu": 517,
    "schedule": 526,
    "voicemail": 534,
    "call": 535,
}
PREFIX = {
    "enterprise": "EN",
    "user": "RCS",
    "phonenumber": "PH",
    "system": "AA",
    "hmac": "OHK",
    "announcement": "AN",
    "menu": "MN",
    "schedule": "SC",
    "voicemail": "VM",
    "call": "CA",
}
# Resources without PUT: a key is rotated by POST; a voicemail message is only read and deleted; a
# call record is only read.
NO_UPDATE = {"hmac", "voicemail", "call"}
# Resources without DELETE: call records (the executor posts them; nobody edits history).
NO_DESTROY = {"call"}
# A body each PUT accepts, so that the call reaches the tenant check rather than stopping at validation.
PUT_BODY = {
    "enterprise": {"name": "Hijacked"},
    "user": {"name": "Hijacked"},
    "phonenumber": {"friendlyName": "Hijacked"},
    "system": {"name": "Hijacked"},
    "announcement": {"name": "Hijacked"},
    "menu": {"name": "Hijacked"},
    "schedule": {"name": "Hijacked"},
}
# The actions each role may not perform at all (answered 403 before any object is looked at).
ROLE_FORBIDDEN = {
    Role.CSP_ADMIN: set(),
    Role.BG_ADMIN: {
        ("enterprise", "update"),
        ("enterprise", "destroy"),
        ("phonenumber", "destroy"),
        ("system", "destroy"),
        ("hmac", "list"),
        ("hmac", "retrieve"),
        ("hmac", "destroy"),
    },
    Role.AA_ADMIN: {
        ("announcement", "update"),
        ("announcement", "destroy"),
        ("enterprise", "update"),
        ("enterprise", "destroy"),
        ("phonenumber", "update"),
        ("phonenumber", "destroy"),
        ("user", "destroy"),
        ("system", "destroy"),
        ("hmac", "list"),
        ("hmac", "retrieve"),
        ("hmac", "destroy"),
    },
}


def missing_sid(resource: str) -> str:
    return PREFIX[resource] + uuid.uuid4().hex


@dataclass
class Targets:
    """The first tenant's objects, by resource."""

    sids: dict[str, list[str]] = field(default_factory=dict)

    def all(self) -> set[str]:
        return {sid for sids in self.sids.values() for sid in sids}


@dataclass
class World:
    acme: Tenant
    globex: Tenant
    # acme's first enterprise and everything in it: what the attackers aim at.
    targets: Targets
    aa_number: PhoneNumber
    extension: PhoneNumber
    free_number: PhoneNumber
    system: AutoAttendantSystem
    empty_system: AutoAttendantSystem
    deletable_enterprise: Enterprise
    # A second enterprise of acme's CSP, with its own admins: attackers inside the same CSP.
    sibling: Enterprise
    sibling_bg: User
    sibling_aa: User
    # globex's own objects, for the cross-tenant references.
    globex_number: PhoneNumber
    globex_system: AutoAttendantSystem
    globex_user: User

    def api(self, user: User) -> Api:
        if user.pk == self.globex.csp_admin.pk:
            return self.globex.csp
        return Api(user)


def populate(tenant: Tenant, label: str, digits: str):
    actor = tenant.csp_admin
    aa_number = create_phone_number(
        actor, number=f"+1555{digits}001", enterprise_sid=tenant.enterprise.sid, friendly_name=f"{label} main"
    )
    extension = create_phone_number(
        actor,
        number=f"+1555{digits}101",
        enterprise_sid=tenant.enterprise.sid,
        is_extension=True,
        extension="101",
        extension_spoken_name="Sales",
    )
    free_number = create_phone_number(actor, number=f"+1555{digits}002", enterprise_sid=tenant.enterprise.sid)
    system = create_system(
        actor,
        name=f"{label} reception",
        enterprise_sid=tenant.enterprise.sid,
        aa_number_sids=[aa_number.sid],
        extension_sids=[extension.sid],
    )
    empty_system = create_system(actor, name=f"{label} spare", enterprise_sid=tenant.enterprise.sid)
    update_user(actor, tenant.aa_admin.sid, aa_system_sids=[system.sid])
    return aa_number, extension, free_number, system, empty_system


def issue3_targets(tenant: Tenant, system: AutoAttendantSystem) -> dict[str, list[str]]:
    """An announcement, a menu, a schedule, a voicemail message and a call record of acme's system."""
    announcement = Announcement.objects.create(
        enterprise=tenant.enterprise, name="acme greeting", type="TTS", text="Hello.", status="READY"
    )
    menu = Menu.objects.create(aa_system=system, name="acme main", greeting_announcement=announcement)
    schedule = Schedule.objects.create(
        aa_system=system,
        name="acme hours",
        type="WORK_HOURS",
        menu=menu,
        weekly_ranges=[{"days": ["MON"], "start": "09:00", "end": "17:00"}],
    )
    message = VoicemailMessage.objects.create(
        aa_system_sid=system.sid, caller="+14155550199", recording_url="http://127.0.0.1/m.wav"
    )
    now = timezone.now()
    call = CallRecord.objects.create(
        call_sid=f"tenancy-{system.sid}",
        from_number="+14155550199",
        to_number="+15550100001",
        aa_system_sid=system.sid,
        enterprise_sid=tenant.enterprise.sid,
        outcome="COMPLETED",
        start_time=now,
        end_time=now,
    )
    return {
        "announcement": [announcement.sid],
        "menu": [menu.sid],
        "schedule": [schedule.sid],
        "voicemail": [message.sid],
        "call": [call.sid],
    }


@pytest.fixture
def world(tenant, other_tenant) -> World:
    aa_number, extension, free_number, system, empty_system = populate(tenant, "acme", "0100")
    g_number, _g_ext, _g_free, g_system, _g_empty = populate(other_tenant, "globex", "0200")
    actor = tenant.csp_admin
    deletable = create_enterprise(
        actor,
        name="acme Spare",
        admin={"email_id": "bg@spare.acme.test", "password": PASSWORD, "name": "spare BG"},
    )
    sibling = create_enterprise(
        actor,
        name="acme Sibling",
        admin={"email_id": "bg@sibling.acme.test", "password": PASSWORD, "name": "sibling BG"},
    )
    create_phone_number(actor, number="+15550100900", enterprise_sid=sibling.sid)
    sibling_system = create_system(actor, name="sibling reception", enterprise_sid=sibling.sid)
    sibling_aa = create_user(
        actor,
        email_id="aa@sibling.acme.test",
        password=PASSWORD,
        role=Role.AA_ADMIN,
        enterprise_sid=sibling.sid,
        aa_system_sids=[sibling_system.sid],
    )
    extra_user = create_user(
        actor,
        email_id="aa2@acme.test",
        password=PASSWORD,
        role=Role.AA_ADMIN,
        enterprise_sid=tenant.enterprise.sid,
    )
    targets = Targets(
        {
            "enterprise": [tenant.enterprise.sid, deletable.sid],
            "user": [tenant.csp_admin.sid, tenant.bg_admin.sid, tenant.aa_admin.sid, extra_user.sid],
            "phonenumber": [aa_number.sid, extension.sid, free_number.sid],
            "system": [system.sid, empty_system.sid],
            "hmac": [tenant.hmac_key.sid],
            **issue3_targets(tenant, system),
        }
    )
    return World(
        acme=tenant,
        globex=other_tenant,
        targets=targets,
        aa_number=aa_number,
        extension=extension,
        free_number=free_number,
        system=system,
        empty_system=empty_system,
        deletable_enterprise=deletable,
        sibling=sibling,
        sibling_bg=sibling.admin,
        sibling_aa=sibling_aa,
        globex_number=g_number,
        globex_system=g_system,
        globex_user=other_tenant.bg_admin,
    )


def snapshot() -> dict:
    """Every row the API could touch, in full."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Enterprise,
            User,
            PhoneNumber,
            AutoAttendantSystem,
            HmacKey,
            Announcement,
            Menu,
            Schedule,
            VoicemailMessage,
            CallRecord,
        )
    }
    rows["assignments"] = list(User.aa_systems.through.objects.order_by("pk").values())
    rows["audit"] = AuditEntry.objects.count()  # a refused call writes no audit entry either
    return rows


def attackers(world: World) -> list[tuple[str, User]]:
    """(label, caller): everyone outside acme's first enterprise, in another CSP or in the same one."""
    return [
        ("other CSP admin", world.globex.csp_admin),
        ("other CSP's BG_ADMIN", world.globex.bg_admin),
        ("other CSP's AA_ADMIN", world.globex.aa_admin),
        ("same-CSP BG_ADMIN of another enterprise", world.sibling_bg),
        ("same-CSP AA_ADMIN of another enterprise", world.sibling_aa),
    ]


def single_calls(resource: str, sid: str) -> list[tuple[str, str, str, dict | None]]:
    """(action, method, path, body) of every single-object endpoint of a resource."""
    calls = [("retrieve", "get", f"/autoattendant/{resource}/search/{sid}", None)]
    if resource not in NO_UPDATE:
        calls.append(("update", "put", f"/autoattendant/{resource}/{sid}", PUT_BODY[resource]))
    if resource not in NO_DESTROY:
        calls.append(("destroy", "delete", f"/autoattendant/{resource}/{sid}", None))
    return calls


def call(api: Api, method: str, path: str, body):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, body)


def strip_sid(body: dict) -> dict:
    return {**body, "data": {key: value for key, value in body["data"].items() if key != "sid"}}


@pytest.mark.parametrize(
    "attacker_index",
    range(5),
    ids=[
        "other-csp-admin",
        "other-csp-bg-admin",
        "other-csp-aa-admin",
        "same-csp-bg-admin",
        "same-csp-aa-admin",
    ],
)
def test_single_object_endpoints_answer_not_found(world, attacker_index):
    label, attacker = attackers(world)[attacker_index]
    api = world.api(attacker)
    before = snapshot()
    checked = 0
    for resource, sids in world.targets.sids.items():
        for sid in sids:
            for action, method, path, body in single_calls(resource, sid):
                response = call(api, method, path, body)
                missing = call(api, method, path.replace(sid, missing_sid(resource)), body)
                context = (label, method.upper(), path, response.status_code, response.body)
                assert set(response.body) == {"errorCode", "message", "data"}, context
                if (resource, action) in ROLE_FORBIDDEN[attacker.role]:
                    assert_error(response, 403)
                    assert response.body["data"] == {}, context
                else:
                    assert_error(response, NOT_FOUND[resource])
                    assert response.body["data"] == {"sid": sid}, context
                # Exactly what a SID that exists nowhere gets: status, code, message and shape.
                assert missing.status_code == response.status_code, context
                assert strip_sid(missing.body) == strip_sid(response.body), context
                checked += 1
    # 3 calls per enterprise, user, number, system, announcement, menu, schedule; 2 per key and message;
    # 1 per call record.
    assert checked == (2 + 4 + 3 + 2 + 1 + 1 + 1) * 3 + (1 + 1) * 2 + 1
    assert snapshot() == before


def test_a_csp_admin_sees_its_own_objects(world):
    """The walk above means something: the same calls by the owner find every target."""
    api = world.acme.csp
    for resource, sids in world.targets.sids.items():
        for sid in sids:
            assert assert_ok(api.get(f"/autoattendant/{resource}/search/{sid}"))["sid"] == sid
        listed = {
            item["sid"]
            for item in assert_ok(api.get(f"/autoattendant/{resource}/search", {"pageSize": 1000}))["result"]
        }
        assert set(sids) <= listed
    # And the enterprise admin its enterprise's.
    bg = world.acme.bg
    for resource in ("phonenumber", "system"):
        for sid in world.targets.sids[resource]:
            assert_ok(bg.get(f"/autoattendant/{resource}/search/{sid}"))


LIST_FILTERS = {
    "enterprise": ["name"],
    "user": ["enterpriseSid", "autoAttendantSid"],
    "phonenumber": ["enterpriseSid", "autoAttendantSid"],
    "system": ["enterpriseSid"],
    "hmac": [],
    "announcement": ["enterpriseSid"],
    "menu": ["autoAttendantSid"],
    "schedule": ["autoAttendantSid"],
    "voicemail": ["autoAttendantSid"],
    "call": ["aaSystemSid"],
}


@pytest.mark.parametrize(
    "attacker_index",
    range(5),
    ids=[
        "other-csp-admin",
        "other-csp-bg-admin",
        "other-csp-aa-admin",
        "same-csp-bg-admin",
        "same-csp-aa-admin",
    ],
)
def test_lists_never_contain_another_tenants_objects(world, attacker_index):
    label, attacker = attackers(world)[attacker_index]
    api = world.api(attacker)
    forbidden = world.targets.all()
    acme_enterprise = world.acme.enterprise
    filter_values = {
        "enterpriseSid": acme_enterprise.sid,
        "autoAttendantSid": world.system.sid,
        "aaSystemSid": world.system.sid,
        "name": acme_enterprise.name,
    }
    seen_own = False
    for resource, filters in LIST_FILTERS.items():
        path = f"/autoattendant/{resource}/search"
        queries = [{"pageSize": 1000}] + [{"pageSize": 1000, name: filter_values[name]} for name in filters]
        for query in queries:
            response = api.get(path, query)
            if (resource, "list") in ROLE_FORBIDDEN[attacker.role]:
                assert_error(response, 403)
                continue
            data = assert_ok(response)
            sids = {item["sid"] for item in data["result"]}
            assert not sids & forbidden, (label, path, query, sids & forbidden)
            assert data["total"] == len(data["result"]), (label, path, query)  # the count leaks nothing
            if len(query) > 1:
                assert data["result"] == [] and data["total"] == 0, (label, path, query)
            else:
                seen_own = seen_own or bool(sids)
                # Nothing in the result names acme's first enterprise or its system either.
                text = response.content.decode()
                assert acme_enterprise.sid not in text and world.system.sid not in text, (label, path)
    assert seen_own, "the attacker saw nothing at all: the walk proves nothing"


def test_lists_by_name_do_not_reach_into_another_csp(world):
    data = assert_ok(world.globex.csp.get("/autoattendant/enterprise/search", {"name": "acme"}))
    assert data["result"] == [] and data["total"] == 0


def test_creating_into_another_tenants_enterprise_is_enterprise_not_found(world):
    sibling = Api(world.sibling_bg)  # its auth token issued before the snapshot
    before = snapshot()
    target = world.acme.enterprise.sid
    globex = world.globex.csp
    bodies = {
        "phonenumber": {"number": "+15559990001", "enterpriseSid": target},
        "system": {"name": "Intruder", "enterpriseSid": target},
        "user": {
            "emailId": "intruder@globex.test",
            "password": PASSWORD,
            "role": "BG_ADMIN",
            "enterpriseSid": target,
        },
    }
    for resource, body in bodies.items():
        error = assert_error(globex.post(f"/autoattendant/{resource}", body), 467)
        # The SID asked for, or the request echoed: nothing of acme's.
        assert error["data"] in ({"sid": target}, body), error
    # The same CSP's enterprise admin cannot create users in a sibling enterprise either.
    assert_error(
        sibling.post(
            "/autoattendant/user",
            {
                "emailId": "intruder@sibling.test",
                "password": PASSWORD,
                "role": "AA_ADMIN",
                "enterpriseSid": target,
            },
        ),
        467,
    )
    assert snapshot() == before


def test_references_to_another_tenants_objects_are_not_found(world):
    """Creating or updating one's own objects so that they point at another tenant's: not found."""
    sibling = Api(world.sibling_bg)  # its auth token issued before the snapshot
    before = snapshot()
    globex = world.globex.csp
    own_enterprise = world.globex.enterprise.sid
    # A system from acme's numbers (no enterpriseSid: the numbers would decide it).
    error = assert_error(
        globex.post("/autoattendant/system", {"name": "Grab", "aaNumbers": [world.aa_number.sid]}), 491
    )
    assert world.aa_number.number not in str(error)
    assert_error(
        globex.post(
            "/autoattendant/system",
            {"name": "Grab", "enterpriseSid": own_enterprise, "extensionNumberSids": [world.extension.sid]},
        ),
        491,
    )
    # A number into acme's system.
    assert_error(
        globex.post(
            "/autoattendant/phonenumber",
            {"number": "+15559990002", "enterpriseSid": own_enterprise, "autoAttendantSid": world.system.sid},
        ),
        490,
    )
    # A user assigned acme's system.
    assert_error(
        globex.post(
            "/autoattendant/user",
            {
                "emailId": "grab@globex.test",
                "password": PASSWORD,
                "role": "AA_ADMIN",
                "enterpriseSid": own_enterprise,
                "autoAttendantSids": [world.system.sid],
            },
        ),
        490,
    )
    # Moving one's own objects into acme's enterprise or system.
    assert_error(
        globex.put(
            f"/autoattendant/phonenumber/{world.globex_number.sid}",
            {"enterpriseSid": world.acme.enterprise.sid},
        ),
        467,
    )
    assert_error(
        globex.put(
            f"/autoattendant/phonenumber/{world.globex_number.sid}",
            {"autoAttendantSid": world.empty_system.sid},
        ),
        490,
    )
    assert_error(
        globex.put(f"/autoattendant/system/{world.globex_system.sid}", {"aaNumberSids": [world.free_number.sid]}),
        491,
    )
    assert_error(
        globex.put(f"/autoattendant/user/{world.globex_user.sid}", {"enterpriseSid": world.acme.enterprise.sid}),
        467,
    )
    assert_error(
        globex.put(f"/autoattendant/user/{world.globex.aa_admin.sid}", {"autoAttendantSids": [world.system.sid]}),
        490,
    )
    # Inside one CSP, an enterprise admin cannot reach a sibling enterprise's system.
    assert_error(
        sibling.put(f"/autoattendant/user/{world.sibling_aa.sid}", {"autoAttendantSids": [world.system.sid]}),
        490,
    )
    assert snapshot() == before


def test_hmac_signed_requests_are_scoped_to_the_keys_organisation(world):
    """A request signed with globex's key acts as globex's CSP admin: acme's objects are not found."""
    import time

    from autoattendant.api.authentication import sign

    key = world.globex.hmac_key
    for resource, sids in world.targets.sids.items():
        path = f"/autoattendant/{resource}/search/{sids[0]}"
        timestamp = str(int(time.time()))
        headers = {
            "HTTP_X_AA_KEY_SID": key.sid,
            "HTTP_X_AA_TIMESTAMP": timestamp,
            "HTTP_X_AA_SIGNATURE": sign(key.key, timestamp, "GET", path, b""),
        }
        error = assert_error(Api().get(path, **headers), NOT_FOUND[resource])
        assert error["data"] == {"sid": sids[0]}


def tenant_models() -> list[type]:
    """Every model whose rows are scoped by a TenantQuerySet."""
    return [
        model
        for model in apps.get_app_config("autoattendant").get_models()
        if isinstance(model._default_manager.all(), TenantQuerySet)
    ]


def test_aa_admins_fail_closed_at_the_queryset(world):
    """An AA admin sees the rows of its assigned AA systems; a model with no AA system shows it only
    what the model declares (its enterprise, the enterprise's announcements, itself, its own changes);
    a user of no known role sees nothing at all."""
    models = tenant_models()
    assert {CallRecord, VoicemailMessage, Menu, Schedule, PhoneNumber, AuditEntry, Enterprise} <= set(models)
    acme = world.acme
    unassigned = create_user(
        acme.csp_admin, email_id="unassigned@acme.test", password=PASSWORD, role=Role.AA_ADMIN,
        enterprise_sid=acme.enterprise.sid,
    )  # fmt: skip
    NumberImport.objects.create(
        organisation=acme.csp_admin.organisation, enterprise=acme.enterprise, actor=acme.csp_admin
    )
    declared = {
        Enterprise: {acme.enterprise.pk},
        Announcement: set(Announcement.objects.filter(enterprise=acme.enterprise).values_list("pk", flat=True)),
        User: {unassigned.pk},
    }
    for model in models:
        assert model.objects.visible_to(acme.csp_admin).exists(), model  # there is something to hide
        visible = set(model.objects.visible_to(unassigned).values_list("pk", flat=True))
        assert visible == declared.get(model, set()), model
    # The AA admin assigned acme's reception sees that system's rows, and no other system's.
    assigned = acme.aa_admin
    assert set(AutoAttendantSystem.objects.visible_to(assigned)) == {world.system}
    assert set(PhoneNumber.objects.visible_to(assigned)) == {world.aa_number, world.extension}
    for model, resource in (
        (Menu, "menu"),
        (Schedule, "schedule"),
        (VoicemailMessage, "voicemail"),
        (CallRecord, "call"),
    ):
        assert set(model.objects.visible_to(assigned).values_list("sid", flat=True)) == set(
            world.targets.sids[resource]
        )
    assert not AuditEntry.objects.visible_to(assigned).exclude(actor=assigned).exists()
    # A role the portal does not know (a row edited by hand) fails closed everywhere.
    assigned.role = "AUDITOR"
    for model in models:
        assert not model.objects.visible_to(assigned).exists(), model
