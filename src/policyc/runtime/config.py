"""The runtime configuration: ``policyc.toml``, or the same keys under ``[tool.policyc]`` in
``pyproject.toml`` (``docs/configuration.md``).

:func:`load_config` finds and reads the file and returns a :class:`RuntimeConfig`: paths resolved
against the file's folder, durations in seconds. Every problem is a :class:`ConfigError` whose
message names the file, the key (dotted, ``approvals.expiry``, ``alerts[1].type``) and what is
wrong with it; a TOML syntax error names the file, line and column. A hook process imports this
module once per action, so it imports nothing beyond ``tomllib`` and pydantic.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

CONFIG_ENV = "POLICYC_CONFIG"
"""The environment variable that names the configuration file explicitly."""

CONFIG_NAME = "policyc.toml"
DEFAULT_STATE_DIR = ".policyc"
"""The state folder, relative to the configuration file (or the current folder)."""
PYPROJECT_NAME = "pyproject.toml"

FailMode = Literal["closed", "open"]
Synchronous = Literal["normal", "full"]
DefaultEffect = Literal["allow", "alert", "redact", "deny", "terminate"]
"""The effects a configuration may make the default: as in the language, any effect but
``require_approval`` (a default names no approver)."""
AlertType = Literal["jsonl", "stderr", "webhook"]
ALERT_TYPES: tuple[str, ...] = ("jsonl", "stderr", "webhook")

MAX_DURATION = 365 * 86400.0
"""The longest duration a configuration may give (365 days)."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([0-9]+)([smhd])", re.ASCII)
_DURATION_HINT = "use seconds or 30s, 15m, 1h, 1d"


class ConfigError(Exception):
    """The configuration cannot be used. ``code`` is stable: ``config_not_found`` (a file named
    explicitly does not exist), ``config_unreadable``, ``config_syntax`` (not TOML) or
    ``config_invalid`` (a key is unknown or has a bad value). ``message`` names the file, the
    key and the problem, one problem per line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- durations --------------------------------------------------------------------------------


def parse_duration(value: object) -> float:
    """Seconds from a duration: a number of seconds, or ``"30s"``, ``"15m"``, ``"1h"``, ``"1d"``.
    Raises :class:`ValueError` with a message that shows the value."""
    seconds: float
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{_show(value)} is not a duration ({_DURATION_HINT})")
    if isinstance(value, str):
        m = _DURATION.fullmatch(value)
        if m is None:
            raise ValueError(f"{_show(value)} is not a duration ({_DURATION_HINT})")
        digits, unit = m.groups()
        if len(digits) > 12:  # far beyond the limit; keeps int() and float() cheap
            raise ValueError(f"{_show(value)} is longer than 365 days")
        seconds = float(int(digits) * _UNITS[unit])
    else:
        if isinstance(value, int) and abs(value) > 10**12:
            raise ValueError(f"{_show(value)} is longer than 365 days")
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{_show(value)} is not a duration ({_DURATION_HINT})")
    if seconds <= 0:
        raise ValueError(f"{_show(value)} is not a duration: it must be more than zero")
    if seconds > MAX_DURATION:
        raise ValueError(f"{_show(value)} is longer than 365 days")
    return seconds


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as e:
        raise PydanticCustomError("duration", "{problem}", {"problem": str(e)}) from None


Duration = Annotated[float, BeforeValidator(_duration)]
"""Seconds (a float), given as a number of seconds or a string such as ``"15m"``."""


# -- the model --------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AuditConfig(_Section):
    """``[audit]``: the audit log in the state folder's database."""

    enabled: bool = True
    """Write a record of every decision."""
    synchronous: Synchronous = "normal"
    """SQLite durability: ``normal`` (a power loss may lose the last transactions, never damage
    earlier ones) or ``full`` (every decision is on disk before it is returned)."""


class ApprovalsConfig(_Section):
    """``[approvals]``: the grants that approve a ``require_approval`` action."""

    expiry: Duration = 3600.0
    """Seconds a grant stays valid after it is issued."""
    single_use: bool = True
    """A grant approves one action, once."""


class SessionsConfig(_Section):
    """``[sessions]``: the state kept for each agent session."""

    denial_window: Duration = 600.0
    """Seconds over which ``session.recent_denials`` counts denials (a sliding window)."""


class _FileConfig(_Section):
    """The keys of the file, as TOML gives them (alerts are checked by hand)."""

    policies: list[str] | None = None
    stdlib: bool | None = None
    state_dir: str = DEFAULT_STATE_DIR
    default_effect: DefaultEffect | None = None
    fail_mode: FailMode = "closed"
    audit: AuditConfig = Field(default_factory=AuditConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    alerts: Any = None


class RuntimeConfig(BaseModel):
    """The runtime configuration, resolved: absolute paths, durations in seconds.

    ``policies`` are the ``.policy`` files and folders given (empty: none given); ``stdlib``
    whether the standard library is loaded as well (by default only when no policies are
    given); :meth:`policy_paths` is what to pass to ``policyc.load``. ``default_effect``, when
    set, is the effect when no rule fires, in place of the policy set's declared default.
    ``alerts`` are the sink tables as written (``type`` checked; a relative ``path`` of a
    ``jsonl`` sink resolved), for ``policyc.runtime.alerts.build_sinks``. ``source`` is the file
    read, ``None`` for the defaults.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Path | None = None
    policies: tuple[Path, ...] = ()
    stdlib: bool = True
    state_dir: Path
    default_effect: DefaultEffect | None = None
    fail_mode: FailMode = "closed"
    audit: AuditConfig = Field(default_factory=AuditConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    alerts: tuple[dict[str, Any], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _stdlib_default(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("stdlib") is None:
            data = {**data, "stdlib": not data.get("policies")}
        return data

    @field_validator("policies", "state_dir", "source")
    @classmethod
    def _make_absolute(cls, value: Any) -> Any:
        if isinstance(value, Path):
            return _absolute(value)
        if isinstance(value, tuple):
            return tuple(_absolute(p) for p in value)
        return value

    @field_validator("alerts")
    @classmethod
    def _alert_types(cls, value: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        for table in value:
            if table.get("type") not in ALERT_TYPES:
                raise ValueError(f"an alert sink's type must be one of {', '.join(ALERT_TYPES)}")
        return value

    @model_validator(mode="after")
    def _something_to_load(self) -> RuntimeConfig:
        if not self.stdlib and not self.policies:
            raise ValueError("stdlib is false and no policies are given: nothing to load")
        return self

    @classmethod
    def default(cls, cwd: Path | None = None) -> RuntimeConfig:
        """The configuration without a file: the standard library, the state folder
        ``.policyc`` under ``cwd`` (default: the current folder), fail closed."""
        base = _absolute(cwd if cwd is not None else Path.cwd())
        return cls(state_dir=base / DEFAULT_STATE_DIR)

    def policy_paths(self) -> list[Path] | None:
        """The ``paths`` argument of ``policyc.load``: ``None`` for the standard library alone,
        else the policies given (after the standard library's folder when ``stdlib``)."""
        if not self.policies:
            return None
        if not self.stdlib:
            return list(self.policies)
        from policyc.decision.engine import stdlib_path

        return [stdlib_path(), *self.policies]


# -- finding and loading ----------------------------------------------------------------------


def find_config(start: Path) -> Path | None:
    """The configuration file for ``start``: in ``start`` and then each folder above it up to
    the filesystem root, the first ``policyc.toml``, or ``pyproject.toml`` with a
    ``[tool.policyc]`` table (one without it is passed over). In one folder ``policyc.toml``
    comes first. ``None`` if there is none. Raises :class:`ConfigError` when a
    ``pyproject.toml`` on the way cannot be read, or mentions policyc and is not valid TOML (it
    might hold the configuration)."""
    here = _absolute(start)
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if _is_file(candidate):
            return candidate
        candidate = folder / PYPROJECT_NAME
        if _is_file(candidate) and _has_tool_policyc(candidate):
            return candidate
    return None


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> RuntimeConfig:
    """The runtime configuration: from ``path`` if given, else from the file that
    ``$POLICYC_CONFIG`` names, else from :func:`find_config` (``cwd``, default: the current
    folder), else :meth:`RuntimeConfig.default`. Relative ``path`` and ``$POLICYC_CONFIG`` are
    taken from ``cwd``. Raises :class:`ConfigError`."""
    base = _absolute(cwd if cwd is not None else Path.cwd())
    if path is None:
        named = os.environ.get(CONFIG_ENV, "")
        if named:
            return _load_named(_absolute(base / named), f" (named by ${CONFIG_ENV})", base)
        found = find_config(base)
        if found is None:
            return RuntimeConfig.default(base)
        return read_config(found, cwd=base)
    return _load_named(_absolute(base / path), "", base)


def _load_named(path: Path, why: str, cwd: Path) -> RuntimeConfig:
    if not path.exists():
        raise ConfigError("config_not_found", f"{_display(path, cwd)}: no such file{why}")
    return read_config(path, cwd=cwd)


def read_config(path: Path, *, cwd: Path | None = None) -> RuntimeConfig:
    """The configuration in the file ``path`` (``[tool.policyc]`` if it is named
    ``pyproject.toml``). Messages show ``path`` relative to ``cwd`` when it is below it."""
    path = _absolute(path)
    shown = _display(path, _absolute(cwd) if cwd is not None else None)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(
            "config_unreadable", f"{shown}: cannot be read ({_os_error(e)})"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            "config_syntax", f"{shown}: not UTF-8 text (a bad byte at offset {e.start})"
        ) from None
    return parse_config(text, path, shown=shown)


def parse_config(text: str, path: Path, *, shown: str | None = None) -> RuntimeConfig:
    """The configuration in ``text``, the contents of the file ``path`` (which gives the folder
    relative paths start from and, by its name, whether it is a ``pyproject.toml``). ``shown``
    is the file's name in messages (default: ``path``)."""
    path = _absolute(path)
    shown = shown if shown is not None else str(path)
    data = _parse_toml(text, shown)
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT_NAME:
        prefix = ("tool", "policyc")
        tool = data.get("tool")
        if not isinstance(tool, dict) or "policyc" not in tool:
            raise ConfigError("config_invalid", f"{shown}: has no [tool.policyc] table")
        section = tool["policyc"]
        if not isinstance(section, dict):
            raise ConfigError(
                "config_invalid",
                f"{shown}: tool.policyc: expected a table, got {_show(section)}",
            )
        data = section
    return config_from_data(data, path, shown=shown, prefix=prefix)


def config_from_data(
    data: Mapping[str, Any],
    path: Path,
    *,
    shown: str | None = None,
    prefix: tuple[str, ...] = (),
) -> RuntimeConfig:
    """The configuration from the table ``data`` read from the file ``path``; ``prefix`` is
    where the table is in the file (``("tool", "policyc")`` in a ``pyproject.toml``)."""
    path = _absolute(path)
    shown = shown if shown is not None else str(path)
    base = path.parent
    problems: list[tuple[tuple[str | int, ...], str]] = []
    fields = dict(data)
    alerts_raw = fields.pop("alerts", None)

    raw: _FileConfig | None = None
    try:
        raw = _FileConfig.model_validate(fields)
    except ValidationError as e:
        problems.extend(_problems(e))
    alerts = _alerts(alerts_raw, base, problems)

    policies: list[Path] = []
    state_dir = base / DEFAULT_STATE_DIR
    if raw is not None:
        for i, p in enumerate(raw.policies or ()):
            resolved = _path(p, base, ("policies", i), problems)
            if resolved is not None:
                policies.append(resolved)
        state_dir = _path(raw.state_dir, base, ("state_dir",), problems) or state_dir
        if raw.stdlib is False and not raw.policies:
            problems.append(
                (("stdlib",), "is false and no policies are given: there would be nothing to load")
            )
    if problems or raw is None:
        lines = [f"{shown}: {_key(prefix + loc)}: {problem}" for loc, problem in problems]
        raise ConfigError("config_invalid", "\n".join(lines))
    return RuntimeConfig(
        source=path,
        policies=tuple(policies),
        stdlib=raw.stdlib if raw.stdlib is not None else not policies,
        state_dir=state_dir,
        default_effect=raw.default_effect,
        fail_mode=raw.fail_mode,
        audit=raw.audit,
        approvals=raw.approvals,
        sessions=raw.sessions,
        alerts=tuple(alerts),
    )


# -- helpers ----------------------------------------------------------------------------------


def _parse_toml(text: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m is not None:
            line, column = int(m.group(1)), int(m.group(2))
            message = message[: m.start()]
        else:  # at the end of the document
            message = re.sub(r"\s*\(at end of document\)$", "", message)
            line = text.count("\n") + 1
            column = len(text) - text.rfind("\n")
        problem = message[:1].lower() + message[1:]
        raise ConfigError(
            "config_syntax", f"{shown}:{line}:{column}: not valid TOML: {problem}"
        ) from None
    except RecursionError:
        raise ConfigError("config_syntax", f"{shown}: not valid TOML: nested too deeply") from None


def _alerts(
    value: object, base: Path, problems: list[tuple[tuple[str | int, ...], str]]
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append((("alerts",), f"expected an array of tables, got {_show(value)}"))
        return []
    tables: list[dict[str, Any]] = []
    for i, table in enumerate(value):
        if not isinstance(table, dict):
            problems.append((("alerts", i), f"expected a table, got {_show(table)}"))
            continue
        kind = table.get("type")
        choices = ", ".join(f'"{t}"' for t in ALERT_TYPES)
        if "type" not in table:
            problems.append(
                (("alerts", i, "type"), f"missing: each alert sink has a type ({choices})")
            )
            continue
        if not isinstance(kind, str):
            problems.append((("alerts", i, "type"), f"expected a string, got {_show(kind)}"))
            continue
        if kind not in ALERT_TYPES:
            problems.append((("alerts", i, "type"), f"{_show(kind)} is not one of {choices}"))
            continue
        table = dict(table)
        sink_path = table.get("path")
        if kind == "jsonl" and isinstance(sink_path, str):
            resolved = _path(sink_path, base, ("alerts", i, "path"), problems)
            if resolved is not None:
                table["path"] = str(resolved)
        tables.append(table)
    return tables


def _path(
    value: str,
    base: Path,
    loc: tuple[str | int, ...],
    problems: list[tuple[tuple[str | int, ...], str]],
) -> Path | None:
    if not value:
        problems.append((loc, "an empty path"))
        return None
    if "\0" in value:
        problems.append((loc, f"{_show(value)} contains a NUL character"))
        return None
    if value.startswith("~"):
        expanded = os.path.expanduser(value)
        if expanded.startswith("~"):
            problems.append((loc, f"{_show(value)}: no such home folder"))
            return None
        value = expanded
    return _absolute(base / value)


def _absolute(path: Path) -> Path:
    """``path`` made absolute and normalized, without touching the filesystem."""
    return Path(os.path.normpath(path.absolute()))


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError as e:
        raise ConfigError("config_unreadable", f"{path}: cannot be read ({_os_error(e)})") from None


def _has_tool_policyc(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError("config_unreadable", f"{path}: cannot be read ({_os_error(e)})") from None
    if b"policyc" not in data:  # cannot hold [tool.policyc]: skip it without parsing
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            "config_syntax", f"{path}: not UTF-8 text (a bad byte at offset {e.start})"
        ) from None
    tool = _parse_toml(text, str(path)).get("tool")
    return isinstance(tool, dict) and "policyc" in tool


def _display(path: Path, cwd: Path | None) -> str:
    if cwd is not None and path.is_relative_to(cwd) and path != cwd:
        return str(path.relative_to(cwd))
    return str(path)


def _os_error(e: OSError) -> str:
    return e.strerror or type(e).__name__


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


def _key(loc: Sequence[str | int]) -> str:
    """A dotted key as in the file: ``approvals.expiry``, ``alerts[1].type``, ``"a b"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _BARE_KEY.fullmatch(part) else _quote(part)
        out += f".{name}" if out else name
    return out or "(top level)"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _show(value: object) -> str:
    """A value as TOML would write it, short; containers by their kind."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = _quote(value[:60])
        return shown[:-1] + '…"' if len(value) > 60 else shown
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else ("-" if value < 0 else "") + "a huge number"
        return text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return f"a date/time ({value.isoformat()})"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_KINDS = {
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "an array",
    "model_type": "a table",
    "dict_type": "a table",
    "int_type": "an integer",
    "float_type": "a number",
}

_CHOICES: dict[str, tuple[str, ...]] = {
    "fail_mode": ("closed", "open"),
    "synchronous": ("normal", "full"),
    "default_effect": ("allow", "alert", "redact", "deny", "terminate"),
}

_SECTIONS: dict[str, type[BaseModel]] = {
    "audit": AuditConfig,
    "approvals": ApprovalsConfig,
    "sessions": SessionsConfig,
}


def _known_keys(loc: Sequence[str | int]) -> list[str]:
    if len(loc) == 1:
        return list(_FileConfig.model_fields)
    if len(loc) == 2 and isinstance(loc[0], str) and loc[0] in _SECTIONS:
        return list(_SECTIONS[loc[0]].model_fields)
    return []


def _problems(e: ValidationError) -> Iterable[tuple[tuple[str | int, ...], str]]:
    for err in e.errors(include_url=False, include_context=True):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        last = loc[-1] if loc else ""
        problem: str
        if kind == "extra_forbidden":
            problem = _unknown_key(loc)
        elif kind == "literal_error":
            choices = _CHOICES.get(str(last), ())
            listed = ", ".join(f'"{c}"' for c in choices) if choices else err["msg"]
            if last == "default_effect" and value == "require_approval":
                problem = (
                    f'"require_approval" cannot be the default: a default names no approver '
                    f"(use one of {listed})"
                )
            elif isinstance(value, str):
                problem = f"{_show(value)} is not one of {listed}"
            else:
                problem = f"expected one of {listed}, got {_show(value)}"
        elif kind == "duration":
            problem = str(err.get("ctx", {}).get("problem", err["msg"]))
        elif kind in _KINDS:
            expected = _KINDS[kind]
            if last == "policies" and kind == "list_type":
                expected = "an array of paths"
            problem = f"expected {expected}, got {_show(value)}"
        else:  # pragma: no cover - every kind the model can report is handled above
            problem = err["msg"]
        yield loc, problem


def _unknown_key(loc: Sequence[str | int]) -> str:
    known = _known_keys(loc)
    if not known:  # pragma: no cover - only the tables above forbid extra keys
        return "unknown key"
    import difflib

    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f'unknown key (did you mean "{close[0]}"?)'
    where = f"[{loc[0]}]" if len(loc) == 2 else "the top level"
    return f"unknown key (the keys of {where} are: {', '.join(known)})"


__all__ = [
    "ALERT_TYPES",
    "CONFIG_ENV",
    "ApprovalsConfig",
    "AuditConfig",
    "ConfigError",
    "RuntimeConfig",
    "SessionsConfig",
    "config_from_data",
    "find_config",
    "load_config",
    "parse_config",
    "parse_duration",
    "read_config",
]
