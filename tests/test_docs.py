"""The README's error-code table is the registry's, code for code."""

import re
from pathlib import Path

from autoattendant.errors import all_codes

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_error_code_with_its_status():
    rows = set(re.findall(r"^\| (\d{3}) \| (\d{3}) \|", README.read_text(), flags=re.MULTILINE))
    registry = {(str(c.code), str(c.http_status)) for c in all_codes()}
    assert registry == rows


def test_readme_sso_worked_example_is_signed_right():
    """The README's single sign-on example: the printed signature is what the portal checks."""
    from portal.console.sso import sso_signature

    text = README.read_text()
    key = re.search(r"^KEY=([0-9a-f]{64}); KEY_SID=(OHK[0-9a-f]{32})$", text, flags=re.MULTILINE)
    values = re.search(r"^EMAIL=(\S+); TS=(\d+); NONCE=(\S+) ", text, flags=re.MULTILINE)
    printed = re.search(r"^# ([0-9a-f]{64})$", text, flags=re.MULTILINE)
    assert key and values and printed
    email, timestamp, nonce = values.groups()
    signature = sso_signature(key[1], email, timestamp, nonce, key[2])
    assert signature == printed[1]
    assert f"signature={signature}" in text and f"keySid={key[2]}" in text
