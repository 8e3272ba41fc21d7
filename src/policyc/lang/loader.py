"""Finding and reading policy files: paths and directories given, their imports, the stdlib.

``import a.b`` resolves to a loaded module declaring ``module a.b``, else to the file
``a/b.policy`` of the standard library shipped in ``policyc.stdlib_policies``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from policyc.lang.ast import Import, Module
from policyc.lang.diagnostics import Diagnostic
from policyc.lang.parser import parse_module

STDLIB_PACKAGE = "policyc.stdlib_policies"


@dataclass
class Sources:
    """Everything loaded for one run: modules (entry modules first) and the diagnostics so far."""

    modules: list[Module] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # file → text, for rendering diagnostics
    on_disk: bool = True  # False for policies given as text: their imports are not searched for
    diagnostics: list[Diagnostic] = field(default_factory=list)


def policy_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.rglob("*.policy"))
            if not found:
                problems.append(
                    Diagnostic("no_policies", "warning", f"no .policy files under {path}")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Diagnostic("io_error", "error", f"no such file or directory: {path}"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def read_module(text: str, file: str, sources: Sources) -> Module | None:
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the policy
    sources.texts[file] = text
    try:
        module, diagnostics = parse_module(text, file)
    except Exception as e:  # fail closed: a parser crash refuses the file, it never passes
        sources.diagnostics.append(
            Diagnostic("internal_error", "error", f"{file}: {type(e).__name__}: {e}")
        )
        return None
    sources.diagnostics.extend(diagnostics)
    if module is None:
        return None
    if not module.name:
        stem = re.sub(r"[^a-z0-9_]+", "_", Path(file).stem.lower()).strip("_") or "policy"
        if not stem[0].isalpha():
            stem = "m_" + stem
        sources.diagnostics.append(
            Diagnostic(
                "missing_module",
                "warning",
                f"no 'module' line; the module is named '{stem}' after its file",
                None if not module.items else module.items[0].span,
            )
        )
        module = Module(stem, module.file, module.items, module.comments, None, module.source)
    return module


def display_name(path: Path) -> str:
    """How a file is named in positions and digests: ``<stdlib>/…`` for a file of the standard
    library (wherever it is installed, so that the same policies hash the same), else the path
    as given."""
    try:
        root = Path(str(_stdlib_root())).resolve()
        rel = path.resolve().relative_to(root)
    except (ValueError, OSError):
        return str(path)
    return "<stdlib>/" + rel.as_posix()


def load(paths: Iterable[str | Path], *, include_stdlib_when_empty: bool = False) -> Sources:
    """Read the given files (directories are searched for ``*.policy``) and their imports."""
    sources = Sources()
    files, problems = policy_files(paths)
    sources.diagnostics.extend(problems)
    for f in files:
        try:
            text = f.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            sources.diagnostics.append(Diagnostic("io_error", "error", f"cannot read {f}: {e}"))
            continue
        module = read_module(text, display_name(f), sources)
        if module is not None:
            _add(sources, module, entry=True)
    if include_stdlib_when_empty and not files:
        for name in stdlib_modules():
            _load_stdlib(sources, name, None)
    _resolve_imports(sources)
    return sources


def load_texts(texts: dict[str, str]) -> Sources:
    """Load policies given as text (file name → text), resolving imports the same way."""
    sources = Sources(on_disk=False)
    for file, text in texts.items():
        module = read_module(text, file, sources)
        if module is not None:
            _add(sources, module, entry=True)
    _resolve_imports(sources)
    return sources


def _add(sources: Sources, module: Module, entry: bool) -> None:
    for other in sources.modules:
        if other.name == module.name:
            sources.diagnostics.append(
                Diagnostic(
                    "duplicate_module",
                    "error",
                    f"module '{module.name}' is declared twice (also in {other.file})",
                    module.name_span,
                )
            )
            return
    sources.modules.append(module)
    if entry:
        sources.entries.append(module.name)


def _resolve_imports(sources: Sources) -> None:
    i = 0
    while i < len(sources.modules):
        module = sources.modules[i]
        i += 1
        for imp in module.of(Import):
            if any(m.name == imp.module for m in sources.modules):
                continue
            if sources.on_disk and _load_sibling(sources, imp.module, module.file):
                continue
            _load_stdlib(sources, imp.module, imp)


_MODULE_LINE = re.compile(r"^[ \t]*module[ \t]+([a-z][a-z0-9_.]*)", re.M)


def _load_sibling(sources: Sources, name: str, importer: str) -> bool:
    """Find the module among the importing file's neighbours (its folder, or ``a/b.policy``
    under it), so that a project's files import each other without listing them all."""
    if importer.startswith("<"):
        return False
    folder = Path(importer).parent
    candidates = [folder.joinpath(*name.split(".")).with_suffix(".policy")]
    candidates += sorted(folder.glob("*.policy"))
    for path in candidates:
        if not path.is_file() or any(m.file == str(path) for m in sources.modules):
            continue
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        m = _MODULE_LINE.search(text.removeprefix("\ufeff"))
        if m is None or m.group(1) != name:
            continue
        module = read_module(text, str(path), sources)
        if module is not None:
            _add(sources, module, entry=False)
            return True
    return False


def _stdlib_root() -> resources.abc.Traversable:
    return resources.files(STDLIB_PACKAGE)


def stdlib_modules() -> list[str]:
    """Names of every module in the standard library."""
    out = []
    stack: list[tuple[resources.abc.Traversable, str]] = [(_stdlib_root(), "")]
    while stack:
        d, prefix = stack.pop()
        for entry in d.iterdir():
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                stack.append((entry, f"{prefix}{entry.name}."))
            elif entry.name.endswith(".policy"):
                out.append(prefix + entry.name.removesuffix(".policy"))
    return sorted(out)


def _load_stdlib(sources: Sources, name: str, imp: Import | None) -> None:
    target = _stdlib_root().joinpath(*name.split(".")[:-1], name.split(".")[-1] + ".policy")
    if not target.is_file():
        sources.diagnostics.append(
            Diagnostic(
                "unknown_module",
                "error",
                f"cannot find module '{name}': no loaded file declares it and the standard "
                "library has no such module",
                imp.span if imp else None,
            )
        )
        return
    text = target.read_text("utf-8")
    file = f"<stdlib>/{name.replace('.', '/')}.policy"
    module = read_module(text, file, sources)
    if module is not None:
        if module.name != name:
            sources.diagnostics.append(
                Diagnostic(
                    "module_name_mismatch",
                    "error",
                    f"{file} declares module '{module.name}', expected '{name}'",
                    module.name_span,
                )
            )
            return
        _add(sources, module, entry=False)
