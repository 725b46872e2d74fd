from tests.conftest import assert_error, assert_ok


def test_enterprise_create_and_duplicate(tenant):
    body = {
        "name": "test Enterprise",
        "enterpriseAdmin": {"emailId": "jane.doe@yourcompany.com", "password": "yourpassword", "name": "testbg"},
    }
    data = assert_ok(tenant.csp.post("/autoattendant/enterprise", body), 201)
    assert data["sid"].startswith("EN") and len(data["sid"]) == 34
    error = assert_error(tenant.csp.post("/autoattendant/enterprise", body), 460)
    assert error["data"]["enterpriseAdmin"]["status"] == "ACTIVE"
