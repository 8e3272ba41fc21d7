"""What a program's semantics may ask of the shell walker, and the table of programs.

For each simple command, ``shell.py`` calls :func:`policyc.normalize.programs.program_facts`,
which runs the handler registered here under the program's name with the program's arguments
(``None`` for a word computed at run time) and a :class:`Shell`: the walker's services, through
which the handler adds its facts, reads the environment and stdin the command line gives it, and
has shell text or a command it runs analysed in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Stdin:
    """What a command reads on its standard input, as far as it is known statically."""

    text: str | None  # the text, when it is known
    source: str  # where it comes from, in words: "a here-document", "the output of curl"
    exact: bool = True  # False: the text is a guess (decoded, or expanded at run time)


class Shell(Protocol):
    """The walker's services to a program's semantics."""

    @property
    def stdin(self) -> Stdin | None: ...

    @property
    def facts(self) -> dict[str, list[tuple[Any, ...]]]:
        """The facts found so far (for helpers that add to a facts dict)."""
        ...

    def add(self, pred: str, *args: Any) -> None: ...

    @property
    def env(self) -> dict[str, str | None]:
        """The environment variables the command line assigns for this command (prefix
        assignments, ``env NAME=…``, assignments and exports before it): None when computed."""
        ...

    def paths(self, path: str, *, pattern: bool = True) -> list[str]:
        """Every canonical absolute path ``path`` may name: a relative path after a ``cd`` is
        resolved against each directory the command may be in (``[]``: an ``unresolved``
        fact says why). ``pattern``: a shell word, which may be a glob."""
        ...

    def file(self, pred: str, path: str) -> str | None:
        """Add ``pred`` of each of :meth:`paths`; the first, or None."""
        ...

    def text(self, script: str, stdin: Stdin | None = None) -> None:
        """Analyse a shell string run by this command."""
        ...

    def words(self, words: Sequence[str | None], stdin: Stdin | None = None) -> None:
        """Analyse a simple command run by this command."""
        ...


# -- the table of programs -----------------------------------------------------------------

Handler = Callable[[str, list[str | None], Shell], None]
_PROGRAMS: dict[str, Handler] = {}


def _program(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for n in names:
            _PROGRAMS[n] = fn
        return fn

    return register
