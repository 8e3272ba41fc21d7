"""policyc: a deterministic policy engine for the actions of autonomous AI agents.

The stable public API is what ``__all__`` lists; everything else may move.
"""

from policyc.engine import (
    DatalogError,
    DatalogErrors,
    Model,
    NotDerived,
    Position,
    Program,
    Proof,
    parse_program,
)

__version__ = "0.1.0"

__all__ = [
    "DatalogError",
    "DatalogErrors",
    "Model",
    "NotDerived",
    "Position",
    "Program",
    "Proof",
    "__version__",
    "parse_program",
]
