"""The built wheel carries its package data: an installed, non-editable copy finds its grammar."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import policyc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("policyc-*.whl")
    return found


def test_wheel_lists_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "policyc/engine/grammar/datalog.lark" in names
    assert "policyc/py.typed" in names
    assert "policyc/stdlib_policies/__init__.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installed_wheel_finds_its_grammar(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import policyc, sys\n"
        f"assert policyc.__file__.startswith({str(target)!r}), policyc.__file__\n"
        "m = policyc.parse_program('p(X) :- q(X), @glob(X, \"**/.env\").').evaluate("
        "{'q': [('/r/.env',), ('/r/a',)]})\n"
        "print(sorted(m.facts['p']))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('/r/.env',)]"
    assert (target / "bin" / "policyc").exists()


def test_public_api_is_pinned() -> None:
    assert policyc.__all__ == [
        "Action",
        "ActionError",
        "ApprovalRequired",
        "DatalogError",
        "DatalogErrors",
        "Decision",
        "Guard",
        "Model",
        "NotDerived",
        "PolicyDenied",
        "PolicyEngine",
        "PolicyLoadError",
        "Position",
        "Program",
        "Proof",
        "Runtime",
        "__version__",
        "guard",
        "load",
        "parse_action",
        "parse_program",
    ]
    for name in policyc.__all__:
        assert hasattr(policyc, name)
