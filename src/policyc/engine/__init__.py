"""policyc.engine: a general Datalog engine with stratified negation, built-ins and proof trees."""

from policyc.engine.analysis import PASSES, AnalysedProgram, analyse
from policyc.engine.builtins import BUILTINS
from policyc.engine.errors import (
    ArityMismatch,
    BuiltinArity,
    CyclicNegation,
    DatalogError,
    DatalogErrors,
    DatalogSyntaxError,
    DuplicateRuleId,
    EvaluationError,
    InvalidFact,
    InvalidPattern,
    NotDerived,
    Position,
    UnknownAnnotation,
    UnknownBuiltin,
    UnsafeVariable,
    render_error,
)
from policyc.engine.program import Model, Program, parse_program
from policyc.engine.proofs import Proof

__all__ = [
    "BUILTINS",
    "PASSES",
    "AnalysedProgram",
    "ArityMismatch",
    "BuiltinArity",
    "CyclicNegation",
    "DatalogError",
    "DatalogErrors",
    "DatalogSyntaxError",
    "DuplicateRuleId",
    "EvaluationError",
    "InvalidFact",
    "InvalidPattern",
    "Model",
    "NotDerived",
    "Position",
    "Program",
    "Proof",
    "UnknownAnnotation",
    "UnknownBuiltin",
    "UnsafeVariable",
    "analyse",
    "parse_program",
    "render_error",
]
