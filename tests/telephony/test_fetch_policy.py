"""The fetch policy of RCML applications' URLs (telephony/executor/fetch_policy.py): internal addresses
are refused unless RCML_FETCH_ALLOW opens them, decided on the addresses a connection is made to —
checked with real servers on 127.0.0.1 through the executor's client, names and redirects included."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web

from telephony.executor.fetch_policy import FetchPolicy, FetchRefused
from telephony.executor.portal_client import FetchRefused as ClientFetchRefused
from telephony.executor.portal_client import PortalClient, PortalUnavailable

PORTAL = "http://127.0.0.1:8000"


def refusal(policy: FetchPolicy, address: str, port: int = 80, host: str | None = None) -> str | None:
    return policy.refusal(host or address, port, address)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
    ],
)
def test_internal_addresses_are_refused_by_default(address, kind):
    reason = refusal(FetchPolicy.from_setting("", PORTAL), address)
    assert reason is not None and kind in reason and "RCML_FETCH_ALLOW" in reason


def test_other_addresses_are_allowed():
    policy = FetchPolicy.from_setting("", PORTAL)
    for address in ("93.184.216.34", "8.8.8.8", "2001:4860:4860::8888"):
        assert refusal(policy, address) is None


def own_address() -> str | None:
    """This machine's address on its way out (no packet is sent), if it has one besides loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_the_machine_s_own_addresses_are_refused():
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    reason = refusal(FetchPolicy.from_setting(""), address)
    assert reason is not None and "this machine's address" in reason
    assert refusal(FetchPolicy.from_setting(address), address) is None


def test_the_allow_list():
    policy = FetchPolicy.from_setting(" 127.0.0.1:8123, 10.0.0.0/8,apps.internal , [::1]:9000, 169.254.1.1", PORTAL)
    assert refusal(policy, "127.0.0.1", 8123) is None
    assert refusal(policy, "127.0.0.1", 8124) is not None  # that port only
    assert refusal(policy, "::1", 9000) is None and refusal(policy, "::1", 9001) is not None
    assert refusal(policy, "169.254.1.1", 1) is None and refusal(policy, "169.254.169.254") is not None
    # A name is allowed whatever it resolves to; another name resolving to the same address is not.
    assert policy.refusal("apps.internal", 443, "127.0.0.1") is None
    assert policy.refusal("APPS.internal.", 80, "127.0.0.5") is None
    assert policy.refusal("evil.example", 80, "127.0.0.5") is not None
    # The portal's own URL always is.
    assert refusal(policy, "127.0.0.1", 8000) is None
    assert refusal(FetchPolicy.from_setting("", "https://localhost"), "127.0.0.1", 443, host="localhost") is None


@pytest.mark.parametrize("entry", ["a b", "127.0.0.1:99999", "10.0.0.0/33", "host:port", "user@host", "127.0.0.1:"])
def test_an_entry_that_is_none_of_the_forms_is_refused(entry):
    with pytest.raises(ValueError, match="RCML_FETCH_ALLOW"):
        FetchPolicy.from_setting(entry)


def test_check_url_resolves_names():
    policy = FetchPolicy.from_setting("127.0.0.1:8123", PORTAL)
    assert "link-local" in (policy.check_url("http://169.254.169.254/latest/meta-data/") or "")
    assert "loopback" in (policy.check_url("http://localhost:8124/app.xml") or "")
    assert policy.check_url("http://localhost:8123/app.xml") is None  # resolves to 127.0.0.1, allowed on 8123
    assert "not an http(s) URL" in (policy.check_url("file:///etc/passwd") or "")
    with pytest.raises(FetchRefused):
        policy.check("localhost", 8124, ["127.0.0.1", "::1"])


# Through the executor's client, at the connection.


class Server:
    """A small HTTP server on 127.0.0.1: the application, or what it must not reach."""

    def __init__(self):
        self.seen: list[str] = []
        self.redirect_to = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request.path)
        if request.path == "/moved":
            raise web.HTTPFound(self.redirect_to)
        return web.Response(text="<Response><Hangup/></Response>", content_type="text/xml")

    async def start(self) -> int:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return self.runner.addresses[0][1]

    async def stop(self) -> None:
        await self.runner.cleanup()


def with_servers(scenario, allow=lambda allowed_port, other_port: f"127.0.0.1:{allowed_port}"):
    async def main():
        allowed, other = Server(), Server()
        allowed_port, other_port = await allowed.start(), await other.start()
        try:
            async with PortalClient(
                "http://127.0.0.1:1/", "the-token", timeout=3, fetch_allow=allow(allowed_port, other_port)
            ) as client:
                return await scenario(client, allowed, allowed_port, other, other_port)
        finally:
            await allowed.stop()
            await other.stop()

    return asyncio.run(main())


def test_the_connection_is_checked_for_addresses_names_and_redirects():
    async def scenario(client, allowed, allowed_port, other, other_port):
        ok = await client.fetch_document(f"http://127.0.0.1:{allowed_port}/app.xml", {"CallSid": "CA1"})
        by_name = await client.fetch_document(f"http://localhost:{allowed_port}/named.xml", {}, "GET")
        refused = []
        for url in (
            f"http://127.0.0.1:{other_port}/app.xml",  # an address literal
            f"http://localhost:{other_port}/app.xml",  # a name that resolves to loopback
            "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
            f"http://[::ffff:127.0.0.1]:{other_port}/app.xml",
        ):
            with pytest.raises(ClientFetchRefused, match="refused by the fetch policy") as raised:
                await client.fetch_document(url, {})
            refused.append(raised.value)
        allowed.redirect_to = f"http://127.0.0.1:{other_port}/behind.xml"
        with pytest.raises(ClientFetchRefused):
            await client.fetch_document(f"http://127.0.0.1:{allowed_port}/moved", {})
        return ok, by_name, refused, list(allowed.seen), list(other.seen)

    ok, by_name, refused, allowed_seen, other_seen = with_servers(scenario)
    assert ok.status == by_name.status == 200 and ok.body == "<Response><Hangup/></Response>"
    assert all(isinstance(error, PortalUnavailable) for error in refused)  # a failed fetch, as any other
    assert allowed_seen == ["/app.xml", "/named.xml", "/moved"]
    assert other_seen == []  # never connected to


def test_an_allowed_name_opens_what_it_resolves_to():
    async def scenario(client, allowed, allowed_port, other, other_port):
        await client.fetch_document(f"http://localhost:{other_port}/by-name.xml", {})
        with pytest.raises(ClientFetchRefused):
            await client.fetch_document(f"http://127.0.0.1:{other_port}/by-address.xml", {})
        return other.seen

    seen = with_servers(scenario, allow=lambda allowed_port, other_port: f"localhost:{other_port}")
    assert seen == ["/by-name.xml"]
