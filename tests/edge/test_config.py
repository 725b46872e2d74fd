"""Kamailio's configuration as the settings render it: complete, and accepted by Kamailio itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from telephony.edge.config import EdgeConfig, EdgeConfigError, kamailio_db_url, proxy_address
from tests.edge.conftest import KAMAILIO


def test_the_rendered_configuration_is_complete_and_kamailio_accepts_it(tmp_path):
    config = EdgeConfig.from_settings(settings)
    config = EdgeConfig(**{**config.__dict__, "run_dir": tmp_path / "kamailio", "port": 15999})
    path = config.write()
    text = path.read_text()
    assert "{{" not in text and "}}" not in text
    assert 'version_table="sip_edge_version"' in text and "listen=udp:127.0.0.1:15999" in text
    check = subprocess.run([str(KAMAILIO), "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # it holds the database password


def test_database_urls_in_kamailio_form():
    socket = {"NAME": "aa", "USER": "postgres", "HOST": "/var/run/pg", "PORT": "5433"}
    assert kamailio_db_url(socket) == ("postgres://postgres@/aa", "/var/run/pg")
    tcp = {"NAME": "aa", "USER": "portal", "PASSWORD": "p@ss:/x", "HOST": "db.example", "PORT": "5432"}
    assert kamailio_db_url(tcp) == ("postgres://portal:p%40ss%3A%2Fx@db.example:5432/aa", "")
    environment = EdgeConfig("127.0.0.1", 5080, "", "/var/run/pg", "5433", Path("/tmp")).environment({})
    assert environment == {"PGHOST": "/var/run/pg", "PGPORT": "5433"}


def test_gateways_see_the_edge_at_its_public_address_and_proxies_are_host_port():
    config = EdgeConfig("0.0.0.0", 5080, "", "", "", Path("/tmp"), outbound_proxy="10.0.0.1:5060")
    assert config.values()["ADDRESS"] == "127.0.0.1:5080" and config.values()["OUTBOUND_PROXY"] == "10.0.0.1:5060"
    public = EdgeConfig("0.0.0.0", 5080, "", "", "", Path("/tmp"), public_address="198.51.100.7:5060")
    assert 'modparam("uac", "reg_contact_addr", "198.51.100.7:5060")' in public.render()
    assert proxy_address("sip:gw.example.com:5070") == "gw.example.com:5070" and proxy_address(" ") == ""
    with pytest.raises(EdgeConfigError):
        proxy_address('10.0.0.1"; exit;')  # nothing else reaches the rendered configuration
