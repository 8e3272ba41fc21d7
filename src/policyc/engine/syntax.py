"""Syntax errors in plain words, shared by every Lark grammar of policyc (Datalog and policies)."""

from __future__ import annotations

from collections.abc import Mapping

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from policyc.engine.errors import Position

# Terminal names every grammar shares, in plain words.
COMMON_WORDS = {
    "NAME": "a name",
    "VAR": "a variable",
    "STRING": "a string",
    "INT": "an integer",
    "FLOAT": "a decimal number",
    "COMPOP": "a comparison (=, !=, <, <=, >, >=)",
    "ADDOP": "an arithmetic operator",
    "MULOP": "an arithmetic operator",
    "$END": "the end of the text",
}


def terminal_words(parser: Lark, names: set[str], words: Mapping[str, str]) -> list[str]:
    """Describe expected terminals: known names in words, literal keywords quoted."""
    out = []
    for n in sorted(names):
        if n in words:
            out.append(words[n])
            continue
        if n in COMMON_WORDS:
            out.append(COMMON_WORDS[n])
            continue
        try:
            pattern = parser.get_terminal(n).pattern
        except KeyError:
            out.append(n.lower())
            continue
        out.append(repr(pattern.value) if pattern.type == "str" else n.lower())
    return sorted(set(out))


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def end_position(text: str) -> tuple[int, int]:
    """Just after the last character that is not white space (where something is missing)."""
    body = text.rstrip()
    lines = body.split("\n")
    return len(lines), len(lines[-1]) + 1


def _after_last_token(parser: Lark, text: str) -> tuple[int, int]:
    """Just after the last token (comments and white space after it do not count)."""
    last: Token | None = None
    try:
        for tok in parser.lex(text):
            last = tok
    except Exception:  # the text does not even lex: fall back to the last visible character
        return end_position(text)
    if last is None or last.end_line is None or last.end_column is None:
        return end_position(text)
    return last.end_line, last.end_column


def error_offset(e: UnexpectedInput, text: str) -> int:
    """Where in ``text`` the error happened (the end for an unexpected end of text)."""
    if isinstance(e, UnexpectedEOF):
        return len(text)
    if isinstance(e, UnexpectedToken) and e.token.type == "$END":
        return len(text)
    pos = getattr(e, "pos_in_stream", None)
    return pos if isinstance(pos, int) else len(text)


_TOKEN_KINDS = {"NAME": "name", "VAR": "variable", "INT": "integer", "FLOAT": "number"}


def describe_token(tok: Token) -> str:
    value = str(tok)
    if tok.type in _TOKEN_KINDS:
        return f"{_TOKEN_KINDS[tok.type]} {value!r}"
    if tok.type == "STRING":
        return f"string {value}"
    return repr(value)


def describe_syntax_error(
    e: UnexpectedInput,
    text: str,
    source_name: str,
    parser: Lark,
    words: Mapping[str, str],
) -> tuple[str, Position]:
    """The message (with the expected tokens in words) and the position of a Lark error."""
    if isinstance(e, UnexpectedCharacters):
        offset = e.pos_in_stream or 0
        ch = text[offset] if offset < len(text) else ""
        msg = f"unexpected character {ch!r}"
        if text.startswith("/*", offset):
            msg = "unterminated block comment: '/*' has no closing '*/'"
        elif ch == '"':
            msg = "unterminated string or invalid escape in string"
        expected = set(e.allowed or ())
        line, col = e.line, e.column
        width = 1
    elif isinstance(e, UnexpectedToken):
        tok = e.token
        if tok.type == "$END":
            msg = "unexpected end of text"
            line, col = _after_last_token(parser, text)
            width = 0  # nothing is there to underline: the region is empty
        else:
            msg = f"unexpected {describe_token(tok)}"
            line, col = tok.line or 1, tok.column or 1
            width = max(1, len(str(tok)))
        expected = set(e.accepts or e.expected or ())
    else:  # UnexpectedEOF
        msg = "unexpected end of text"
        line, col = _after_last_token(parser, text)
        expected = set(getattr(e, "expected", ()) or ())
        width = 0
    if text.startswith("/*", error_offset(e, text)) and "*/" not in text[error_offset(e, text) :]:
        msg = "unterminated block comment: '/*' has no closing '*/'"
        expected = set()
    if expected:
        msg += "; expected " + join_words(terminal_words(parser, expected, words))
    return msg, Position(source_name, line, col, line, col + width)


def blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by spaces (newlines kept, so positions hold)."""
    middle = "".join(c if c == "\n" else " " for c in text[start:end])
    return text[:start] + middle + text[end:]
