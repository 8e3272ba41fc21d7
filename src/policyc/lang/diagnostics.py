"""Diagnostics of ``policyc check``: a stable code, a severity, a message and a position."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.engine.errors import Position

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    position: Position | None = None
    hint: str | None = None
    related: tuple[tuple[str, Position], ...] = field(default=())

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position is not None else ""
        text = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        p = self.position
        if p is None:
            return ("", 0, 0, self.code)
        return (p.file, p.line, p.column, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "position": self.position.to_dict() if self.position else None,
            "related": [{"message": m, "position": p.to_dict()} for m, p in self.related],
        }
