"""Shell patterns as path globs: every path a word the shell expands (``src/*.py``, ``.e?v``,
``{a,b}.txt``) may name, written as a glob of the policy language, so that a policy can tell with
``glob_overlap`` whether the pattern may name a path it singles out.

The translation over-approximates and never under-approximates: each glob holds every path bash
may expand the word to. What bash does and the policy glob cannot say exactly is widened:

- brace expansion is done here (``{a,b}`` gives a glob per alternative; a sequence ``{1..9}``
  is ``*``), and the word with its braces taken literally is kept too (they may be quoted);
- a bracket expression ``[a-z]`` is ``?``, one that is not plain (``[[:alpha:]]``, escapes) makes
  the rest of its path segment ``*``; extended patterns (``@(…)``, ``!(…)``) give :data:`ANY_PATH`;
- a name that starts with a dot is matched only by a segment that starts with a dot, as every
  shell does by default: ``*.py`` and ``[.]env`` name no ``.env.py`` or ``.env``. What turns
  this off (``shopt -s dotglob``, zsh's ``GLOB_DOTS``, ``GLOBIGNORE``) is itself
  ``unresolved("shell_option")`` (``programs.environment``), so a shell whose options the action
  does not show has its defaults unless someone approved changing them. The other options are
  taken to be on: letters match either case (``nocaseglob``, and case-insensitive file systems),
  and ``**`` crosses directories (``globstar``, and zsh by default);
- a segment that may match ``.`` or ``..`` (``.*``, ``.?``), a ``..`` after a pattern segment
  (``*/..``), and a word with quoted braces or brackets among unquoted ones cannot be bounded:
  they give :data:`ANY_PATH`, as does a word with more than :data:`MAX_EXPANSIONS` brace
  expansions or a ``~user``.

A word taken literally (quoted, or a pattern that matches nothing) is the path of the file facts
already; the globs are for what the shell may expand it to.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

ANY_PATH = "/**"  # the glob of a pattern that cannot be bounded
MAX_EXPANSIONS = 64  # brace expansions followed before giving up (ANY_PATH)

_GLOB_SPECIAL = frozenset("*?[]{},\\")  # characters a policy glob reads as syntax
_SEQUENCE = re.compile(
    r"-?\d+\.\.-?\d+(?:\.\.-?\d+)?|[a-z]\.\.[a-z](?:\.\.-?\d+)?|[A-Z]\.\.[A-Z](?:\.\.-?\d+)?"
)
# letters of both cases: the sequence also holds the characters between Z and a (`[`, `\\` …)
_MIXED_SEQUENCE = re.compile(r"[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?")
_EXTGLOB = re.compile(r"[?*+@!]\(")


@dataclass(frozen=True, slots=True)
class _Star:
    """Any string within one path segment."""


@dataclass(frozen=True, slots=True)
class _One:
    """Any one character other than ``/``."""


_Token = str | _Star | _One  # a str is one literal character
_STAR = _Star()
_ONE = _One()


def path_globs(
    word: str, base: str | None, home: str | None, *, partial: bool = False
) -> list[str]:
    """The globs of the absolute paths the shell word ``word`` may expand to, relative paths
    resolved against ``base`` and ``~`` against ``home``. ``partial``: the word mixes quoted and
    unquoted parts, so which of its special characters are active is not known."""
    if _EXTGLOB.search(word):
        return [ANY_PATH]
    if partial and any(c in word for c in "{["):
        return [ANY_PATH]
    words = _brace_expansions(word)
    if words is None:
        return [ANY_PATH]
    found: list[str] = []
    for w in words:
        for glob in _translate(w, base, home) or [ANY_PATH]:
            if glob not in found:
                found.append(glob)
    return found


# -- brace expansion ------------------------------------------------------------------------


class _Unbounded(Exception):
    """A brace expansion whose words cannot be bounded here."""


def brace_words(word: str) -> list[str] | None:
    """The words bash's brace expansion may give for ``word``, the word with its braces taken
    literally included; None past :data:`MAX_EXPANSIONS` (a sequence is ``*``, as for paths)."""
    out = _brace_expansions(word)
    if out is None:
        return None
    words = [w.replace("\0{", "{").replace("\0}", "}") for w in out]
    return list(dict.fromkeys(words))


def _brace_expansions(word: str) -> list[str] | None:
    """The words bash's brace expansion may give (each ``{…}`` expanded, or kept literally with
    its braces escaped, as when it is quoted); None past :data:`MAX_EXPANSIONS`, or for a
    sequence of letters of both cases."""
    try:
        out = _expand(word)
    except _Unbounded:
        return None
    return out if out is not None and len(out) <= MAX_EXPANSIONS else None


def _expand(word: str) -> list[str] | None:
    start = 0
    while True:
        i = word.find("{", start)
        if i < 0:
            return [word]
        j = _matching_brace(word, i)
        if j < 0:
            return [word]
        body = word[i + 1 : j]
        alternatives = _alternatives(body)
        if alternatives is None:
            start = i + 1  # not an expansion: `{x}` is literal, look further
            continue
        prefix, suffix = word[:i], word[j + 1 :]
        tails = _expand(suffix)
        if tails is None:
            return None
        # the group kept literally, with its inner groups still open to expansion
        literal = ["\0{" + w + "\0}" for w in (_expand(body) or [body])]
        out: list[str] = []
        for alt in [*alternatives, *literal]:
            heads = [alt] if alt.startswith("\0{") else _expand(alt)
            if heads is None:
                return None
            for head in heads:
                for tail in tails:
                    out.append(prefix + head + tail)
                    if len(out) > MAX_EXPANSIONS:
                        return None
        return out


def _matching_brace(word: str, i: int) -> int:
    depth = 0
    for j in range(i, len(word)):
        if word[j] == "{":
            depth += 1
        elif word[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _alternatives(body: str) -> list[str] | None:
    """The alternatives of a brace group's body, or None when it is no expansion. A sequence
    (``1..9``, ``a..f``) is one alternative, ``*``: its words are digits, signs or letters."""
    parts: list[str] = []
    depth = 0
    last = 0
    for k, c in enumerate(body):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[last:k])
            last = k + 1
    if parts:
        return [*parts, body[last:]]
    if _SEQUENCE.fullmatch(body):
        return ["*"]
    if _MIXED_SEQUENCE.fullmatch(body):
        raise _Unbounded
    return None


# -- patterns -------------------------------------------------------------------------------


def _translate(word: str, base: str | None, home: str | None) -> list[str] | None:
    """The globs of one brace-free word (``\\0{``/``\\0}`` are literal braces), or None when it
    cannot be bounded."""
    if word == "~" or word.startswith("~/"):
        if not home or not home.startswith("/"):
            return None
        prefix, rest = posixpath.normpath(home), word[1:]
    elif word.startswith("~"):
        return None  # ~user
    elif word.startswith("/"):
        prefix, rest = "/", word
    else:
        if not base or not base.startswith("/"):
            return None
        prefix, rest = posixpath.normpath(base), word
    # (segment text, whether it is a pattern)
    stack: list[tuple[str, bool]] = [(_escape(s), False) for s in prefix.split("/") if s]
    segments = [s for s in rest.split("/") if s and s != "."]
    for segment in segments:
        if segment == "..":
            if stack and stack[-1][1]:
                return None  # `*/..`: which directory it goes up from is not known
            if stack:
                stack.pop()
            continue
        tokens = _tokens(segment)
        if all(isinstance(t, str) for t in tokens):
            stack.append(("".join(_escape(t) for t in tokens if isinstance(t, str)), False))
            continue
        if _may_name_dots(segment, tokens):
            return None  # `.*` may be `..`, and `.*/x` may be `../x`
        if len(tokens) == 1 and tokens[0] is _STAR and segment.startswith("**"):
            if stack[-1:] != [("**", True)]:  # `**/**` is `**`
                stack.append(("**", True))  # globstar
        else:
            stack.append((_render_segment(tokens), True))
    glob = "/" + "/".join(s for s, _ in stack)
    if stack[-1:] == [("**", True)] and len(stack) > 1:
        return [glob, "/" + "/".join(s for s, _ in stack[:-1])]  # `sub/**` gives `sub/` too
    return [glob]


def _tokens(segment: str) -> list[_Token]:
    """A segment as literal characters, ``*`` and ``?``; a bracket expression is ``?``, and one
    that is not plain makes the rest of the segment ``*``."""
    out: list[_Token] = []
    i = 0
    n = len(segment)
    while i < n:
        c = segment[i]
        if c == "\0":  # a literal brace from the brace expansion
            out.append(segment[i + 1])
            i += 2
        elif c == "*":
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
            i += 1
        elif c == "?":
            out.append(_ONE)
            i += 1
        elif c == "[":
            j = i + 1
            if j < n and segment[j] in "!^":
                j += 1
            if j < n and segment[j] == "]":
                j += 1
            while j < n and segment[j] not in "][\\\0":
                j += 1
            if j < n and segment[j] == "]":
                out.append(_ONE)
                i = j + 1
            elif j >= n:
                out.append(_ONE)  # no closing bracket: a literal `[`
                i += 1
            else:  # a class, an equivalence class, an escape: the rest may be anything
                if not out or out[-1] is not _STAR:
                    out.append(_STAR)
                break
        else:
            out.append(c)
            i += 1
    return out


def _may_name_dots(segment: str, tokens: list[_Token]) -> bool:
    """Whether the pattern segment may match ``.`` or ``..``: only one that starts with a dot
    does, whatever the options (bash, zsh, ksh, dash); a bracket first is taken to be able to."""
    if segment[:1] not in (".", "["):
        return False
    return _matches(tokens, ".") or _matches(tokens, "..")


def _matches(tokens: list[_Token], name: str) -> bool:
    if not tokens:
        return not name
    t = tokens[0]
    if t is _STAR:
        return any(_matches(tokens[1:], name[k:]) for k in range(len(name) + 1))
    if not name:
        return False
    if t is _ONE or t == name[0]:
        return _matches(tokens[1:], name[1:])
    return False


def _render_segment(tokens: list[_Token]) -> str:
    """A pattern segment, which names no file starting with a dot unless it starts with a dot
    itself: a segment that starts with ``*``, ``?`` or ``[…]`` names only files whose first
    character is not a dot (``*.py`` names no ``.py``)."""
    if isinstance(tokens[0], str):
        return _render(tokens)
    alternatives = _no_leading_dot(tokens)
    return alternatives[0] if len(alternatives) == 1 else "{" + ",".join(alternatives) + "}"


def _no_leading_dot(tokens: list[_Token]) -> list[str]:
    """The globs of the names ``tokens`` match whose first character is not a dot."""
    if not tokens:
        return []  # the empty name: no file
    first, rest = tokens[0], tokens[1:]
    if isinstance(first, str):
        return [] if first == "." else [_render(tokens)]
    if first is _ONE:
        return ["[!.]" + _render(rest)]
    # `*`: one character or more, the first not a dot; or nothing, and the rest starts the name
    return ["[!.]*" + _render(rest), *_no_leading_dot(rest)]


def _render(tokens: list[_Token]) -> str:
    """A pattern segment; letters match either case (``nocaseglob`` may be on)."""
    out = []
    for t in tokens:
        if t is _STAR:
            out.append("*")
        elif t is _ONE:
            out.append("?")
        elif isinstance(t, str):
            cases = dict.fromkeys(c for c in (t, t.lower(), t.upper()) if len(c) == 1)
            out.append(f"[{''.join(cases)}]" if len(cases) > 1 else _escape(t))
    return "".join(out)


def _escape(text: str) -> str:
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in text)
