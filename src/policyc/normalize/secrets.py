"""Secrets in action fields → findings (kind, field, span, keyed fingerprint), and their redaction.

A finding never holds the secret itself: only where it is and a keyed hash of it, so findings can
be logged, compared and turned into facts without leaking what they point at.

How a text is scanned, and what it costs
    Each detector has literal keywords (``AKIA``, ``ghp_``, ``-----BEGIN``, ``postgres``…); its
    pattern runs only if one of them occurs in the text. One pass of an RE2 set over the text
    tells which keywords occur (if RE2 gives up for lack of memory, plain substring tests take
    over); then each detector whose keywords occur runs its own RE2 pass. RE2 never backtracks,
    so every pass is linear in the length of the text, and a scan is at most 1 + ``len(KINDS)``
    of them. Checking a candidate (placeholders, entropy on at most ``ENTROPY_SAMPLE``
    characters, JWT header decoding) costs at most its length; a rejected candidate is searched
    again only from its value, and only when that value is short, so no text makes the scan
    quadratic. There is no size bound: a text of several MiB is scanned in full, in time
    proportional to its size (a few milliseconds per MiB without secrets).

Spans
    Offsets are in characters (code points) of the field's text, ``start`` inclusive, ``end``
    exclusive. Where candidates overlap, the more specific detector wins (a GitHub token assigned
    to ``GITHUB_TOKEN=`` is a ``github-token``, not a ``generic-secret``), then the longer span,
    then the earlier one: the result is sorted by ``start`` and its spans never overlap. A
    losing candidate is dropped whole, even where it sticks out of the winner's span (in
    practice only past an END line or a closing quote, where no key material is left).

What is reported, per kind
    * ``database-url``: the password of a database or broker URL only
      (``postgres://app:<password>@db/prod``), so that the redacted URL still names its host.
    * ``slack-webhook``: the whole webhook URL (the path is the secret).
    * ``private-key``: the whole BEGIN…END block, or from BEGIN to the end of the text when the END
      line is missing. The BEGIN line must be followed by a line break (real or written ``\\n``)
      and key material: a bare BEGIN line (``line.startswith("-----BEGIN RSA PRIVATE KEY-----")``
      in a key-handling program) is not a key.
    * ``gcp-service-account-key``: the JSON string value of ``"private_key"`` in a document that
      names a service account; the PEM block alone, anywhere else, is a ``private-key``.
    * ``jwt``: the three segments; the header must decode to a JSON object with ``"alg"``, and the
      signature must be present (an unsigned token grants nothing).
    * ``generic-secret``: the value assigned to a secret-looking name (``password=``,
      ``"client_secret": "…"``, ``export X_TOKEN=…``, ``--password …``), a bearer token, or the
      credentials of an ``Authorization: Basic`` header.

What is not reported (false-positive decisions)
    * Placeholders and references: ``changeme``, ``password``, ``xxxx``, ``****``, ``${VAR}``,
      ``$VAR``, ``$(cmd)``, ``%VAR%``, ``{{ template }}``, ``<token>``, ``your_api_key_here`` and
      values mentioning ``example``/``placeholder``/``redacted``.
    * For ``generic-secret``: values shorter than ``GENERIC_MIN_LENGTH`` or with Shannon entropy
      below ``min(GENERIC_MIN_ENTROPY, log2(len) - 0.5)`` bits per character; names that only
      contain a keyword (``token_type``, ``max_tokens``, ``password_file``); unquoted values that
      read as code (``db_password``, ``config.secret``, ``get_token()``) — an unquoted value of
      letters and underscores only is taken for an identifier, so ``PASS=OnlyLetters`` is missed
      while ``PASS="OnlyLetters"`` is found; values that hold whitespace (prose, and so also
      multi-word passphrases) or start like a path (``/``, ``~/``, ``./``).
    * Prefix-format tokens made of masking characters or of too little entropy
      (``ghp_xxxxxxxx…``, ``AKIAXXXXXXXXXXXXXXXX``).
    * Things that look random but are not credentials: git SHAs, UUIDs, base64 blobs, lockfile
      ``sha512-…`` integrity hashes, SSH public keys, certificates and public keys, URLs without a
      password, Stripe publishable keys (``pk_live_``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

import re2

__all__ = [
    "DEFAULT_FINGERPRINT_KEY",
    "KINDS",
    "Finding",
    "find_named_secret",
    "find_secrets",
    "redact_text",
    "scan_fields",
    "scrub_json",
]

DEFAULT_FINGERPRINT_KEY = b"policyc-secrets-fingerprint-key/v1"
"""For deterministic fingerprints in tests; the runtime passes its own key."""

FINGERPRINT_LENGTH = 12  # hex characters of HMAC-SHA256: 48 bits, enough to tell values apart

GENERIC_MIN_LENGTH = 8
MIN_SECRET_LENGTH = 10
"""No text shorter than this (in characters) holds anything a detector reports, so it is not
scanned: the shortest finding is a database URL's password (``amqp://:a@``); a generic secret
needs a name, an assignment and ``GENERIC_MIN_LENGTH`` characters of value (``pass=`` and 8:
13); every token format is longer (tests/normalize/test_secrets.py checks each pattern)."""
GENERIC_MIN_ENTROPY = 3.0  # bits per character, lowered for short values (see _entropy_floor)
TOKEN_MIN_ENTROPY = 2.5  # prefix-format tokens: rejects ghp_xxxx…, AKIAXXXX…
ENTROPY_SAMPLE = 1024  # characters

KINDS: tuple[str, ...] = (
    "aws-access-key",
    "aws-secret-key",
    "gcp-api-key",
    "gcp-service-account-key",
    "azure-storage-key",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "openai-key",
    "anthropic-key",
    "npm-token",
    "pypi-token",
    "sendgrid-key",
    "twilio-key",
    "huggingface-token",
    "google-oauth-token",
    "shopify-token",
    "digitalocean-token",
    "jwt",
    "private-key",
    "database-url",
    "generic-secret",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A secret found in one field of an action. Holds no part of the secret's value."""

    kind: str
    field: str  # the action field the text came from, e.g. "command", "tool.input.body"
    start: int  # offset in characters in that field's text
    end: int
    fingerprint: str  # keyed hash of the value: equal values, equal fingerprints (same key)


# --- value checks -------------------------------------------------------------------------------

_PLACEHOLDERS = frozenset(
    {
        "changeme", "change_me", "change-me", "changeit", "password", "passwd", "passw0rd",
        "pass", "pw", "pwd", "secret", "token", "apikey", "api_key", "api-key", "key", "dummy",
        "fake", "test", "testing", "sample", "none", "null", "nil", "undefined", "true", "false",
        "todo", "tbd", "fixme", "default", "empty", "string", "str", "mypassword",
        "yourpassword", "secretpassword", "supersecret", "notasecret", "letmein",
    }
)  # fmt: skip
_PLACEHOLDER_WORDS = ("example", "placeholder", "redacted", "changeme", "xxxxx")
_PLACEHOLDER_PREFIXES = ("your", "insert", "enter_", "enter-", "replace", "put_", "put-")
_MASK_CHARACTERS = frozenset("*xX.-_#?•… ")
_CODE_CHARACTERS = frozenset("()")


def _shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution, estimated on its first
    ``ENTROPY_SAMPLE`` characters (which bounds the cost of a check)."""
    sample = value[:ENTROPY_SAMPLE]
    n = len(sample)
    if n == 0:
        return 0.0
    c_log2_c = _c_log2_c().__getitem__
    return math.log2(n) - sum(map(c_log2_c, Counter(sample).values())) / n


@cache
def _c_log2_c() -> tuple[float, ...]:
    """``c * log2(c)`` for every count a sample can have: entropy without a logarithm per call."""
    return (0.0, *(c * math.log2(c) for c in range(1, ENTROPY_SAMPLE + 1)))


def _entropy_floor(length: int) -> float:
    # A random string of n characters cannot exceed log2(n) bits per character: short values get
    # a lower bar, so an 8-character password with one repeated letter still counts.
    return min(GENERIC_MIN_ENTROPY, math.log2(length) - 0.5)


def _is_placeholder(value: str) -> bool:
    """A value that stands for a secret rather than being one: ``changeme``, ``${VAR}``, ``****``."""
    v = value.strip()
    if not v:
        return True
    low = v.lower()
    if low in _PLACEHOLDERS or set(v) <= _MASK_CHARACTERS:
        return True
    if v[0] in "$%" or "${" in v or "{{" in v or "}}" in v or "#{" in v:
        return True  # shell, batch and template references
    if (v[0], v[-1]) in (("<", ">"), ("[", "]"), ("{", "}")):
        return True
    if low.startswith(_PLACEHOLDER_PREFIXES) or low.endswith(("_here", "-here", "here>")):
        return True
    return any(word in low for word in _PLACEHOLDER_WORDS)


def _token_ok(value: str, _group: int) -> bool:
    return not set(value) <= _MASK_CHARACTERS and _shannon_entropy(value) >= TOKEN_MIN_ENTROPY


def _exact_length(n: int) -> Callable[[str, int], bool]:
    def check(value: str, group: int) -> bool:
        return len(value) == n and _token_ok(value, group)

    return check


def _openai_ok(value: str, group: int) -> bool:
    # sk-<32+ alphanumerics> is also the shape of CSS-ish names; a key mixes case and digits.
    return _token_ok(value, group) and _mixed(value[3:])


def _mixed(body: str) -> bool:
    return any(c.isdigit() for c in body) and any(c.isupper() for c in body)


def _pem_ok(value: str, group: int) -> bool:
    """Key material after the BEGIN line, not a mask (``…``, ``XXXX``)."""
    begin = value.find("-----", len("-----BEGIN")) + len("-----")
    end = value.find("-----END", begin)
    body = value[begin : end if end >= 0 else len(value)][: 2 * ENTROPY_SAMPLE]
    material = "".join(body.replace("\\n", " ").replace("\\r", " ").split())
    return _token_ok(material, group)


def _jwt_ok(value: str, _group: int) -> bool:
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _database_password_ok(value: str, _group: int) -> bool:
    return not _is_placeholder(value)


# Groups of the generic pattern: 1 "double-quoted", 2 'single-quoted', 3 unquoted, 4/5/6 a flag's
# value (--password …) double-quoted, single-quoted, unquoted, 7 a bearer token, 8 Basic
# credentials.
_GENERIC_UNQUOTED = frozenset({3, 6})
_GENERIC_BASIC = 8


def _generic_ok(value: str, group: int) -> bool:
    if len(value) < GENERIC_MIN_LENGTH or _is_placeholder(value):
        return False
    if group == _GENERIC_BASIC:
        try:
            credentials = base64.b64decode(value, validate=True).decode("utf-8")
        except (ValueError, binascii.Error):
            return False
        user, sep, password = credentials.partition(":")
        return bool(sep and user and password) and not _is_placeholder(password)
    if group in _GENERIC_UNQUOTED and _looks_like_code(value):
        return False
    if value.startswith(("/", "~/", "./", "../")) or any(c.isspace() for c in value):
        return False  # a file's path, or prose: "Use the API to get one"
    return _shannon_entropy(value) >= _entropy_floor(len(value))


def _looks_like_code(value: str) -> bool:
    """An unquoted value that reads as an expression: ``db_password``, ``cfg.token``, ``f()``."""
    if not _CODE_CHARACTERS.isdisjoint(value):
        return True
    parts = value.split(".")
    return all(
        p and (p[0].isalpha() or p[0] == "_") and p.replace("_", "").isalpha() for p in parts
    )


# --- detectors ----------------------------------------------------------------------------------


class _Detector(NamedTuple):  # NamedTuples, not dataclasses: cheaper to define at import
    kind: str
    pattern: str  # the reported span is the first capture group that took part, else the match
    keywords: tuple[str, ...]  # the pattern runs only if one of these occurs in the text
    ignore_case: bool = False  # the keywords (written lower-case) occur in any case
    requires: tuple[str, ...] = ()  # lower-case literals that must all occur as well
    rank: int = 3  # specificity: the higher wins an overlap
    validate: Callable[[str, int], bool] = _token_ok
    rescan_value: bool = False  # a rejected value may hold another match: search it again


# Assignment in config files, shells and code: NAME=v, NAME: v, NAME := v, NAME => v, "NAME": "v".
_ASSIGN = r"""["']?[ \t]*(?::=|=>|=|:)[ \t]*"""
_QUOTED = r""""((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)'"""
_UNQUOTED = r"""([^\s"'`;,&|<>{}\[\]]+)"""
# A name that ends in a secret word (``DB_PASSWORD``, ``clientSecret``, ``x-api-key``), perhaps
# followed by a version or encoding (``SECRET_KEY_BASE``, ``token_v2``). ``pass`` must be a word
# of its own (not ``bypass``); ``pwd`` needs a prefix (``DB_PWD``), as a bare ``PWD`` is a path.
_SECRET_NAME = (
    r"(?:[a-z0-9_.-]*(?:password|passwd|passphrase|secret|token|apikey|"
    r"(?:api|access|private|secret|auth|signing|encryption|master|storage|account|client|app)"
    r"[_.-]?key)|(?:[a-z0-9_.-]*[_.-]|\b)pass|[a-z0-9_.-]*[_.-]pwd)"
    r"(?:[_.-]?(?:base|value|b64|base64|raw|v?[0-9]+))?"
)
_FLAG_NAME = r"--?[a-z0-9-]*(?:password|passwd|passphrase|secret|token|api-?key)"
_PRIVATE_KEY_LABEL = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_DB_SCHEMES = (
    "postgres", "postgresql", "mysql", "mariadb", "mongodb", "redis", "rediss", "amqp", "amqps",
    "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchdb", "neo4j", "cassandra",
)  # fmt: skip

_DETECTORS: tuple[_Detector, ...] = (
    _Detector(
        "aws-access-key",
        r"\b((?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{16})\b",
        ("AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA", "AGPA", "ANPA", "ANVA", "APKA"),
    ),
    _Detector(
        "aws-secret-key",
        r"(?i)[a-z0-9_.-]*(?:aws[a-z0-9_.-]*secret|secret[_.-]?access[_.-]?key)[a-z0-9_.-]*"
        r"(?:" + _ASSIGN + r"|[ \t]+)[\"']?([a-z0-9/+]{40,})",
        ("secret",),
        ignore_case=True,
        validate=_exact_length(40),
    ),
    _Detector("gcp-api-key", r"\b(AIza[0-9A-Za-z_-]{35,})", ("AIza",), validate=_exact_length(39)),
    _Detector(
        "gcp-service-account-key",
        r'"private_key"[ \t\r\n]*:[ \t\r\n]*"(-----BEGIN (?:[^"\\]|\\.)*)"',
        ("service_account", "gserviceaccount.com"),
        requires=('"private_key"',),
        rank=4,  # beats the private-key block inside it
        validate=_pem_ok,
    ),
    _Detector(
        "azure-storage-key",
        r"(?i)\bAccountKey[\"']?[ \t]*[:=][ \t]*[\"']?([a-z0-9+/]{40,}={0,2})",
        ("accountkey",),
        ignore_case=True,
    ),
    _Detector(
        "github-token",
        r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _Detector(
        "gitlab-token",
        r"\b(gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*)",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-"),
    ),
    _Detector(
        "slack-token",
        r"\b((?:xox[abposer]|xapp)-[0-9A-Za-z-]{10,})",
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxe-", "xoxr-", "xapp-"),
    ),
    _Detector(
        "slack-webhook",
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})",
        ("hooks.slack.com",),
    ),
    _Detector(
        "stripe-key",
        r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
    ),
    _Detector(
        "openai-key",
        r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,}))",
        ("sk-",),
        rank=2,
        validate=_openai_ok,
    ),
    _Detector("anthropic-key", r"\b(sk-ant-[A-Za-z0-9_-]{20,})", ("sk-ant-",), rank=4),
    _Detector("npm-token", r"\b(npm_[A-Za-z0-9]{36,})", ("npm_",)),
    _Detector("pypi-token", r"\b(pypi-AgE[A-Za-z0-9_-]{50,})", ("pypi-AgE",)),
    _Detector("sendgrid-key", r"\b(SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})", ("SG.",)),
    _Detector("twilio-key", r"\b(SK[0-9a-fA-F]{32})\b", ("SK",)),
    _Detector("huggingface-token", r"\b(hf_[A-Za-z0-9]{34,})", ("hf_",)),
    _Detector(
        "google-oauth-token", r"\b(ya29\.(?:[0-9A-Za-z_-]+\.)*[0-9A-Za-z_-]{20,})", ("ya29.",)
    ),
    _Detector(
        "shopify-token",
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    _Detector(
        "digitalocean-token", r"\b(do[opr]_v1_[a-f0-9]{64})\b", ("dop_v1_", "doo_v1_", "dor_v1_")
    ),
    _Detector(
        "jwt",
        r"\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{16,})",
        ("eyJ",),
        rank=2,
        validate=_jwt_ok,
    ),
    _Detector(
        "private-key",
        r"(?s)(-----BEGIN " + _PRIVATE_KEY_LABEL + r"(?:\\[rn]|\s)+[A-Za-z0-9+/=]"
        r".*?(?:-----END " + _PRIVATE_KEY_LABEL + r"|\z))",
        ("-----BEGIN",),
        validate=_pem_ok,
    ),
    _Detector(
        "database-url",
        r"(?i)\b(?:" + "|".join(_DB_SCHEMES) + r")(?:\+[a-z0-9]+)?://"
        r"[^\s:/?#@\"'`<>]*:([^\s/?#\"'`<>]+)@",
        _DB_SCHEMES,
        ignore_case=True,
        requires=("://", "@"),
        rank=1,
        validate=_database_password_ok,
    ),
    _Detector(
        "generic-secret",
        r"(?i)"
        + _SECRET_NAME
        + _ASSIGN
        + r"(?:"
        + _QUOTED
        + "|"
        + _UNQUOTED
        + r")"
        + r"|(?:^|[\s\"'])"
        + _FLAG_NAME
        + r"[ \t]+(?:"
        + _QUOTED
        + "|"
        + _UNQUOTED
        + r")"
        + r"|\bbearer[ \t]+([a-z0-9._~+/-]{16,}=*)"
        + r"|\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+([a-z0-9+/]{8,}={0,2})",
        ("pass", "pwd", "secret", "token", "key", "bearer", "authorization"),
        ignore_case=True,
        rank=0,
        validate=_generic_ok,
        rescan_value=True,
    ),
)

_UNANCHORED = re2._Anchor.UNANCHORED
_RESCAN_LIMIT = 256  # bytes
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


class _Compiled(NamedTuple):
    detector: _Detector
    regexp: Any  # re2's RE2 object: Match(anchor, bytes, start, end) → spans of all groups
    keywords: frozenset[int]  # indices in the keyword set: any of them
    requires: frozenset[int]  # all of them


class _Scanner(NamedTuple):
    detectors: tuple[_Compiled, ...]
    keyword_set: Any  # re2 Set of every keyword: which occur, in one pass over the text
    sentinel: int  # a keyword that matches every text: missing from a result, the set failed


@cache
def _scanner() -> _Scanner:
    """The detectors' patterns and keywords, compiled on first use (import compiles nothing)."""
    options = re2.Options()
    options.log_errors = False
    keyword_set = re2.Set.SearchSet(options)
    index: dict[str, int] = {}

    def add(literal: str, ignore_case: bool) -> int:
        pattern = ("(?i)" if ignore_case else "") + re2.escape(literal)
        if pattern not in index:
            index[pattern] = keyword_set.Add(pattern)
        return index[pattern]

    detectors = tuple(
        _Compiled(
            d,
            re2.compile(d.pattern, options=options)._regexp,
            frozenset(add(k, d.ignore_case) for k in d.keywords),
            frozenset(add(r, True) for r in d.requires),
        )
        for d in _DETECTORS
    )
    sentinel = keyword_set.Add("")
    keyword_set.Compile()
    return _Scanner(detectors, keyword_set, sentinel)


def _active(text: str, data: bytes) -> list[_Compiled]:
    """The detectors whose keywords occur in the text (and whose required literals all do)."""
    scanner = _scanner()
    hits = frozenset(scanner.keyword_set.Match(data) or ())
    if scanner.sentinel in hits:
        return [
            c for c in scanner.detectors if not c.keywords.isdisjoint(hits) and c.requires <= hits
        ]
    # RE2 gave up (its DFA ran out of memory): look for the keywords one by one.
    return _active_slowly(text)


def _active_slowly(text: str) -> list[_Compiled]:
    lowered = text.lower()
    return [
        c
        for c in _scanner().detectors
        if any(k in (lowered if c.detector.ignore_case else text) for k in c.detector.keywords)
        and all(r in lowered for r in c.detector.requires)
    ]


# --- scanning -----------------------------------------------------------------------------------


def _candidates(text: str, data: bytes) -> list[tuple[int, int, int, str]]:
    """(rank, byte start, byte end, kind) of every validated match of every active detector."""
    found: list[tuple[int, int, int, str]] = []
    n = len(data)
    for compiled in _active(text, data):
        detector, regexp = compiled.detector, compiled.regexp
        pos = 0
        while pos < n:
            spans = regexp.Match(_UNANCHORED, data, pos, n)
            match_start, match_end = spans[0]
            if match_start < 0:
                break
            group, (start, end) = next(
                ((i, s) for i, s in enumerate(spans[1:], 1) if s[0] >= 0), (0, spans[0])
            )
            value = data[start:end].decode("utf-8", "surrogatepass")
            if detector.validate(value, group):
                found.append((detector.rank, start, end, detector.kind))
            elif detector.rescan_value and match_start < start and end - start <= _RESCAN_LIMIT:
                # ``token: Bearer …``: the rejected value ``Bearer`` starts another match. Only
                # short values are searched again, which keeps the whole scan linear.
                pos = start
                continue
            pos = max(match_end, pos + 1)
    return found


def _resolve(candidates: list[tuple[int, int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans: most specific first, then longest, then earliest, then by kind."""
    chosen: list[tuple[int, int, str]] = []  # kept sorted by start, never overlapping
    starts: list[int] = []
    for _rank, start, end, kind in sorted(
        candidates, key=lambda c: (-c[0], c[1] - c[2], c[1], c[3])
    ):
        i = bisect.bisect_right(starts, start)
        if (i > 0 and chosen[i - 1][1] > start) or (i < len(starts) and starts[i] < end):
            continue
        chosen.insert(i, (start, end, kind))
        starts.insert(i, start)
    return chosen


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def _fingerprint(key: bytes, value: bytes) -> str:
    mac = _keyed(key).copy()  # the key's padding is hashed once per key, not once per finding
    mac.update(value)
    return mac.hexdigest()[:FINGERPRINT_LENGTH]


def find_secrets(text: str, field: str, key: bytes = DEFAULT_FINGERPRINT_KEY) -> list[Finding]:
    """The secrets in ``text`` (the value of the action field ``field``), sorted by start.

    Deterministic: the same text, field and key always give the same findings. ``key`` keys the
    fingerprints; the runtime passes its own.
    """
    if len(text) < MIN_SECRET_LENGTH:  # too short for any detector (a tool's argument names)
        return []
    data = text.encode("utf-8", "surrogatepass")
    spans = _resolve(_candidates(text, data))
    if len(data) == len(text):  # ASCII: byte offsets are character offsets
        return [Finding(kind, field, s, e, _fingerprint(key, data[s:e])) for s, e, kind in spans]
    # Character offset of a byte offset: the bytes before it that start a character. Offsets are
    # converted in increasing order, so the whole conversion is one pass over the text.
    to_char: dict[int, int] = {}
    previous_byte = previous_char = 0
    for offset in sorted({o for s, e, _ in spans for o in (s, e)}):
        previous_char += len(data[previous_byte:offset].translate(None, _CONTINUATION_BYTES))
        previous_byte = offset
        to_char[offset] = previous_char
    return [
        Finding(kind, field, to_char[s], to_char[e], _fingerprint(key, data[s:e]))
        for s, e, kind in spans
    ]


def scan_fields(
    fields: Iterable[tuple[str, str]], key: bytes = DEFAULT_FINGERPRINT_KEY
) -> list[Finding]:
    """The secrets of many ``(field, text)`` pairs, in the order of the pairs, then by start."""
    return [finding for field, text in fields for finding in find_secrets(text, field, key)]


@cache
def _secret_name() -> Any:
    return re2.compile(r"(?i)^" + _SECRET_NAME + "$")


def find_named_secret(
    name: str, value: str, field: str, key: bytes = DEFAULT_FINGERPRINT_KEY
) -> Finding | None:
    """A secret held whole by a structured value under a secret-looking name — a tool's argument
    ``{"password": "Zq8V…"}``, where the text itself carries no name to recognise it by. The
    value must pass the ``generic-secret`` checks for a quoted value (length, placeholders,
    entropy); the finding spans the whole value."""
    if not value or not _secret_name().search(name) or not _generic_ok(value, 1):
        return None
    data = value.encode("utf-8", "surrogatepass")
    return Finding("generic-secret", field, 0, len(value), _fingerprint(key, data))


def redact_text(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding's span replaced by ``[REDACTED:<kind>]``.

    The findings must come from this text (their field is not checked). Overlapping spans are
    merged and the merged span takes the kind of its first finding, so no part of any span
    survives. A span outside the text is an error: the findings are another text's.
    """
    spans = sorted((f.start, f.end, f.kind) for f in findings)
    for start, end, _ in spans:
        if not 0 <= start <= end <= len(text):
            raise ValueError(
                f"finding span {start}..{end} lies outside a text of length {len(text)}"
            )
    pieces: list[str] = []
    done = 0  # text[:done] has been emitted or redacted
    for start, end, kind in spans:
        if end <= done:
            continue
        if start < done:  # overlaps the previous span: extend that redaction
            done = end
            continue
        pieces.append(text[done:start])
        pieces.append(f"[REDACTED:{kind}]")
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


# -- JSON values ---------------------------------------------------------------------------------

_SEPARATOR = "\n\0\n"  # no detector matches across a newline, a NUL and a newline
_NAME_WORDS = ("pass", "pwd", "secret", "token", "key")  # every secret-looking name has one


def _walk(
    value: Any, strings: list[str], named: list[tuple[str, Any]], name: str | None = None
) -> None:
    """Collect every string of a JSON value (keys too), and the (name, value) pairs of strings
    and numbers held under a key that may name a secret — directly or inside a list or object
    under it (``{"password": ["…"]}``): ``name`` is that key."""
    if isinstance(value, str):
        strings.append(value)
        if name is not None and value:
            named.append((name, value))
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if name is not None:
            named.append((name, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"a JSON object key must be a string, not {type(k).__name__}")
            strings.append(k)
            low = k.lower()
            _walk(v, strings, named, k if any(w in low for w in _NAME_WORDS) else name)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk(v, strings, named, name)


class _JsonScrubber:
    """Every string of a JSON value with the secrets the detectors find replaced by markers."""

    def __init__(self) -> None:
        self._find = find_secrets
        self._named = find_named_secret
        self._redact = redact_text

    def __call__(self, value: Any) -> Any:
        strings: list[str] = []
        pairs: list[tuple[str, Any]] = []
        _walk(value, strings, pairs)
        replaced = self._replacements(strings)
        # values held under a secret-looking name, wherever they appear (a number too: a PIN)
        named: dict[Any, str] = {}
        for k, v in pairs:
            finding = self._named(k, v if isinstance(v, str) else repr(v), "audit")
            if finding is not None:
                named[v] = f"[REDACTED:{finding.kind}]"
        if not replaced and not named:
            return value
        return self._rebuild(value, replaced, named)

    def _replacements(self, strings: list[str]) -> dict[str, str]:
        if not strings:
            return {}
        joined = _SEPARATOR.join(strings)
        findings = self._find(joined, "audit")
        if not findings:
            return {}
        starts: list[int] = []
        position = 0
        for s in strings:
            starts.append(position)
            position += len(s) + len(_SEPARATOR)
        touched: set[int] = set()
        for f in findings:  # the strings a finding overlaps
            first = bisect.bisect_right(starts, f.start) - 1
            last = bisect.bisect_right(starts, max(f.start, f.end - 1)) - 1
            touched.update(range(max(first, 0), last + 1))
        replaced: dict[str, str] = {}
        for i in sorted(touched):
            s = strings[i]
            if s in replaced:
                continue
            own = self._find(s, "audit")
            if own:
                replaced[s] = self._redact(s, own)
        return replaced

    def _rebuild(self, value: Any, replaced: dict[str, str], named: dict[Any, str]) -> Any:
        if isinstance(value, str):
            return named.get(value) or replaced.get(value, value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            return named.get(value, value)
        if isinstance(value, dict):
            return {
                replaced.get(str(k), str(k)): self._rebuild(v, replaced, named)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._rebuild(v, replaced, named) for v in value]
        return value


_JSON_SCRUBBER = _JsonScrubber()


def scrub_json(value: Any) -> Any:
    """A JSON value with every secret replaced by its marker: what the detectors find in any
    string (keys included; all strings in one pass, then string by string only where something
    was found), and every value held under a secret-looking name, directly or inside a list or
    object under it (``{"password": ["…"]}``). ``value`` itself when there is none (the same
    object). For records that leave the engine: the audit log, results passed on to a client."""
    return _JSON_SCRUBBER(value)
