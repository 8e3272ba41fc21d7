"""Built-in predicates: string and path checks and functions, called as ``@name(args)``.

Each built-in has a fixed arity and a mode: its *inputs* must be bound when it runs; its *outputs*
(functions only) are bound by it, or checked if already bound. A built-in given values of the wrong
type does not hold (no derivation); a pattern that cannot be compiled raises an error, because a
policy that silently stops matching is worse than one that fails loudly.
"""

from __future__ import annotations

import importlib
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import re2

from policyc.engine.errors import EvaluationError

# RE2 options: the Python binding compiles in UTF-8 mode and never backtracks, so matching is
# linear in the length of the text whatever the pattern.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # errors are reported as values, never printed by the library


class PatternError(ValueError):
    """A glob or regular expression that cannot be compiled."""


_UNANCHORED = re2._Anchor.UNANCHORED
_NULL_SPAN = (-1, -1)


class Matcher:
    """A compiled pattern reduced to one question: does it match somewhere in this string?

    Calls RE2's matcher directly (the ``re2`` module's ``search`` builds match objects and
    offset tables we never use); simple globs are answered with plain string operations.
    """

    __slots__ = ("pattern", "test")

    def __init__(self, pattern: str, test: Callable[[str], bool]) -> None:
        self.pattern = pattern
        self.test = test

    def __repr__(self) -> str:
        return f"Matcher({self.pattern!r})"


def _re2_test(compiled: Any) -> Callable[[str], bool]:
    match = compiled._regexp.Match

    def test(s: str) -> bool:
        b = s.encode("utf-8", "surrogatepass")
        return bool(match(_UNANCHORED, b, 0, len(b))[0] != _NULL_SPAN)

    return test


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> Matcher:
    try:
        return Matcher(pattern, _re2_test(re2.compile(pattern, options=_RE2_OPTIONS)))
    except re2.error as e:
        detail = e.args[0] if e.args else e
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(f"invalid regular expression {pattern!r}: {detail}") from None


def glob_to_regex(pattern: str) -> str:
    """Translate a path glob into an anchored RE2 pattern.

    ``*`` matches within one path segment, ``**`` (a whole segment) any number of segments, ``?``
    one character other than ``/``, ``[abc]``/``[!abc]``/``[a-z]`` a character class, ``{a,b}``
    alternatives, and ``\\`` escapes the next character. ``**/x`` also matches ``x`` at the top.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    depth = 0  # nesting of {...}
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_seg_start = i == 0 or pattern[i - 1] == "/"
                after = i + 2
                if at_seg_start and (after == n or pattern[after] == "/"):
                    if after == n:
                        out.append(".*")
                        i = after
                    else:
                        out.append("(?:.*/)?")
                        i = after + 1
                    continue
                raise PatternError(f"invalid glob {pattern!r}: '**' must be a whole path segment")
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = _class_end(pattern, i)
            if j >= n:
                raise PatternError(f"invalid glob {pattern!r}: unclosed '['")
            body = pattern[i + 1 : j]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            if _class_holds_slash(body):
                raise PatternError(
                    f"invalid glob {pattern!r}: a character class cannot match '/' "
                    "(path separators are matched only literally)"
                )
            body = body.replace("\\", "\\\\").replace("]", "\\]")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
            i = j + 1
        elif c == "{":
            depth += 1
            out.append("(?:")
            i += 1
        elif c == "}" and depth > 0:
            depth -= 1
            out.append(")")
            i += 1
        elif c == "," and depth > 0:
            out.append("|")
            i += 1
        elif c == "\\":
            if i + 1 >= n:
                raise PatternError(f"invalid glob {pattern!r}: trailing backslash")
            out.append(_escape(pattern[i + 1]))
            i += 2
        else:
            out.append(_escape(c))
            i += 1
    if depth:
        raise PatternError(f"invalid glob {pattern!r}: unclosed '{{'")
    return "(?s)^" + "".join(out) + "$"  # (?s): '.' in '**' also crosses newlines


def _class_end(pattern: str, start: int) -> int:
    """The index of the ']' closing the class opened at ``start`` (``len`` if unclosed); a ']'
    right after '[' or '[!' is a member, not the end."""
    n = len(pattern)
    j = start + 1
    if j < n and pattern[j] in "!^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    while j < n and pattern[j] != "]":
        j += 1
    return j


def _class_holds_slash(body: str) -> bool:
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            if body[k] <= "/" <= body[k + 2]:
                return True
            k += 3
            continue
        if body[k] == "/":
            return True
        k += 1
    return False


def _escape(c: str) -> str:
    return "\\" + c if c in r".^$*+?()[]{}|\/-" else c


_GLOB_SPECIAL = set("*?[]{}\\")


def _literal(s: str) -> bool:
    return not (_GLOB_SPECIAL & set(s))


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> Matcher:
    regex = glob_to_regex(pattern)  # validates the glob even when a fast path answers
    fast = _glob_fast_path(pattern)
    if fast is not None:
        return Matcher(pattern, fast)
    try:
        full = compile_regex(regex).test
    except PatternError as e:  # e.g. a class range out of order: say it of the glob
        detail = str(e).split(": ", 1)[-1]
        raise PatternError(f"invalid glob {pattern!r}: {detail}") from None
    needed = _required_literal(pattern)
    if len(needed) < 2:
        return Matcher(pattern, full)

    def prefiltered(s: str) -> bool:
        # every match contains `needed`; the substring test is far cheaper than RE2
        return needed in s and full(s)

    return Matcher(pattern, prefiltered)


def _required_literal(pattern: str) -> str:
    """The longest run of literal characters that every path matching the glob contains."""
    chunks: list[str] = []
    cur: list[str] = []
    i, n = 0, len(pattern)

    def flush() -> None:
        if cur:
            chunks.append("".join(cur))
            cur.clear()

    while i < n:
        c = pattern[i]
        if c == "*":
            flush()
            while i < n and pattern[i] == "*":
                i += 1
            if pattern.startswith("**", i - 2) and i < n and pattern[i] == "/":
                i += 1  # the '/' after '**' is optional in a match
            continue
        if c in "?[{\\":
            flush()
            if c == "[":  # skip the class exactly as glob_to_regex reads it
                i = _class_end(pattern, i) + 1
            elif c == "{":
                depth = 0
                while i < n:
                    if pattern[i] == "\\":
                        i += 2
                        continue
                    if pattern[i] == "{":
                        depth += 1
                    elif pattern[i] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
                i += 1
            else:
                i += 2 if c == "\\" else 1
            continue
        cur.append(c)
        i += 1
    flush()
    return max(chunks, key=len, default="")


def _glob_fast_path(pattern: str) -> Callable[[str], bool] | None:
    """String operations equivalent to the common glob shapes (checked against the regex path
    by property tests): ``lit``, ``**/lit``, ``**/*suffix``, ``prefix/**``."""
    if _literal(pattern):
        return pattern.__eq__
    if pattern.startswith("**/"):
        rest = pattern[3:]
        if rest and _literal(rest):
            tail = "/" + rest

            def ends_at_segment(s: str) -> bool:
                return s == rest or s.endswith(tail)

            return ends_at_segment
        if rest.startswith("*") and _literal(rest[1:]) and "/" not in rest[1:]:
            suffix = rest[1:]

            # the suffix holds no '/', so a path ending with it ends so within its last segment
            return lambda s: s.endswith(suffix)
    if pattern.endswith("/**"):
        head = pattern[:-3]
        if head and _literal(head):
            prefix = head + "/"

            def below(s: str) -> bool:
                return s.startswith(prefix)

            return below
    return None


def _pattern(compile_: Callable[[str], Any], pattern: object) -> Any:
    if type(pattern) is not str:
        return None
    try:
        return compile_(pattern)
    except PatternError as e:
        raise EvaluationError(str(e)) from None


# -- glob overlap: is there a path that both globs match? ------------------------------------
#
# Both globs are translated by glob_to_regex (the definition of glob matching), parsed into
# Thompson NFAs over character sets, and their product is searched for a common accepted string.


_MAX_CHAR = 0x10FFFF
_CharSet = tuple[bool, tuple[tuple[int, int], ...]]  # (negated, ranges)
_ANY: _CharSet = (True, ())


def _ranges_cover(ranges: tuple[tuple[int, int], ...], lo: int, hi: int) -> bool:
    """Whether ``ranges`` cover every code point in lo..hi."""
    point = lo
    for a, b in sorted(ranges):
        if a > point:
            return False
        point = max(point, b + 1)
        if point > hi:
            return True
    return point > hi


def _chars_meet(x: _CharSet, y: _CharSet) -> bool:
    """Whether some character is in both sets."""
    (xn, xr), (yn, yr) = x, y
    if not xn and not yn:
        return any(a <= d and c <= b for a, b in xr for c, d in yr)
    if xn and yn:
        return not _ranges_cover(xr + yr, 0, _MAX_CHAR)
    pos, neg = (xr, yr) if not xn else (yr, xr)
    return any(not _ranges_cover(neg, a, b) for a, b in pos)


@cache
def _sre() -> Any:
    """The constants of Python's regex parser (``re._constants``), whose parse trees are read."""
    return importlib.import_module("re._constants")


class _Nfa:
    __slots__ = ("eps", "moves", "n")

    def __init__(self) -> None:
        self.n = 0
        self.eps: list[list[int]] = []
        self.moves: list[list[tuple[_CharSet, int]]] = []

    def state(self) -> int:
        self.eps.append([])
        self.moves.append([])
        self.n += 1
        return self.n - 1


def _charset(op: Any, av: Any) -> _CharSet | None:
    K = _sre()
    if op is K.LITERAL:
        return (False, ((av, av),))
    if op is K.NOT_LITERAL:
        return (True, ((av, av),))
    if op is K.ANY:
        return _ANY  # the translation always sets DOTALL
    if op is K.IN:
        negated = False
        ranges: list[tuple[int, int]] = []
        for iop, iav in av:
            if iop is K.NEGATE:
                negated = True
            elif iop is K.LITERAL:
                ranges.append((iav, iav))
            elif iop is K.RANGE:
                ranges.append(iav)
            else:
                raise PatternError(f"unexpected class item {iop} in a glob translation")
        return (negated, tuple(ranges))
    return None


def _build(nfa: _Nfa, items: Any, start: int) -> int:
    """Add the NFA of a parsed regex sequence from ``start``; return its end state."""
    K = _sre()
    cur = start
    for op, av in items:
        cs = _charset(op, av)
        if cs is not None:
            nxt = nfa.state()
            nfa.moves[cur].append((cs, nxt))
            cur = nxt
        elif op is K.AT:
            continue  # ^ and $: the translation anchors both ends, and so does the search
        elif op is K.SUBPATTERN:
            cur = _build(nfa, av[-1], cur)
        elif op is K.BRANCH:
            end = nfa.state()
            for alt in av[1]:
                s0 = nfa.state()
                nfa.eps[cur].append(s0)
                nfa.eps[_build(nfa, alt, s0)].append(end)
            cur = end
        elif op in (K.MAX_REPEAT, K.MIN_REPEAT):
            lo, hi, sub = av
            for _ in range(lo):
                cur = _build(nfa, sub, cur)
            if hi == K.MAXREPEAT:
                loop = nfa.state()
                nfa.eps[cur].append(loop)
                nfa.eps[_build(nfa, sub, loop)].append(loop)
                cur = loop
            else:
                for _ in range(hi - lo):
                    s0 = nfa.state()
                    nfa.eps[cur].append(s0)
                    end = _build(nfa, sub, s0)
                    nfa.eps[cur].append(end)
                    cur = end
        else:
            raise PatternError(f"unexpected {op} in a glob translation")
    return cur


@lru_cache(maxsize=4096)
def _glob_nfa(pattern: str) -> tuple[_Nfa, int, int]:
    regex = glob_to_regex(pattern)  # raises PatternError for an invalid glob
    nfa = _Nfa()
    start = nfa.state()
    end = _build(nfa, importlib.import_module("re._parser").parse(regex), start)
    return nfa, start, end


def _closure(nfa: _Nfa, states: Iterable[int]) -> frozenset[int]:
    seen = set(states)
    stack = list(seen)
    while stack:
        for t in nfa.eps[stack.pop()]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return frozenset(seen)


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    na, sa, ea = _glob_nfa(a)
    nb, sb, eb = _glob_nfa(b)
    start = (_closure(na, [sa]), _closure(nb, [sb]))
    seen = {start}
    queue = [start]
    while queue:
        xs, ys = queue.pop()
        if ea in xs and eb in ys:
            return True
        for x in xs:
            for cx, tx in na.moves[x]:
                for y in ys:
                    for cy, ty in nb.moves[y]:
                        if _chars_meet(cx, cy):
                            pair = (_closure(na, [tx]), _closure(nb, [ty]))
                            if pair not in seen:
                                seen.add(pair)
                                queue.append(pair)
    return False


def glob_overlap(path_glob: object, pattern: object) -> bool:
    """Whether some path matches both globs: ``glob_overlap("/repo/.en*", "**/.env")`` holds,
    ``glob_overlap("/repo/src/*.py", "**/.env")`` does not. A first argument that is not a valid
    glob is taken literally (a path with a stray ``[``), so that it then means ``glob``."""
    if type(path_glob) is not str or type(pattern) is not str:
        return False
    _pattern(compile_glob, pattern)  # an invalid pattern raises, as glob() would
    if check_pattern("glob", path_glob) is not None:
        return glob(path_glob, pattern)
    return _overlap(path_glob, pattern)


# -- checks: return bool ---------------------------------------------------------------------


def glob(path: object, pattern: object) -> bool:
    if type(path) is not str:
        return False
    m = _pattern(compile_glob, pattern)
    return m is not None and bool(m.test(path))


def regex(text: object, pattern: object) -> bool:
    if type(text) is not str:
        return False
    m = _pattern(compile_regex, pattern)
    return m is not None and bool(m.test(text))


def starts_with(s: object, prefix: object) -> bool:
    return type(s) is str and type(prefix) is str and s.startswith(prefix)


def ends_with(s: object, suffix: object) -> bool:
    return type(s) is str and type(suffix) is str and s.endswith(suffix)


def contains(s: object, part: object) -> bool:
    return type(s) is str and type(part) is str and part in s


def path_within(path: object, directory: object) -> bool:
    """``path`` is ``directory`` or lies below it (segment-wise, so /a/bc is not within /a/b)."""
    if type(path) is not str or type(directory) is not str or not path or not directory:
        return False
    # lexically normalised, so that /a/../etc is not within /a (symlinks are the normalizer's job)
    p = posixpath.normpath(path)
    d = posixpath.normpath(directory)
    if d == "/":
        return p.startswith("/")
    if d == ".":
        return not p.startswith(("/", "../")) and p != ".."
    return p == d or p.startswith(d + "/")


# -- functions: return the output value, or NO_VALUE -------------------------------------------

NO_VALUE: Any = object()


def lower(s: object) -> object:
    return s.lower() if type(s) is str else NO_VALUE


def upper(s: object) -> object:
    return s.upper() if type(s) is str else NO_VALUE


def length(s: object) -> object:
    return len(s) if type(s) is str else NO_VALUE


def concat(a: object, b: object) -> object:
    return a + b if type(a) is str and type(b) is str else NO_VALUE


def basename(p: object) -> object:
    return posixpath.basename(p) if type(p) is str else NO_VALUE


def dirname(p: object) -> object:
    return posixpath.dirname(p) if type(p) is str else NO_VALUE


def extension(p: object) -> object:
    """The last suffix of the file name without the dot (``"gz"`` for ``a.tar.gz``), or ``""``."""
    if type(p) is not str:
        return NO_VALUE
    name = posixpath.basename(p)
    stem, dot, ext = name.rpartition(".")
    return ext if dot and stem else ""


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    inputs: int  # the first ``inputs`` arguments must be bound
    outputs: int  # the remaining arguments are produced (0 for checks)
    fn: Callable[..., Any]
    pattern_arg: int | None  # index of an argument that is a pattern (checked when constant)
    pattern_kind: str = ""  # "glob" or "regex"
    doc: str = ""
    # a constant pattern may be compiled once into a test of the subject (not so for a pattern
    # compared with another pattern)
    tests_subject: bool = True

    @property
    def arity(self) -> int:
        return self.inputs + self.outputs


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in [
        Builtin("glob", 2, 0, glob, 1, "glob", "@glob(Path, Pattern): Path matches the glob"),
        Builtin("regex", 2, 0, regex, 1, "regex", "@regex(Text, Pattern): RE2 search succeeds"),
        Builtin(
            "glob_overlap",
            2,
            0,
            glob_overlap,
            1,
            "glob",
            "@glob_overlap(PathGlob, Pattern): some path matches both globs",
            tests_subject=False,
        ),
        Builtin("starts_with", 2, 0, starts_with, None, doc="@starts_with(S, Prefix)"),
        Builtin("ends_with", 2, 0, ends_with, None, doc="@ends_with(S, Suffix)"),
        Builtin("contains", 2, 0, contains, None, doc="@contains(S, Part)"),
        Builtin("path_within", 2, 0, path_within, None, doc="@path_within(Path, Dir)"),
        Builtin("lower", 1, 1, lower, None, doc="@lower(S, Lower)"),
        Builtin("upper", 1, 1, upper, None, doc="@upper(S, Upper)"),
        Builtin("length", 1, 1, length, None, doc="@length(S, N)"),
        Builtin("concat", 2, 1, concat, None, doc="@concat(A, B, AB)"),
        Builtin("basename", 1, 1, basename, None, doc="@basename(Path, Name)"),
        Builtin("dirname", 1, 1, dirname, None, doc="@dirname(Path, Dir)"),
        Builtin("extension", 1, 1, extension, None, doc="@extension(Path, Ext)"),
    ]
}


def check_pattern(kind: str, pattern: str) -> str | None:
    """The error message for a constant pattern that does not compile, or None."""
    try:
        if kind == "glob":
            compile_glob(pattern)
        else:
            compile_regex(pattern)
    except PatternError as e:
        return str(e)
    return None


class GlobIndex:
    """The glob patterns in one column of a relation, answering "which rows' patterns match this
    path?" in one RE2 pass (a set of all the patterns) instead of one test per row.

    Equivalent to testing ``glob(path, row[col])`` row by row, in row order: the same rows, the
    same errors (an invalid pattern raises when first needed, as the built-in does), the same
    answers (every pattern is compiled through :func:`glob_to_regex`, the built-in's definition).
    Should the RE2 set fail (it reports a match of its always-matching sentinel otherwise), the
    rows are tested one by one.
    """

    __slots__ = ("_built", "_col", "_match", "_patterns", "_positions", "_rows", "_sentinel")

    def __init__(self, rows: Iterable[tuple[Any, ...]], col: int) -> None:
        self._rows = list(rows)
        self._col = col
        positions: dict[str, list[int]] = {}
        for k, t in enumerate(self._rows):
            v = t[col]
            if type(v) is str:
                positions.setdefault(v, []).append(k)
        self._patterns = list(positions)
        self._positions = [positions[p] for p in self._patterns]
        self._match: Callable[[bytes], list[int]] | None = None
        self._sentinel = -1
        self._built = False

    def _build(self) -> None:
        for p in self._patterns:
            _pattern(compile_glob, p)  # an invalid pattern raises, as glob() would
        try:
            pset = re2.Set.SearchSet(_RE2_OPTIONS)
            for p in self._patterns:
                pset.Add(glob_to_regex(p))
            self._sentinel = pset.Add("")
            pset.Compile()
            # the binding's own set (its wrapper only adds a type test); [] when nothing matched
            inner = getattr(pset, "_set", None)
            self._match = inner.Match if inner is not None else lambda b: pset.Match(b) or []
        except Exception:  # an RE2 limit: fall back to testing row by row
            self._match = None
        self._built = True

    def matches(self, path: object) -> list[tuple[Any, ...]]:
        if type(path) is not str or not self._patterns:
            return []
        if not self._built:
            self._build()
        match = self._match
        if match is not None:
            hits = match(path.encode("utf-8", "surrogatepass"))
            if self._sentinel in hits:  # else the set failed (it always matches the sentinel)
                if len(hits) == 1:
                    return []
                positions, sentinel = self._positions, self._sentinel
                found = sorted(k for i in hits if i != sentinel for k in positions[i])
                return [self._rows[k] for k in found]
        return [t for t in self._rows if glob(path, t[self._col])]
