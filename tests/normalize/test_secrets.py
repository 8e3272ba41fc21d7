"""Secrets: detectors run over a corpus (secrets_corpus.json), exact spans, redaction, fingerprints.

Every secret in the corpus is fake and stored in pieces, so that no secret scanner flags the
repository. No assertion here may print a secret: they compare kinds, spans and booleans, never
values (a Finding holds no value, so findings may be shown).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policyc.normalize import secrets
from policyc.normalize.secrets import (
    DEFAULT_FINGERPRINT_KEY,
    KINDS,
    Finding,
    find_secrets,
    redact_text,
    scan_fields,
)
from tests.hyp import scaled

CORPUS = json.loads(Path(__file__).with_name("secrets_corpus.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Secret:
    kind: str
    start: int
    end: int
    value: str = ""  # never shown: excluded from repr
    to_end: bool = False  # the span runs to the end of the text (a PEM block without END)

    def __repr__(self) -> str:
        return f"Secret({self.kind!r}, {self.start}, {self.end})"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    secrets: tuple[Secret, ...]
    surroundings: str  # the text outside the secrets, parts separated by NUL

    def __repr__(self) -> str:
        return f"Case({self.name!r})"

    @property
    def expected(self) -> list[tuple[str, int, int]]:
        return [(s.kind, s.start, s.end) for s in self.secrets]


def build(name: str, parts: list[Any]) -> Case:
    text = ""
    found: list[Secret] = []
    plain: list[str] = []
    for part in parts:
        if isinstance(part, str):
            text += part
            plain.append(part)
        else:
            value = "".join(part["secret"])
            found.append(
                Secret(
                    part["kind"],
                    len(text),
                    len(text) + len(value),
                    value,
                    part.get("to_end", False),
                )
            )
            text += value
    return Case(name, text, tuple(found), "\0".join(plain))


def _named(items: list[dict[str, Any]], label: Any) -> list[Case]:
    seen: Counter[str] = Counter()
    cases = []
    for item in items:
        base = label(item)
        cases.append(build(f"{base}-{seen[base]}", item["text"]))
        seen[base] += 1
    return cases


def _positive_label(item: dict[str, Any]) -> str:
    return str(next(p["kind"] for p in item["text"] if isinstance(p, dict)))


POSITIVE = _named(CORPUS["positive"], _positive_label)
NEGATIVE = _named(CORPUS["negative"], lambda item: item["why"].replace(" ", "-"))
EMBEDDABLE = [c for c in POSITIVE if not any(s.to_end for s in c.secrets)]


def spans(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.kind, f.start, f.end) for f in findings]


def found_spans(text: str, field: str = "command") -> list[tuple[str, int, int]]:
    """Call outside ``assert``: pytest would show the arguments (the text) of a failing call."""
    return spans(find_secrets(text, field))


def leaks(case: Case, redacted: str) -> list[str]:
    """Kinds of the secrets of ``case`` of which a piece (8 characters) is left in ``redacted``,
    other than pieces that also occur in the text around the secrets or in the markers."""
    allowed = case.surroundings + "\0" + "\0".join(f"[REDACTED:{k}]" for k in KINDS)
    leaked = []
    for s in case.secrets:
        width = min(8, len(s.value))
        windows = {s.value[i : i + width] for i in range(len(s.value) - width + 1)}
        if any(w in redacted and w not in allowed for w in windows):
            leaked.append(s.kind)
    return leaked


# --- the corpus ---------------------------------------------------------------------------------


def test_corpus_covers_every_kind_three_times() -> None:
    counts = Counter(s.kind for c in POSITIVE for s in c.secrets)
    assert set(counts) == set(KINDS)
    assert {k: n for k, n in counts.items() if n < 3} == {}


def test_kinds_are_unique_kebab_case_one_detector_each() -> None:
    assert len(set(KINDS)) == len(KINDS)
    assert all(k == k.lower() and k.replace("-", "").isalpha() for k in KINDS)
    assert tuple(d.kind for d in secrets._DETECTORS) == KINDS


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c.name)
def test_positive_cases_are_found_with_exact_spans(case: Case) -> None:
    found = found_spans(case.text)
    assert found == case.expected


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda c: c.name)
def test_negative_cases_are_not_flagged(case: Case) -> None:
    found = found_spans(case.text)
    assert found == []


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c.name)
def test_redaction_replaces_exactly_the_spans(case: Case) -> None:
    redacted = redact_text(case.text, find_secrets(case.text, "command"))
    expected, done = [], 0
    for s in case.secrets:
        expected += [case.text[done : s.start], f"[REDACTED:{s.kind}]"]
        done = s.end
    expected.append(case.text[done:])
    as_expected = redacted == "".join(expected)  # a boolean: a failure must not print the text
    assert as_expected, f"redaction of {case.name} differs from the expected spans"
    leaked = leaks(case, redacted)
    assert leaked == []


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c.name)
def test_a_finding_never_shows_its_value(case: Case) -> None:
    for finding in find_secrets(case.text, "command"):
        shown = repr(finding) + str(finding) + repr(fields(finding))
        exposed = [s.kind for s in case.secrets if s.value in shown]
        assert exposed == []


def test_finding_has_no_value_attribute() -> None:
    assert [f.name for f in fields(Finding)] == ["kind", "field", "start", "end", "fingerprint"]
    assert not hasattr(Finding("jwt", "command", 0, 1, "0" * 12), "__dict__")  # slots only


# --- spans, overlaps, offsets -------------------------------------------------------------------


def _secret(kind: str) -> tuple[Case, Secret]:
    case = next(c for c in EMBEDDABLE if len(c.secrets) == 1 and c.secrets[0].kind == kind)
    return case, case.secrets[0]


def test_offsets_are_in_characters_not_bytes() -> None:
    case, s = _secret("github-token")
    prefix = "ünïcødé 日本語 🙂 \ud800 "  # a lone surrogate too, as JSON can carry
    text = prefix + case.text
    found = found_spans(text)
    assert found == [(s.kind, s.start + len(prefix), s.end + len(prefix))]
    with_tail = found_spans(text + " ✓ done")
    assert with_tail == found


def test_specific_kind_beats_generic_assignment() -> None:
    case, s = _secret("stripe-key")  # STRIPE_SECRET_KEY=sk_test_…: also a generic assignment
    found = found_spans(case.text)
    assert found == [(s.kind, s.start, s.end)]


def test_several_secrets_are_sorted_by_start() -> None:
    cases = [_secret(k)[0] for k in ("slack-token", "jwt", "database-url", "aws-access-key")]
    text = "\n".join(c.text for c in cases)
    found = find_secrets(text, "command")
    assert [f.kind for f in found] == ["slack-token", "jwt", "database-url", "aws-access-key"]
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_private_key_without_end_runs_to_end_of_text() -> None:
    case = next(c for c in POSITIVE if any(s.to_end for s in c.secrets))
    (s,) = case.secrets
    at_end = s.end == len(case.text)
    assert at_end
    found = found_spans(case.text, "file.content")
    assert found == case.expected


def test_large_text_is_scanned_in_full() -> None:
    case, s = _secret("npm-token")
    filler = ("echo building step; make -j8 all\n" * 40_000)[: 1 << 20]  # 1 MiB of shell
    found = found_spans(filler + case.text, "file.content")
    assert found == [(s.kind, s.start + len(filler), s.end + len(filler))]


def test_rejected_values_do_not_make_the_scan_quadratic() -> None:
    # Every ``password=`` starts a candidate whose value (the rest of the line) is rejected;
    # looking again inside each rejected value would take minutes on this line.
    found = found_spans("password=" * 30_000)
    assert found == []


# --- fingerprints and determinism ---------------------------------------------------------------


def test_fingerprint_is_truncated_hmac_sha256_of_the_value() -> None:
    case, s = _secret("huggingface-token")
    (finding,) = find_secrets(case.text, "command")
    want = hmac.new(DEFAULT_FINGERPRINT_KEY, s.value.encode(), hashlib.sha256).hexdigest()[:12]
    assert finding.fingerprint == want


def test_fingerprint_depends_on_value_and_key_only() -> None:
    case, _ = _secret("gitlab-token")
    a = find_secrets(case.text, "command")
    b = find_secrets("x " + case.text + " y", "payload")
    assert [f.fingerprint for f in a] == [f.fingerprint for f in b]
    other = find_secrets(case.text, "command", key=b"another key")
    assert [f.fingerprint for f in other] != [f.fingerprint for f in a]
    assert all(len(f.fingerprint) == 12 and int(f.fingerprint, 16) >= 0 for f in a + other)


def test_find_secrets_is_deterministic() -> None:
    text = "\n".join(c.text for c in EMBEDDABLE)
    first = find_secrets(text, "payload")
    again = [find_secrets(text, "payload") for _ in range(3)]
    assert again == [first] * 3
    assert len(first) == sum(len(c.secrets) for c in EMBEDDABLE)


def test_scan_fields_keeps_field_order_then_start() -> None:
    jwt_case, _ = _secret("jwt")
    db_case, _ = _secret("database-url")
    found = scan_fields(
        [("command", db_case.text), ("payload", "nothing here"), ("tool.input.body", jwt_case.text)]
    )
    assert [(f.field, f.kind) for f in found] == [
        ("command", "database-url"),
        ("tool.input.body", "jwt"),
    ]
    one_by_one = find_secrets(db_case.text, "command") + find_secrets(
        jwt_case.text, "tool.input.body"
    )
    assert found == one_by_one


# --- redact_text --------------------------------------------------------------------------------


def test_redact_text_merges_overlapping_findings() -> None:
    text = "0123456789abcdef"
    findings = [Finding("jwt", "f", 2, 8, "0" * 12), Finding("private-key", "f", 5, 12, "1" * 12)]
    assert redact_text(text, findings) == "01[REDACTED:jwt]cdef"


def test_redact_text_refuses_spans_outside_the_text() -> None:
    with pytest.raises(ValueError, match="outside"):
        redact_text("short", [Finding("jwt", "f", 2, 40, "0" * 12)])


def test_redact_text_without_findings_is_identity() -> None:
    assert redact_text("plain text", []) == "plain text"


# --- keyword pre-filter and cost ---------------------------------------------------------------


def test_keyword_set_agrees_with_plain_search() -> None:
    for case in POSITIVE + NEGATIVE:
        data = case.text.encode("utf-8", "surrogatepass")
        fast = [c.detector.kind for c in secrets._active(case.text, data)]
        slow = [c.detector.kind for c in secrets._active_slowly(case.text)]
        assert fast == slow, case.name


def test_a_failed_keyword_set_falls_back_to_plain_search(monkeypatch: pytest.MonkeyPatch) -> None:
    class GaveUp:  # what RE2 answers when its DFA runs out of memory: no match at all
        def Match(self, data: bytes) -> None:
            return None

    text = "\n".join(c.text for c in EMBEDDABLE)
    expected = find_secrets(text, "payload")
    broken = secrets._scanner()._replace(keyword_set=GaveUp())
    monkeypatch.setattr(secrets, "_scanner", lambda: broken)
    found = find_secrets(text, "payload")
    assert found == expected


def test_text_without_keywords_runs_no_detector() -> None:
    text = "cd /srv/app && make -j4 test && git status --short\n" * 50
    active = secrets._active(text, text.encode())
    assert active == []
    assert find_secrets("", "command") == []


def test_texts_shorter_than_the_minimum_length_hold_no_secret() -> None:
    """``find_secrets`` does not scan a text shorter than ``MIN_SECRET_LENGTH``: the shortest
    string each pattern matches — with a generic secret's value at least ``GENERIC_MIN_LENGTH``
    long, as its check demands — is no shorter, and one is exactly that long."""
    parser = importlib.import_module("re._parser")  # the parser of Python's re: widths

    def shortest(pattern: str) -> int:
        width: int = parser.parse(pattern.replace(r"\z", r"\Z")).getwidth()[0]
        return width

    n = secrets.GENERIC_MIN_LENGTH
    quoted = secrets._QUOTED.replace(")*)", f"){{{n},}})").replace("]*)", f"]{{{n},}})")
    unquoted = secrets._UNQUOTED.replace("]+)", f"]{{{n},}})")
    assert quoted.count(f"{{{n},}}") == 2 and unquoted != secrets._UNQUOTED
    widths = {}
    for d in secrets._DETECTORS:
        pattern = d.pattern
        if d.kind == "generic-secret":
            assert pattern.count(secrets._QUOTED) == 2 and pattern.count(secrets._UNQUOTED) == 2
            pattern = pattern.replace(secrets._QUOTED, quoted).replace(secrets._UNQUOTED, unquoted)
        widths[d.kind] = shortest(pattern)
    assert min(widths.values()) == secrets.MIN_SECRET_LENGTH, widths
    assert [f.kind for f in find_secrets("amqp://:a@", "url")] == ["database-url"]
    assert find_secrets("amqp://:a", "url") == find_secrets("pass=Zq8V", "key") == []


def test_import_compiles_nothing() -> None:
    code = (
        "import policyc.normalize.secrets as s, sys\nsys.exit(s._scanner.cache_info().currsize)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- properties ---------------------------------------------------------------------------------

SEPARATORS = st.sampled_from([" ", "\n", '"', "'", "\t", " \n"])
SURROUNDING = st.text(max_size=60)


@settings(max_examples=scaled(300))
@given(
    index=st.integers(0, len(EMBEDDABLE) - 1),
    prefix=SURROUNDING,
    suffix=SURROUNDING,
    before=SEPARATORS,
    after=SEPARATORS,
)
@example(index=0, prefix="", suffix="", before=" ", after=" ")
def test_embedded_secret_is_found_with_exact_span_and_redacted(
    index: int, prefix: str, suffix: str, before: str, after: str
) -> None:
    case = EMBEDDABLE[index]
    head = prefix + before
    text = head + case.text + after + suffix
    findings = find_secrets(text, "payload")
    found = set(spans(findings))
    wanted = {(k, start + len(head), end + len(head)) for k, start, end in case.expected}
    missing = sorted(wanted - found)
    assert missing == [], case.name
    redacted = redact_text(text, findings)
    around = prefix + "\0" + suffix + "\0" + case.surroundings
    leaked = leaks(Case(case.name, text, case.secrets, around), redacted)
    assert leaked == [], case.name


@settings(max_examples=scaled(200))
@given(st.lists(st.one_of(st.text(max_size=40), st.integers(0, len(POSITIVE) - 1)), max_size=6))
def test_findings_are_sorted_disjoint_in_bounds_and_redacted(pieces: list[str | int]) -> None:
    # Cases are drawn by index, so that a failing example shows no secret.
    text = " ".join(POSITIVE[p].text if isinstance(p, int) else p for p in pieces)
    found = find_secrets(text, "payload")
    again = find_secrets(text, "payload")
    assert found == again
    size = len(text)
    assert [f for f in found if not 0 <= f.start < f.end <= size] == []
    assert [(a, b) for a, b in pairwise(found) if a.end > b.start] == []
    markers = redact_text(text, found).count("[REDACTED:")
    assert markers >= len(found)


def test_a_structured_value_under_a_secret_name_is_found_whole() -> None:
    from policyc.action.model import parse_action
    from policyc.normalize import normalize_action

    value = "Zq8Vn3Kp" + "0Lx7Rb2W"
    action = parse_action(
        {
            "action_type": "tool.call",
            "tool": {
                "name": "mcp__db__connect",
                "input": {"password": value, "user": "admin", "opts": {"api_key": "changeme"}},
            },
        }
    )
    findings = normalize_action(action).findings
    assert [(f.kind, f.field, f.start, f.end) for f in findings] == [
        ("generic-secret", "tool.input.password", 0, len(value))
    ]
    assert secrets.find_named_secret("user", value, "tool.input.user") is None
    assert secrets.find_named_secret("db_password", "changeme", "x") is None  # a placeholder
    assert secrets.find_named_secret("token", "short", "x") is None  # too short
