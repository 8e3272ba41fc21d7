"""An on-disk cache of compiled policy sets, so that a process per action skips parsing and
analysis.

An entry is keyed by the policyc version and the given files' contents, and lists every file the
compilation read (imports and the standard library included) with its hash; an entry whose files
changed is stale and rebuilt. Entries are pickles signed with HMAC-SHA256 under a per-user key
(created with mode 0600 outside the project), so a cache file someone else wrote or damaged is
ignored and rebuilt, never unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from policyc import __version__
from policyc.engine.program import Program
from policyc.lang.loader import policy_files
from policyc.lang.policy_set import PolicySet

if TYPE_CHECKING:
    from policyc.lang.checker import CheckResult

FORMAT = 6  # 6: invariant rules start with policyc.checking_invariants
_MAGIC = b"policyc-cache\n"


@dataclass(frozen=True)
class _Entry:
    format: int
    version: str
    deps: tuple[tuple[str, str], ...]  # (file, sha256 of its text) for every file compiled
    policy_set: PolicySet  # with its program's rules and analysis (code is generated on load)


class CacheMiss(Exception):
    """Why an entry was not used (for tests and ``--verbose`` output)."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("POLICYC_CACHE_DIR", ".policyc/cache"))


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyc" / "cache.key"


def _key() -> bytes:
    path = _key_file()
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # first writer wins; everyone then reads the same key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_bytes()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _entry_name(paths: list[str]) -> str:
    files, _ = policy_files(paths)
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    for f in files:
        h.update(str(f.resolve()).encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"\0unreadable")
        h.update(b"\0")
    return h.hexdigest()[:40] + ".pickle"


def _read(path: Path) -> PolicySet:
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise CacheMiss(f"no entry ({e.__class__.__name__})") from None
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 32:
        raise CacheMiss("not a cache entry")
    mac, payload = blob[len(_MAGIC) : len(_MAGIC) + 32], blob[len(_MAGIC) + 32 :]
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()):
        raise CacheMiss("signature mismatch: damaged or written by someone else")
    try:
        entry = pickle.loads(payload)
    except Exception as e:
        raise CacheMiss(f"unreadable entry ({e.__class__.__name__})") from None
    if not isinstance(entry, _Entry) or entry.format != FORMAT or entry.version != __version__:
        raise CacheMiss("written by another version")
    for file, digest in entry.deps:
        text = _dep_text(file)
        if text is None or _digest(text) != digest:
            raise CacheMiss(f"stale: {file} changed")
    ps = entry.policy_set
    program = Program(ps.program.rules, ps.program.source_name, ps.program.analysed)
    return replace(ps, program=program)


def _dep_text(file: str) -> str | None:
    if file.startswith("<stdlib>/"):
        from importlib import resources

        target = resources.files("policyc.stdlib_policies").joinpath(file[len("<stdlib>/") :])
        return target.read_text("utf-8") if target.is_file() else None
    try:
        return Path(file).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write(path: Path, ps: PolicySet, texts: dict[str, str]) -> None:
    deps = tuple(sorted((file, _digest(text)) for file, text in texts.items()))
    entry = _Entry(FORMAT, __version__, deps, ps)
    payload = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    mac = hmac.new(_key(), payload, hashlib.sha256).digest()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + mac + payload)
        os.replace(tmp, path)  # atomic: readers see the old entry or the new one, never half
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_policy_set(
    paths: list[str], cache_dir: Path | None = None, *, use_cache: bool = True
) -> tuple[PolicySet | None, CheckResult | None, str]:
    """The compiled policy set for ``paths``: from the cache when valid, else compiled (and
    cached). Returns (policy set or None, the check result when compiled, what the cache did)."""
    directory = cache_dir or default_cache_dir()
    path = directory / _entry_name(paths)
    if use_cache:
        try:
            return _read(path), None, "hit"
        except CacheMiss as miss:
            note = f"miss: {miss}"
    else:
        note = "disabled"
    # compiling needs the whole toolchain; a cache hit never imports it
    from policyc.lang.checker import check_sources
    from policyc.lang.loader import load

    result = check_sources(load(paths))
    if result.policy_set is not None and use_cache:
        try:
            _write(path, result.policy_set, result.texts)
        except OSError as e:
            note += f"; not written ({e.__class__.__name__})"
    return result.policy_set, result, note
