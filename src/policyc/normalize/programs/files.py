"""Files read, written and deleted by the programs whose work is files, and how every family
reports a file written (:func:`_write`) or destroyed (:func:`_destroy`).

Files: readers (``cat``, ``grep``, ``sed``, ``awk``, ``jq``, ``head`` …) read their file
operands, not the pattern, program or filter that comes first nor option values (``head -n 5``,
``grep -e``); ``sed -i``, ``sort -o``, ``tee``, ``touch``, the destination of ``cp``/``mv``/
``install``/``rsync`` write; ``rsync`` local sources read; ``mv`` and ``rsync
--remove-source-files`` delete their sources. A word computed at run time is never a file fact
(the ``unresolved`` fact is there). The files of network clients, ``openssl`` and ``gpg`` are
read in their own modules.

A write to a block device (not ``/dev/null``, ``/dev/zero``, terminals, ``/dev/fd/*``,
``/dev/shm/*``: see :func:`is_device`) is also ``destructive("disk_overwrite", …)``; ``rsync``
with any ``--delete*``/``--del`` option is ``recursive_delete`` of its destination (``""`` when
the destination is remote), and ``rsync -e …`` runs locally and is analysed as shell text
(:mod:`policyc.normalize.programs.destructive` documents the ``destructive`` kinds).

Inline code: an awk program that can run commands or write files (``system``, ``|``,
``print >``), a sed script with ``e``/``w``/``r`` commands, are ``unresolved("inline_code")``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.options import Options, _literal, gnu_options

# -- files written and destroyed, for every family ------------------------------------------

_PSEUDO_DEVICES = {
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/stdin",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/console",
}
_PSEUDO_DEVICE_DIRS = ("/dev/fd/", "/dev/pts/", "/dev/shm/", "/dev/mqueue/", "/dev/tty")


def is_device(canon: str) -> bool:
    """A canonical path that names a device holding data (a disk, a partition), not
    ``/dev/null``, a terminal or a descriptor."""
    return (
        canon.startswith("/dev/")
        and canon not in _PSEUDO_DEVICES
        and not canon.startswith(_PSEUDO_DEVICE_DIRS)
    )


def _write(sh: Shell, path: str, *, named: bool = False) -> None:
    """``named``: a name the program makes (from a URL), not a shell word: not a pattern."""
    for canon in sh.paths(path, pattern=not named):
        sh.add("writes_file", canon)
        if is_device(canon):
            sh.add("destructive", "disk_overwrite", canon)


def _destroy(sh: Shell, kind: str, path: str | None) -> None:
    for canon in (sh.paths(path) if path is not None else []) or [""]:
        sh.add("destructive", kind, canon)


def _object_delete(sh: Shell, targets: list[str], *, recursive: bool) -> None:
    """Deletion by a cloud storage client: a bucket locator (``s3://b/k``) or an rclone remote
    (``remote:path``) is taken as written; anything else is a local path."""
    for t in targets:
        if "://" in t or ":" in t.split("/", 1)[0]:
            sh.add("deletes_file", t)
            if recursive:
                sh.add("destructive", "recursive_delete", t)
        else:
            sh.file("deletes_file", t)
            if recursive:
                _destroy(sh, "recursive_delete", t)


@_program("dotenv")
def _dotenv(base: str, args: list[str | None], sh: Shell) -> None:
    """python-dotenv's ``dotenv [-f FILE] run CMD…`` (and ``get``/``list``) reads FILE (``.env``
    by default) and runs CMD with it."""
    opts = gnu_options(args, short_values="fe", long_values=("file", "export"), permute=False)
    files = [v for v in opts.values("-f", "--file")] or [".env"]
    for f in files:
        if f is not None:
            sh.file("reads_file", f)
    ops = opts.operands
    if ops[:1] == ["run"] and len(ops) > 1:
        sh.words(ops[1:])


@_program("fd", "fdfind")
def _fd(base: str, args: list[str | None], sh: Shell) -> None:
    """``fd … -x|-X CMD`` runs CMD on every file it finds, as ``find -exec`` does: on files not
    known here."""
    if any(a in ("-x", "--exec", "-X", "--exec-batch") for a in args):
        sh.add("unresolved", "find_exec", f"{base} -x runs a command on the files it finds")


@_program("7z", "7za", "7zr")
def _sevenzip(base: str, args: list[str | None], sh: Shell) -> None:
    """``7z a|u ARCHIVE FILE…`` reads the files into the archive."""
    ops = [a for a in args if a is None or not a.startswith("-")]
    if ops[:1] in (["a"], ["u"]):
        for f in ops[2:]:
            if f is not None:
                read_tree(sh, f)  # 7z archives what lies below a folder


# -- recursive reads -------------------------------------------------------------------------


def read_tree(sh: Shell, path: str, only: Sequence[str | None] = ()) -> None:
    """A recursive read of ``path`` (``grep -r``, ``cp -r``, ``tar c``, ``zip -r``, ``rsync -a``,
    ``rg --hidden`` …): the path is read, and every file below it, hidden ones included:
    ``reads_tree(D, G)`` for each glob ``G`` of the files it may read (``D/**``, or
    ``D/**/NAME`` for each base-name pattern of ``only``, as ``grep --include=NAME`` keeps).
    Which files are there is known only at run time; the policies judge the globs."""
    names = [n for n in only if n is not None and "/" not in n]
    if len(names) != len(only) or any(set(n) <= {"*", "?"} for n in names):
        names = []  # a computed, path-like or any-name filter: everything below
    pattern = any(c in path for c in "*?[")
    for canon in sh.paths(path):
        sh.add("reads_file", canon)
        root = canon if pattern else _glob_literal(canon)
        root = root.rstrip("/") or ""
        for glob in [f"{root}/**/{_name(n)}" for n in names] or [f"{root}/**"]:
            sh.add("reads_tree", canon, glob)


def _glob_literal(text: str) -> str:
    from policyc.normalize.globs import _escape

    return _escape(text)


def _name(pattern: str) -> str:
    """A base-name pattern (fnmatch: ``*`` matches a leading dot too) as a glob of the policy
    language that holds every name it matches, letters in either case."""
    if "[" in pattern or "\\" in pattern:
        return "*"  # bracket expressions and escapes, bounded loosely
    out = []
    for c in pattern:
        if c in "*?":
            out.append(c)
        elif c.lower() != c.upper():
            out.append(f"[{c.lower()}{c.upper()}]")
        else:
            out.append(_glob_literal(c))
    return "".join(out)


# -- copies, writers, rsync -----------------------------------------------------------------


@_program("cp", "mv", "install")
def _copy(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="tSmogZ" if base == "install" else "tS",
        long_values=("target-directory", "suffix", "mode", "owner", "group"),
        aliases={"--target-directory": "-t"},
    )
    ops = _literal(opts.operands)
    targets = [v for v in opts.values("-t") if v is not None]
    sources = ops if targets else ops[:-1]
    if not targets:
        targets = ops[-1:]
    for a in targets:
        _write(sh, a)
    recursive = base == "cp" and opts.has("-r", "-R", "-a", "--archive")
    for a in sources:
        if recursive:
            read_tree(sh, a)
        else:
            sh.file("reads_file", a)
        if base == "mv":
            sh.file("deletes_file", a)


@_program("tee", "touch")
def _tee(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="dtr" if base == "touch" else "")
    for a in _literal(opts.operands):
        _write(sh, a)


@_program("rsync")
def _rsync(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="eBfMT",
        long_values=("rsh", "rsync-path", "exclude", "include", "filter", "exclude-from",
                     "include-from", "files-from", "partial-dir", "temp-dir", "backup-dir",
                     "compare-dest", "copy-dest", "link-dest", "chmod", "chown", "port",
                     "password-file", "log-file", "timeout", "bwlimit", "max-size", "min-size",
                     "suffix", "usermap", "groupmap", "block-size", "modify-window"),
        aliases={"--rsh": "-e"},
    )  # fmt: skip
    for cmd in opts.values("-e"):
        if cmd is not None:
            sh.text(cmd)  # the remote shell runs here, on this machine
    ops = opts.operands
    from policyc.normalize.network import command_network_facts

    command_network_facts("rsync", _literal(ops), sh.facts)
    if not ops:
        return
    dest = ops[-1]
    local_dest = dest is not None and not _remote_path(dest)
    if dest is not None and local_dest:
        _write(sh, dest)
    sources = [s for s in _literal(ops[:-1]) if not _remote_path(s)]
    recursive = opts.has("-r", "-a", "--recursive", "--archive")
    for src in sources:
        if recursive:
            read_tree(sh, src)  # --include/--exclude filters are not followed: all of it
        else:
            sh.file("reads_file", src)
    if opts.has("--remove-source-files"):
        for src in sources:
            sh.file("deletes_file", src)
    if any(n.startswith("--del") for cands, _ in opts.found for n in cands):
        _destroy(sh, "recursive_delete", dest if local_dest else None)


def _remote_path(arg: str) -> bool:
    """``host:path``, ``user@host:path``, ``rsync://…`` (not ``./a:b`` or ``/a:b``)."""
    if "://" in arg:
        return True
    head = arg.split(":", 1)[0]
    return ":" in arg and not arg.startswith(("/", ".")) and "/" not in head


# -- readers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reader:
    """How a program that reads its file operands takes its options."""

    short_values: str = ""
    long_values: tuple[str, ...] = ()
    program_first: bool = False  # the first operand is a pattern, program or filter …
    program_options: tuple[str, ...] = ()  # … unless one of these gives it
    file_options: tuple[str, ...] = ()  # options whose value is a file read
    write_options: tuple[str, ...] = ()  # options whose value is a file written
    files: int | None = None  # only this many operands are files (``source FILE ARGS…``)


_GREP = _Reader(
    "efmABCdD",
    ("regexp", "file", "max-count", "after-context", "before-context", "context", "label",
     "include", "exclude", "exclude-dir", "exclude-from", "binary-files", "devices",
     "directories", "group-separator"),
    program_first=True,
    program_options=("-e", "-f", "--regexp", "--file"),
    file_options=("-f", "--file", "--exclude-from"),
)  # fmt: skip
_AWK = _Reader(
    "fvFEile",
    ("file", "assign", "field-separator", "source", "include", "load", "exec"),
    program_first=True,
    program_options=("-f", "-E", "-e", "--file", "--exec", "--source"),
    file_options=("-f", "-E", "--file", "--exec"),
)
_SUMS = _Reader("a", ("algorithm",))
_EDITOR = _Reader("cSuiTtqwsrlHmYoJ", ("cmd", "eval", "funcall", "load", "language", "theme"))
# fmt: off
_READERS: dict[str, _Reader] = {
    "cat": _Reader(),
    "head": _Reader("nc", ("lines", "bytes")),
    "tail": _Reader("ncs", ("lines", "bytes", "sleep-interval", "pid", "max-unchanged-stats")),
    "less": _Reader("bhjkoOpPtTxyz#", ("log-file", "LOG-FILE", "pattern", "prompt", "tag")),
    "more": _Reader("n"),
    "grep": _GREP,
    "egrep": _GREP,
    "fgrep": _GREP,
    "rg": _Reader(
        "efgtTmABCjMdErE",
        (
            "regexp",
            "file",
            "glob",
            "iglob",
            "type",
            "type-not",
            "max-count",
            "after-context",
            "before-context",
            "context",
            "threads",
            "max-columns",
            "max-depth",
            "encoding",
            "replace",
            "type-add",
            "pre",
            "pre-glob",
            "sort",
            "sortr",
            "max-filesize",
            "colors",
            "color",
            "ignore-file",
            "engine",
            "path-separator",
            "context-separator",
        ),
        program_first=True,
        program_options=("-e", "-f", "--regexp", "--file"),
        file_options=("-f", "--file", "--ignore-file"),
    ),
    "sed": _Reader(
        "efl",
        ("expression", "file", "line-length"),
        program_first=True,
        program_options=("-e", "-f", "--expression", "--file"),
        file_options=("-f", "--file"),
    ),
    "awk": _AWK,
    "gawk": _AWK,
    "mawk": _AWK,
    "nawk": _AWK,
    "strings": _Reader("ntTe", ("bytes", "radix", "target", "encoding")),
    "xxd": _Reader("cglsoCn", ("cols", "groupsize", "len", "seek", "offset", "name")),
    "hexdump": _Reader("eFnsf", (), file_options=("-f",)),
    "od": _Reader("AjNtwS", ("address-radix", "skip-bytes", "read-bytes", "format", "width")),
    "base64": _Reader("w", ("wrap",)),
    "source": _Reader(files=1),
    ".": _Reader(files=1),
    "diff": _Reader(
        "xXILFUCDS",
        (
            "exclude",
            "exclude-from",
            "ignore-matching-lines",
            "label",
            "show-function-line",
            "unified",
            "context",
            "ifdef",
            "starting-file",
            "line-format",
            "from-file",
            "to-file",
            "horizon-lines",
            "tabsize",
            "width",
            "color",
            "palette",
        ),
        file_options=("-X", "--exclude-from", "--from-file", "--to-file"),
    ),
    "wc": _Reader("", ("files0-from",), file_options=("--files0-from",)),
    "sort": _Reader(
        "kotST",
        (
            "key",
            "output",
            "field-separator",
            "buffer-size",
            "temporary-directory",
            "parallel",
            "files0-from",
            "compress-program",
            "batch-size",
            "random-source",
        ),
        file_options=("--files0-from", "--random-source"),
        write_options=("-o", "--output"),
    ),
    "uniq": _Reader("fsw", ("skip-fields", "skip-chars", "check-chars"), files=1),
    "cut": _Reader("bcdf", ("bytes", "characters", "delimiter", "fields", "output-delimiter")),
    "nl": _Reader(
        "bdfhilnsvw",
        (
            "body-numbering",
            "section-delimiter",
            "footer-numbering",
            "header-numbering",
            "line-increment",
            "join-blank-lines",
            "number-format",
            "number-separator",
            "starting-line-number",
            "number-width",
        ),
    ),
    "tac": _Reader("s", ("separator",)),
    # more programs that print, compare, encode or split the files they are given
    "pr": _Reader("hloNwWe", ("header", "length", "width", "page-width", "first-line-number")),
    "column": _Reader("csoNlREHWOrn", ("columns", "separator", "output-separator", "table-columns",
                                       "table-name", "table-order", "table-right")),
    "comm": _Reader("", ("output-delimiter",)),
    "cmp": _Reader("inI", ("ignore-initial", "bytes")),
    "join": _Reader("aejotv12", ("check-order",)),
    "sdiff": _Reader("oIwW", ("output", "width", "ignore-matching-lines", "diff-program")),
    "diff3": _Reader("L", ("label", "diff-program")),
    "iconv": _Reader("ftco", ("from-code", "to-code", "output")),
    "shuf": _Reader("neoi", ("head-count", "output", "random-source", "input-range")),
    "look": _Reader("t", ("terminate",), program_first=True),
    "base32": _Reader("w", ("wrap",)),
    "basenc": _Reader("w", ("wrap",)),
    "uuencode": _Reader(files=1),
    "cpp": _Reader("IDUoAx", ("include",)),
    "vimdiff": _Reader("cuUS"),
    "split": _Reader("lbCnat", ("lines", "bytes", "line-bytes", "number", "additional-suffix",
                                "separator", "suffix-length", "filter"), files=1),
    "csplit": _Reader("bfn", ("prefix", "suffix-format", "digits"), files=1),
    "paste": _Reader("d", ("delimiters",)),
    "rev": _Reader(),
    "expand": _Reader("t", ("tabs",)),
    "unexpand": _Reader("t", ("tabs",)),
    "fold": _Reader("w", ("width",)),
    "fmt": _Reader("wgp", ("width", "goal", "prefix")),
    "gzip": _Reader("S", ("suffix",)),
    "gunzip": _Reader("S", ("suffix",)),
    "zcat": _Reader("S", ("suffix",)),
    "bzip2": _Reader(),
    "bzcat": _Reader(),
    "xz": _Reader("TMF", ("threads", "memlimit", "format", "suffix")),
    "xzcat": _Reader(),
    "zstd": _Reader("oT", ("output",), write_options=("-o", "--output")),
    "lz4": _Reader(),
    "jq": _Reader(
        "L",
        ("indent", "from-file"),
        program_first=True,
        program_options=("--from-file",),
        file_options=("--from-file",),
    ),
    "yq": _Reader(
        "IpoPe",
        ("indent", "input-format", "output-format", "expression", "from-file"),
        program_first=True,
        program_options=("--from-file", "--expression"),
        file_options=("--from-file",),
    ),
    "file": _Reader(
        "mfFeP",
        ("magic-file", "files-from", "separator", "exclude", "parameter"),
        file_options=("-f", "--files-from"),
    ),
    "stat": _Reader("c", ("format", "printf")),
    "md5sum": _SUMS,
    "sha1sum": _SUMS,
    "sha256sum": _SUMS,
    "cksum": _SUMS,
    "vi": _EDITOR,
    "vim": _EDITOR,
    "view": _EDITOR,
    "nano": _EDITOR,
    "emacs": _EDITOR,
    "bat": _EDITOR,
}
# fmt: on
# options whose value is program text (checked for commands it runs)
_CODE_OPTIONS = {
    "awk": ("-e", "--source"),
    "gawk": ("-e", "--source"),
    "sed": ("-e", "--expression"),
}
# jq options followed by a name and a value (the value is a file for the last two)
_JQ_PAIRS = {"--arg": False, "--argjson": False, "--slurpfile": True, "--rawfile": True}


def _reader(base: str, args: list[str | None], sh: Shell) -> None:
    spec = _READERS[base]
    if base == "jq":
        args = _jq_args(args, sh)
    opts = gnu_options(
        args,
        short_values=spec.short_values,
        long_values=spec.long_values,
        optional_short="i" if base == "sed" else "",
    )
    ops = list(opts.operands)
    if base == "yq" and ops[:1] in (["eval"], ["e"], ["eval-all"], ["ea"]):
        ops = ops[1:]  # yq 4's command: the expression follows
    program: str | None = None
    program_popped = spec.program_first and not opts.has(*spec.program_options) and bool(ops)
    if program_popped:
        program = ops.pop(0)
    if base in ("jq", "yq") and opts.has("--args", "--jsonargs"):
        ops = []  # positional arguments are values, not files
    # the program text (the popped operand, or -e/--source/--expression values)
    texts = ([program] if program_popped else []) + opts.values(*_CODE_OPTIONS.get(base, ()))
    if base in ("awk", "gawk", "mawk", "nawk"):
        ops = [o for o in ops if o is None or not re.fullmatch(r"[A-Za-z_]\w*=.*", o)]
        if any(t is None or re.search(_AWK_RUNS, t) for t in texts):
            sh.add(
                "unresolved", "inline_code", f"the {base} program may run commands or write files"
            )
    if base == "sed" and any(t is None or re.search(_SED_RUNS, t) for t in texts):
        sh.add("unresolved", "inline_code", "the sed script may run commands or touch files")
    if base in ("vi", "vim", "view", "emacs") and (
        opts.has("-c", "--cmd", "--eval", "-f", "--funcall", "-l", "--load", "-S")
        or any(o is not None and o.startswith("+") for o in ops)
    ):
        sh.add("unresolved", "inline_code", f"{base} runs editor commands that are not analysed")
    if base == "rg":
        for pre in opts.values("--pre"):
            if pre is not None:
                sh.words([pre])
    files = ops if spec.files is None else ops[: spec.files]
    tree = _tree_filters(base, opts)
    if tree is not None:
        for a in _literal(files) or ["."]:
            if a != "-":
                read_tree(sh, a, tree)
        files = []
    for a in _literal(files):
        if a != "-" and not (base in ("vi", "vim", "view") and a.startswith("+")):
            sh.file("reads_file", a)
    for a in _literal(opts.values(*spec.file_options)):
        sh.file("reads_file", a)
    for a in _literal(opts.values(*spec.write_options)):
        _write(sh, a)
    if base == "uniq" and len(ops) > 1 and ops[1] is not None:
        _write(sh, ops[1])
    if base == "xxd" and len(ops) > 1 and ops[1] is not None:
        _write(sh, ops[1])
    if base == "sed" and (
        opts.has("-i")
        or any(len(n) > 3 and "--in-place".startswith(n) for c, _ in opts.found for n in c)
    ):
        for a in _literal(ops):
            _write(sh, a)


def _tree_filters(base: str, opts: Options) -> list[str | None] | None:
    """For a reader that reads folders recursively, hidden files included (``grep -r``,
    ``rg --hidden``/``-uu``), the base-name patterns it keeps (``[]``:
    every file); None when it reads only the files named."""
    if base in ("grep", "egrep", "fgrep"):
        longs = [n for cands, _ in opts.found for n in cands if n.startswith("--")]
        if not (
            opts.has("-r", "-R")
            or any(v == "recurse" or v is None for v in opts.values("-d", "--directories"))
            or any(
                len(n) > 6
                and ("--recursive".startswith(n) or "--dereference-recursive".startswith(n))
                for n in longs
            )
        ):
            return None
        return opts.values("--include")
    if base == "rg":
        unrestricted = sum(1 for cands, _ in opts.found if cands & {"-u", "--unrestricted"})
        if not (opts.has("--hidden", "-.") or unrestricted >= 2):
            return None
        globs = opts.values("-g", "--glob", "--iglob")
        return [] if any(g is None or g.startswith("!") for g in globs) else globs
    return None


# awk: system(), a pipe to or from a command, print/printf redirected to a file
_AWK_RUNS = r"\bsystem\s*\(|(?<!\|)\|(?!\|)|\bprintf?\b[^;{}\n]*>|\bgetline\b"
# sed: the e (execute) command or s///e flag, w/W (write), r/R (read)
_SED_RUNS = r"(?:^|[;{}\n\d$/!])\s*[eFwWrR](?:\s|$|;)|/[gpIiMm0-9]*[ew][gpIiMm0-9]*\s*(?:$|[;}\s])"


def _jq_args(args: list[str | None], sh: Shell) -> list[str | None]:
    out: list[str | None] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in _JQ_PAIRS:
            value = args[i + 2] if i + 2 < len(args) else None
            if _JQ_PAIRS[a] and value is not None:
                sh.file("reads_file", value)
            i += 3
            continue
        out.append(a)
        i += 1
    return out


@_program("tar", "bsdtar", "gtar")
def _tar(base: str, args: list[str | None], sh: Shell) -> None:
    """``tar c…`` reads its operands (``-f ARCHIVE`` is written); ``x``/``t`` read the archive and
    extraction writes what it holds (not known: ``unresolved("path")``)."""
    words = list(args)
    # the first word may bundle letters without a dash (czf ARCHIVE), f taking the next word
    letters = ""
    if words and words[0] is not None and not words[0].startswith("-"):
        letters = words.pop(0) or ""
    archive: str | None = None
    ops: list[str | None] = []
    i = 0
    if "f" in letters and words:
        archive = words.pop(0)
    while i < len(words):
        w = words[i]
        if w is not None and w.startswith("-") and not w.startswith("--"):
            letters += w[1:].split("f", 1)[0]
            if "f" in w[1:]:
                rest = w[1:].split("f", 1)[1]
                archive = rest or (words[i + 1] if i + 1 < len(words) else None)
                i += 0 if rest else 1
                letters += "f"
        elif w is not None and w.startswith("--file="):
            archive = w.split("=", 1)[1]
        elif w in ("--file",):
            archive = words[i + 1] if i + 1 < len(words) else None
            i += 1
        elif w is not None and w.startswith("--"):
            letters += {"--create": "c", "--extract": "x", "--get": "x", "--list": "t"}.get(w, "")
        else:
            ops.append(w)
        i += 1
    if "c" in letters or "r" in letters or "u" in letters:
        for op in ops:
            if op is not None:
                read_tree(sh, op)  # tar archives what lies below a folder
        if archive not in (None, "-"):
            _write(sh, archive)
    elif "x" in letters or "t" in letters:
        if archive not in (None, "-"):
            sh.file("reads_file", archive)
        if "x" in letters:
            sh.add("unresolved", "path", "tar extracts files whose names are in the archive")


@_program("zip")
def _zip(base: str, args: list[str | None], sh: Shell) -> None:
    """``zip ARCHIVE FILES…``: the archive is written, the files read (``-r`` below them)."""
    opts = gnu_options(args, short_values="bnPtTAeiIxZsL", long_values=("password", "temp-path"))
    ops = _literal(opts.operands)
    if not ops:
        return
    if ops[0] != "-":
        _write(sh, ops[0])
    recursive = opts.has("-r", "-R", "--recurse-paths", "--recurse-patterns")
    for op in ops[1:]:
        if recursive:
            read_tree(sh, op)
        else:
            sh.file("reads_file", op)


@_program("ln", "link")
def _ln(base: str, args: list[str | None], sh: Shell) -> None:
    """``ln [-s] TARGET… [LINK|DIR]``: the link makes the target readable under another name, so
    the target counts as read (as a copy would); the link is written."""
    opts = gnu_options(args, short_values="tS", long_values=("target-directory", "suffix"),
                       aliases={"--target-directory": "-t"})  # fmt: skip
    ops = _literal(opts.operands)
    targets = [v for v in opts.values("-t") if v is not None]
    sources = ops if targets or len(ops) == 1 else ops[:-1]
    links = targets or ops[-1:] if len(ops) > 1 or targets else []
    for src in sources:
        sh.file("reads_file", src)
    for link in links:
        _write(sh, link)
