"""The user resource: CRUD, filters and the role rules of who may manage whom."""

from __future__ import annotations

import pytest

from autoattendant.choices import Role
from autoattendant.models import AuditEntry, User
from tests.api.objects import create_enterprise, create_system
from tests.api.resource_cases import CrudCases
from tests.conftest import PASSWORD, Api, assert_error, assert_ok

USER = "/autoattendant/user"
SEARCH = f"{USER}/search"
USER_FIELDS = {
    "sid",
    "dateUpdated",
    "dateCreated",
    "accountEmail",
    "uri",
    "emailId",
    "status",
    "role",
    "name",
    "enterpriseSid",
    "autoAttendantSids",
}
NEW_PASSWORD = "s3cret-enough"


def user_body(email: str, role: str = "AA_ADMIN", enterprise_sid: str | None = None, **extra) -> dict:
    body = {"name": email.split("@")[0], "emailId": email, "password": NEW_PASSWORD, "role": role, **extra}
    if enterprise_sid is not None:
        body["enterpriseSid"] = enterprise_sid
    return body


def create_user(api: Api, email: str, role: str = "AA_ADMIN", enterprise_sid: str | None = None, **extra) -> dict:
    return assert_ok(api.post(USER, user_body(email, role, enterprise_sid, **extra)), 201)


def as_user(sid: str) -> Api:
    return Api(User.objects.get(sid=sid))


def search(api: Api, **params) -> list[str]:
    return [row["emailId"] for row in assert_ok(api.get(SEARCH, {"pageSize": 100, **params}))["result"]]


class TestUserResource(CrudCases):
    path = USER
    prefix = "RCS"
    model = User
    fields = USER_FIELDS
    not_found_code = 487
    not_found_message = "Auto Attendant user Id not found"
    creators = ("csp", "bg")
    # An AA admin sees only itself: another user is not found.
    refused = {"create": {"aa": 403}, "read": {"aa": 487}, "update": {"aa": 487}, "delete": {"aa": 403}}
    echoed = ("name", "emailId", "role", "enterpriseSid")
    sort_field = filter_field = "emailId"
    update_data = {"name": "Renamed"}

    def owner(self, tenant):
        return tenant

    def create_body(self, owner, index):
        domain = owner.csp_admin.email_id.split("@")[1]  # emails are unique across CSPs
        return user_body(f"user{index}@{domain}", "AA_ADMIN", owner.enterprise.sid)


# Create


def test_create_returns_the_user(tenant):
    data = create_user(tenant.csp, "jane.doe@acme.test", "AA_ADMIN", tenant.enterprise.sid, status="ACTIVE")
    assert data["emailId"] == "jane.doe@acme.test"
    assert data["name"] == "jane.doe"
    assert data["role"] == "AA_ADMIN"
    assert data["status"] == "ACTIVE"
    assert data["enterpriseSid"] == tenant.enterprise.sid
    assert data["autoAttendantSids"] == []
    assert data["accountEmail"] == tenant.csp_admin.email_id
    assert "password" not in data
    user = User.objects.get(sid=data["sid"])
    assert user.check_password(NEW_PASSWORD) and user.password != NEW_PASSWORD
    # The new user can sign in with the password it was given.
    assert assert_ok(as_user(data["sid"]).get(f"{SEARCH}/{data['sid']}"))["emailId"] == "jane.doe@acme.test"


def test_enterprise_admin_role_is_accepted_as_bg_admin(tenant):
    data = create_user(tenant.csp, "ea@acme.test", "ENTERPRISE_ADMIN", tenant.enterprise.sid)
    assert data["role"] == "BG_ADMIN"
    assert User.objects.get(sid=data["sid"]).role == Role.BG_ADMIN


def test_status_defaults_to_active_and_can_be_given(tenant):
    assert create_user(tenant.csp, "a@acme.test", enterprise_sid=tenant.enterprise.sid)["status"] == "ACTIVE"
    suspended = create_user(tenant.csp, "s@acme.test", enterprise_sid=tenant.enterprise.sid, status="SUSPENDED")
    assert suspended["status"] == "SUSPENDED"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"emailId", "password", "role"}),
        ({"emailId": "not-an-email", "password": NEW_PASSWORD, "role": "AA_ADMIN"}, {"emailId"}),
        ({"emailId": "a@acme.test", "password": "short", "role": "AA_ADMIN"}, {"password"}),
        ({"emailId": "a" * 250 + "@acme.test", "password": NEW_PASSWORD, "role": "AA_ADMIN"}, {"emailId"}),
        ({"emailId": "a@acme.test", "password": NEW_PASSWORD, "role": "SUPERUSER"}, {"role"}),
        (
            {"emailId": "a@acme.test", "password": NEW_PASSWORD, "role": "AA_ADMIN", "status": "SLEEPING"},
            {"status"},
        ),
        (
            {
                "emailId": "a@acme.test",
                "password": NEW_PASSWORD,
                "role": "AA_ADMIN",
                "autoAttendantSids": "AA1",
            },
            {"autoAttendantSids"},
        ),
    ],
)
def test_create_validation_is_400_with_field_errors(tenant, body, fields):
    before = User.objects.count()
    error = assert_error(tenant.csp.post(USER, {"enterpriseSid": tenant.enterprise.sid, **body}), 400)
    assert set(error["errors"]) == fields, error["errors"]
    assert User.objects.count() == before


def test_enterprise_user_without_enterprise_is_521_for_a_csp_admin(tenant):
    error = assert_error(tenant.csp.post(USER, user_body("x@acme.test", "BG_ADMIN")), 521)
    assert "enterpriseSid" in error["errors"]
    assert not User.objects.filter(email_id="x@acme.test").exists()


def test_email_is_unique_484(tenant, other_tenant):
    create_user(tenant.csp, "dup@acme.test", enterprise_sid=tenant.enterprise.sid)
    error = assert_error(tenant.csp.post(USER, user_body("DUP@acme.test", enterprise_sid=tenant.enterprise.sid)), 484)
    assert error["data"]["emailId"] == "DUP@acme.test"
    # Unique across CSPs too: an email signs in to one user.
    assert_error(
        other_tenant.csp.post(USER, user_body("dup@acme.test", enterprise_sid=other_tenant.enterprise.sid)),
        484,
    )
    assert User.objects.filter(email_id__iexact="dup@acme.test").count() == 1


# Role rules: create


@pytest.mark.parametrize("role", ["BG_ADMIN", "AA_ADMIN"])
def test_csp_admin_creates_enterprise_users_in_its_enterprises(tenant, role):
    second = create_enterprise(tenant.csp, "Second", "bg2@acme.test")
    data = create_user(tenant.csp, f"{role.lower()}@acme.test", role, second["sid"])
    assert data["role"] == role and data["enterpriseSid"] == second["sid"]


def test_csp_admin_cannot_create_in_another_csps_enterprise(tenant, other_tenant):
    body = user_body("intruder@acme.test", "BG_ADMIN", other_tenant.enterprise.sid)
    error = assert_error(tenant.csp.post(USER, body), 467)
    assert error["data"] == {"sid": other_tenant.enterprise.sid}
    assert_error(tenant.csp.post(USER, user_body("nowhere@acme.test", "AA_ADMIN", "EN" + "0" * 32)), 467)
    assert not User.objects.filter(email_id__in=["intruder@acme.test", "nowhere@acme.test"]).exists()


@pytest.mark.parametrize("role", ["BG_ADMIN", "AA_ADMIN"])
def test_bg_admin_creates_users_in_its_own_enterprise(tenant, role):
    implicit = create_user(tenant.bg, f"implicit-{role.lower()}@acme.test", role)
    explicit = create_user(tenant.bg, f"explicit-{role.lower()}@acme.test", role, tenant.enterprise.sid)
    for data in (implicit, explicit):
        assert data["role"] == role
        assert data["enterpriseSid"] == tenant.enterprise.sid
        assert data["accountEmail"] == tenant.bg_admin.email_id


def test_bg_admin_cannot_create_a_csp_admin_519(tenant):
    error = assert_error(tenant.bg.post(USER, user_body("boss@acme.test", "CSP_ADMIN")), 519)
    assert error["data"]["emailId"] == "boss@acme.test"
    assert "password" in error["data"]  # the request is echoed as it came
    assert not User.objects.filter(email_id="boss@acme.test").exists()


def test_bg_admin_cannot_create_in_another_enterprise_467(tenant, other_tenant):
    sibling = create_enterprise(tenant.csp, "Sibling", "bg.sibling@acme.test")
    for sid in (sibling["sid"], other_tenant.enterprise.sid):
        assert_error(tenant.bg.post(USER, user_body(f"x-{sid}@acme.test", "AA_ADMIN", sid)), 467)
    assert User.objects.filter(enterprise__sid=sibling["sid"]).count() == 1


def test_aa_admin_creates_no_users_403(tenant):
    for role in ("AA_ADMIN", "BG_ADMIN"):
        assert_error(tenant.aa.post(USER, user_body(f"{role}@acme.test", role, tenant.enterprise.sid)), 403)
    assert not User.objects.filter(email_id__endswith="_ADMIN@acme.test").exists()


# Read and search


def test_get_single(tenant):
    data = assert_ok(tenant.csp.get(f"{SEARCH}/{tenant.aa_admin.sid}"))
    assert data["emailId"] == tenant.aa_admin.email_id and data["role"] == "AA_ADMIN"


def test_search_scope_by_role(tenant, other_tenant):
    create_enterprise(tenant.csp, "Sibling", "bg.sibling@acme.test")
    acme = {
        tenant.csp_admin.email_id,
        tenant.bg_admin.email_id,
        tenant.aa_admin.email_id,
        "bg.sibling@acme.test",
    }
    assert set(search(tenant.csp)) == acme
    assert set(search(tenant.bg)) == {tenant.bg_admin.email_id, tenant.aa_admin.email_id}
    assert search(tenant.aa) == [tenant.aa_admin.email_id]
    assert_error(tenant.bg.get(f"{SEARCH}/{tenant.csp_admin.sid}"), 487)
    sibling_admin = User.objects.get(email_id="bg.sibling@acme.test").sid
    assert_error(tenant.bg.get(f"{SEARCH}/{sibling_admin}"), 487)
    assert_error(tenant.aa.get(f"{SEARCH}/{tenant.bg_admin.sid}"), 487)


@pytest.fixture
def people(tenant):
    """A few users of two enterprises of the tenant's CSP."""
    second = create_enterprise(tenant.csp, "Second", "boss@second.test")
    create_user(tenant.csp, "alice.smith@acme.test", "AA_ADMIN", tenant.enterprise.sid, name="Alice Smith")
    create_user(tenant.csp, "bob.jones@acme.test", "BG_ADMIN", tenant.enterprise.sid, name="Bob Jones")
    create_user(tenant.csp, "carol@second.test", "AA_ADMIN", second["sid"], name="Carol Smithers", status="SUSPENDED")
    return second


def test_search_filters(tenant, people):
    csp = tenant.csp
    assert set(search(csp, name="smith")) == {"alice.smith@acme.test", "carol@second.test"}
    assert set(search(csp, Name="SMITH")) == {"alice.smith@acme.test", "carol@second.test"}
    assert search(csp, name="bob jones") == ["bob.jones@acme.test"]
    assert set(search(csp, emailId="second.test")) == {"boss@second.test", "carol@second.test"}
    assert search(csp, emailId="ALICE") == ["alice.smith@acme.test"]
    assert set(search(csp, role="BG_ADMIN")) == {
        tenant.bg_admin.email_id,
        "bob.jones@acme.test",
        "boss@second.test",
    }
    assert set(search(csp, role="ENTERPRISE_ADMIN")) == set(search(csp, role="BG_ADMIN"))
    assert search(csp, role="CSP_ADMIN") == [tenant.csp_admin.email_id]
    assert search(csp, role="NOT_A_ROLE") == []
    assert search(csp, status="SUSPENDED") == ["carol@second.test"]
    assert "carol@second.test" not in search(csp, status="ACTIVE")
    assert set(search(csp, enterpriseSid=people["sid"])) == {"boss@second.test", "carol@second.test"}
    assert set(search(csp, enterpriseSid=tenant.enterprise.sid)) == {
        tenant.bg_admin.email_id,
        tenant.aa_admin.email_id,
        "alice.smith@acme.test",
        "bob.jones@acme.test",
    }
    assert search(csp, role="AA_ADMIN", enterpriseSid=people["sid"], name="carol") == ["carol@second.test"]
    assert search(csp, enterpriseSid="EN" + "0" * 32) == []


def test_filters_apply_inside_the_scope(tenant, other_tenant, people):
    # A BG admin filtering by another enterprise gets nothing of it.
    assert search(tenant.bg, enterpriseSid=people["sid"]) == []
    assert search(tenant.bg, enterpriseSid=other_tenant.enterprise.sid) == []
    assert search(tenant.csp, emailId="globex") == []


def test_search_by_an_unknown_status_is_400(tenant):
    assert "status" in assert_error(tenant.csp.get(SEARCH, {"status": "SLEEPING"}), 400)["errors"]


# Update


def test_update_name_status_and_email(tenant):
    sid = tenant.aa_admin.sid
    data = assert_ok(tenant.csp.put(f"{USER}/{sid}", {"name": "Renamed", "emailId": "renamed@acme.test"}))
    assert data["name"] == "Renamed" and data["emailId"] == "renamed@acme.test"
    assert data["role"] == "AA_ADMIN" and data["enterpriseSid"] == tenant.enterprise.sid
    user = User.objects.get(sid=sid)
    assert (user.name, user.email_id) == ("Renamed", "renamed@acme.test")
    entry = AuditEntry.objects.get(object_sid=sid, action="update")
    assert entry.before["name"] == "acme AA" and entry.after["name"] == "Renamed"


def test_update_password(tenant):
    sid = tenant.aa_admin.sid
    assert_ok(tenant.bg.put(f"{USER}/{sid}", {"password": "another-pass-1"}))
    user = User.objects.get(sid=sid)
    assert user.check_password("another-pass-1") and not user.check_password(PASSWORD)


def test_update_to_a_taken_email_is_484(tenant):
    sid = tenant.aa_admin.sid
    assert_error(tenant.csp.put(f"{USER}/{sid}", {"emailId": tenant.bg_admin.email_id.upper()}), 484)
    assert User.objects.get(sid=sid).email_id == tenant.aa_admin.email_id
    # Its own email in another case is not a clash.
    assert_ok(tenant.csp.put(f"{USER}/{sid}", {"emailId": tenant.aa_admin.email_id.upper()}))


def test_update_validation_is_400(tenant):
    sid = tenant.aa_admin.sid
    assert "emailId" in assert_error(tenant.csp.put(f"{USER}/{sid}", {"emailId": "nope"}), 400)["errors"]
    assert "role" in assert_error(tenant.csp.put(f"{USER}/{sid}", {"role": "GOD"}), 400)["errors"]
    too_long = "a" * 250 + "@acme.test"
    assert "emailId" in assert_error(tenant.csp.put(f"{USER}/{sid}", {"emailId": too_long}), 400)["errors"]
    assert User.objects.get(sid=sid).email_id == tenant.aa_admin.email_id


def test_sids_with_a_nul_byte_in_a_body_are_refused(tenant):
    error = assert_error(tenant.csp.post(USER, user_body("nul@acme.test", enterprise_sid="EN\x00")), 400)
    assert "enterpriseSid" in error["errors"]
    body = user_body("nul@acme.test", enterprise_sid=tenant.enterprise.sid, autoAttendantSids=["AA\x00"])
    assert "autoAttendantSids" in assert_error(tenant.csp.post(USER, body), 400)["errors"]


def test_bg_admin_cannot_promote_to_csp_admin_519(tenant):
    sid = tenant.aa_admin.sid
    assert_error(tenant.bg.put(f"{USER}/{sid}", {"role": "CSP_ADMIN"}), 519)
    assert User.objects.get(sid=sid).role == Role.AA_ADMIN


def test_nobody_changes_their_own_role_519(tenant):
    assert_error(tenant.bg.put(f"{USER}/{tenant.bg_admin.sid}", {"role": "AA_ADMIN"}), 519)
    assert_error(tenant.aa.put(f"{USER}/{tenant.aa_admin.sid}", {"role": "BG_ADMIN"}), 519)
    assert User.objects.get(pk=tenant.bg_admin.pk).role == Role.BG_ADMIN
    assert User.objects.get(pk=tenant.aa_admin.pk).role == Role.AA_ADMIN


def test_enterprise_admin_cannot_be_demoted_501(tenant):
    assert_error(tenant.csp.put(f"{USER}/{tenant.bg_admin.sid}", {"role": "AA_ADMIN"}), 501)
    assert User.objects.get(pk=tenant.bg_admin.pk).role == Role.BG_ADMIN


def test_aa_admin_cannot_change_another_user(tenant):
    for sid in (tenant.bg_admin.sid, tenant.csp_admin.sid):
        assert_error(tenant.aa.put(f"{USER}/{sid}", {"name": "Hacked"}), 487)
    colleague = create_user(tenant.csp, "colleague@acme.test", "AA_ADMIN", tenant.enterprise.sid)
    assert_error(tenant.aa.put(f"{USER}/{colleague['sid']}", {"name": "Hacked"}), 487)
    assert not User.objects.filter(name="Hacked").exists()
    # Its own profile it may change.
    assert assert_ok(tenant.aa.put(f"{USER}/{tenant.aa_admin.sid}", {"name": "Me"}))["name"] == "Me"


def test_bg_admin_cannot_move_a_user_to_another_enterprise(tenant, other_tenant):
    sibling = create_enterprise(tenant.csp, "Sibling", "bg.sibling@acme.test")
    sid = tenant.aa_admin.sid
    assert_error(tenant.bg.put(f"{USER}/{sid}", {"enterpriseSid": sibling["sid"]}), 467)
    assert_error(tenant.bg.put(f"{USER}/{sid}", {"enterpriseSid": other_tenant.enterprise.sid}), 467)
    assert User.objects.get(sid=sid).enterprise_id == tenant.enterprise.pk


# Status


def test_suspended_user_cannot_authenticate_401(tenant):
    sid = create_user(tenant.csp, "sleepy@acme.test", "AA_ADMIN", tenant.enterprise.sid, status="SUSPENDED")["sid"]
    assert_error(as_user(sid).get(f"{SEARCH}/{sid}"), 401)

    assert_ok(tenant.bg.put(f"{USER}/{tenant.aa_admin.sid}", {"status": "SUSPENDED"}))
    assert_error(tenant.aa.get(SEARCH), 401)
    assert_ok(tenant.bg.put(f"{USER}/{tenant.aa_admin.sid}", {"status": "ACTIVE"}))
    assert_ok(tenant.aa.get(SEARCH))


# Delete


def test_bg_admin_deletes_a_user_of_its_enterprise(tenant):
    data = create_user(tenant.bg, "leaver@acme.test", "AA_ADMIN")
    deleted = assert_ok(tenant.bg.delete(f"{USER}/{data['sid']}"))
    assert deleted["sid"] == data["sid"] and deleted["emailId"] == "leaver@acme.test"
    assert deleted["role"] == "AA_ADMIN" and deleted["status"] == "ACTIVE"
    assert not User.objects.filter(sid=data["sid"]).exists()
    entry = AuditEntry.objects.get(object_sid=data["sid"], action="delete")
    assert entry.before["email_id"] == "leaver@acme.test" and entry.after is None
    assert_error(tenant.bg.delete(f"{USER}/{data['sid']}"), 487)


def test_bg_admin_cannot_see_its_csp_admin_to_delete_it(tenant):
    assert_error(tenant.bg.delete(f"{USER}/{tenant.csp_admin.sid}"), 487)
    assert User.objects.filter(pk=tenant.csp_admin.pk).exists()


def test_delete_enterprise_admin_is_501(tenant):
    error = assert_error(tenant.csp.delete(f"{USER}/{tenant.bg_admin.sid}"), 501)
    assert error["message"] == "The user is an enterprise admin"
    assert error["data"] == {"sid": tenant.bg_admin.sid}
    assert User.objects.filter(pk=tenant.bg_admin.pk).exists()
    # Another BG admin of the enterprise may not remove it either.
    other_bg = create_user(tenant.csp, "bg2@acme.test", "BG_ADMIN", tenant.enterprise.sid)
    assert_error(as_user(other_bg["sid"]).delete(f"{USER}/{tenant.bg_admin.sid}"), 501)


@pytest.mark.parametrize("role", ["csp", "bg"])
def test_deleting_yourself_is_520(tenant, role):
    user = {"csp": tenant.csp_admin, "bg": tenant.bg_admin}[role]
    error = assert_error(getattr(tenant, role).delete(f"{USER}/{user.sid}"), 520)
    assert error["data"] == {"sid": user.sid}
    assert User.objects.filter(pk=user.pk).exists()


def test_aa_admin_cannot_delete_itself_403(tenant):
    assert_error(tenant.aa.delete(f"{USER}/{tenant.aa_admin.sid}"), 403)
    assert User.objects.filter(sid=tenant.aa_admin.sid).exists()


def test_bg_admin_deletes_another_bg_admin_of_its_enterprise(tenant):
    other_bg = create_user(tenant.csp, "bg2@acme.test", "BG_ADMIN", tenant.enterprise.sid)
    assert assert_ok(tenant.bg.delete(f"{USER}/{other_bg['sid']}"))["role"] == "BG_ADMIN"


# AA system assignment


def test_aa_admin_is_assigned_aa_systems(tenant):
    first = create_system(tenant, name="First")
    second = create_system(tenant, name="Second")
    data = create_user(tenant.bg, "operator@acme.test", "AA_ADMIN", autoAttendantSids=[first["sid"]])
    assert data["autoAttendantSids"] == [first["sid"]]
    assert list(User.objects.get(sid=data["sid"]).aa_systems.values_list("sid", flat=True)) == [first["sid"]]

    operator = as_user(data["sid"])
    assert assert_ok(operator.get(f"/autoattendant/system/search/{first['sid']}"))["name"] == "First"
    assert_error(operator.get(f"/autoattendant/system/search/{second['sid']}"), 490)

    both = sorted([first["sid"], second["sid"]])
    updated = assert_ok(tenant.bg.put(f"{USER}/{data['sid']}", {"autoAttendantSids": both}))
    assert sorted(updated["autoAttendantSids"]) == both
    assert assert_ok(operator.get(f"/autoattendant/system/search/{second['sid']}"))["name"] == "Second"
    assert search(tenant.csp, autoAttendantSid=second["sid"]) == ["operator@acme.test"]

    assert assert_ok(tenant.bg.put(f"{USER}/{data['sid']}", {"autoAttendantSids": []}))["autoAttendantSids"] == []
    assert_error(operator.get(f"/autoattendant/system/search/{first['sid']}"), 490)


def test_aa_system_of_another_enterprise_is_490(tenant, other_tenant):
    sibling = create_enterprise(tenant.csp, "Sibling", "bg.sibling@acme.test")
    sibling_system = create_system(tenant, enterpriseSid=sibling["sid"])
    foreign_system = create_system(other_tenant)
    for sid in (sibling_system["sid"], foreign_system["sid"], "AA" + "0" * 32):
        body = user_body(f"op-{sid[:8]}@acme.test", "AA_ADMIN", tenant.enterprise.sid, autoAttendantSids=[sid])
        assert_error(tenant.csp.post(USER, body), 490)
    assert not User.objects.filter(email_id__startswith="op-").exists()


def test_only_aa_admins_are_assigned_systems(tenant):
    system = create_system(tenant)
    body = user_body("bg3@acme.test", "BG_ADMIN", tenant.enterprise.sid, autoAttendantSids=[system["sid"]])
    error = assert_error(tenant.csp.post(USER, body), 400)
    assert "autoAttendantSids" in error["errors"]
    assert not User.objects.filter(email_id="bg3@acme.test").exists()


def test_moving_an_aa_admin_to_another_enterprise_drops_the_old_systems(tenant):
    sibling = create_enterprise(tenant.csp, "Sibling", "bg.sibling@acme.test")
    old_system = create_system(tenant, name="Old")
    new_system = create_system(tenant, name="New", enterpriseSid=sibling["sid"])
    user = create_user(
        tenant.csp,
        "mover@acme.test",
        "AA_ADMIN",
        tenant.enterprise.sid,
        autoAttendantSids=[old_system["sid"]],
    )

    moved = assert_ok(tenant.csp.put(f"{USER}/{user['sid']}", {"enterpriseSid": sibling["sid"]}))
    assert moved["enterpriseSid"] == sibling["sid"]
    assert moved["autoAttendantSids"] == []
    assert not User.objects.get(sid=user["sid"]).aa_systems.exists()
    # The sibling's admin sees nothing of the first enterprise through it.
    sibling_admin = Api(User.objects.get(email_id="bg.sibling@acme.test"))
    assert assert_ok(sibling_admin.get(f"{SEARCH}/{user['sid']}"))["autoAttendantSids"] == []

    body = {"enterpriseSid": tenant.enterprise.sid, "autoAttendantSids": [new_system["sid"]]}
    assert_error(tenant.csp.put(f"{USER}/{user['sid']}", body), 490)
    body = {"enterpriseSid": tenant.enterprise.sid, "autoAttendantSids": [old_system["sid"]]}
    assert assert_ok(tenant.csp.put(f"{USER}/{user['sid']}", body))["autoAttendantSids"] == [old_system["sid"]]


def test_aa_admin_cannot_assign_itself_systems(tenant):
    system = create_system(tenant)
    assert_error(tenant.aa.put(f"{USER}/{tenant.aa_admin.sid}", {"autoAttendantSids": [system["sid"]]}), 490)
    assert not tenant.aa_admin.aa_systems.exists()
