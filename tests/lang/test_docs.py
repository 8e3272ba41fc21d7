"""The diagnostic codes and their documentation stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from policyc.lang.codes import CODES

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def test_every_code_has_a_section_in_checks_md() -> None:
    text = (DOCS / "checks.md").read_text("utf-8")
    sections = re.findall(r"^### (\w+)\s*$", text, re.M)
    assert sorted(set(sections)) == sorted(CODES), (
        f"missing: {sorted(set(CODES) - set(sections))}; unknown: {sorted(set(sections) - set(CODES))}"
    )
    assert len(sections) == len(set(sections)), "a code is documented twice"


def test_every_severity_is_known() -> None:
    assert {severity for severity, _ in CODES.values()} <= {"error", "warning", "info"}
