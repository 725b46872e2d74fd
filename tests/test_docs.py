"""The README's error-code table is the registry's, code for code."""

import re
from pathlib import Path

from autoattendant.errors import all_codes

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_error_code_with_its_status():
    rows = set(re.findall(r"^\| (\d{3}) \| (\d{3}) \|", README.read_text(), flags=re.MULTILINE))
    registry = {(str(c.code), str(c.http_status)) for c in all_codes()}
    assert registry == rows
