"""Errors of the Datalog engine: every one carries a stable ``code``, a source position and a message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a source text: 1-based line and column, with an optional end."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column}


class DatalogError(Exception):
    """Base of every error the engine raises; ``code`` is stable and documented in docs/datalog.md."""

    code = "datalog_error"

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position is not None else ""
        return f"{where}error[{self.code}]: {self.message}"


class DatalogSyntaxError(DatalogError):
    code = "syntax_error"


class ArityMismatch(DatalogError):
    code = "arity_mismatch"


class UnsafeVariable(DatalogError):
    code = "unsafe_variable"


class CyclicNegation(DatalogError):
    code = "cyclic_negation"


class UnknownBuiltin(DatalogError):
    code = "unknown_builtin"


class BuiltinArity(DatalogError):
    code = "builtin_arity"


class InvalidPattern(DatalogError):
    """A constant regex that RE2 rejects, or a malformed glob."""

    code = "invalid_pattern"


class DuplicateRuleId(DatalogError):
    code = "duplicate_rule_id"


class UnknownAnnotation(DatalogError):
    code = "unknown_annotation"


class InvalidFact(DatalogError):
    """Input facts handed to ``evaluate`` that are malformed (bad name, arity or value)."""

    code = "invalid_fact"


class EvaluationError(DatalogError):
    """A failure while evaluating, such as a pattern built at run time that RE2 rejects."""

    code = "evaluation_error"


class NotDerived(DatalogError, LookupError):
    """``explain`` was asked about a fact that is not in the model."""

    code = "not_derived"


class DatalogErrors(DatalogError):
    """Several errors found in one program, reported together; ``errors`` lists them in source order."""

    code = "invalid_program"

    def __init__(self, errors: Sequence[DatalogError]) -> None:
        self.errors: list[DatalogError] = sorted(errors, key=_error_order)
        first = self.errors[0]
        super().__init__(f"{len(self.errors)} error(s); first: {first.message}", first.position)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def _error_order(e: DatalogError) -> tuple[str, int, int, str]:
    p = e.position
    if p is None:
        return ("", 0, 0, e.code)
    return (p.file, p.line, p.column, e.code)


def render_error(error: DatalogError, source: str | None) -> str:
    """A compiler-style rendering: ``file:line:col: error[code]: message``, the line, and a caret."""
    lines = [str(error)]
    p = error.position
    if source is not None and p is not None:
        text_lines = source.splitlines()
        if 1 <= p.line <= len(text_lines):
            src = text_lines[p.line - 1]
            width = 1
            if p.end_line == p.line and p.end_column is not None and p.end_column > p.column:
                width = p.end_column - p.column
            lines.append(f"  {p.line:>4} | {src}")
            lines.append("       | " + " " * (p.column - 1) + "^" * width)
    return "\n".join(lines)
