"""Every diagnostic code of ``policyc check``: its default severity and what it means.

The codes are stable: tools and suppressions may depend on them. docs/checks.md documents each
with an example; a test keeps that page and this table in step.
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    # code: (severity, one-line description)
    "syntax_error": ("error", "The text does not follow the grammar of the policy language."),
    "duplicate_clause": (
        "error",
        "A clause such as 'risk' or 'reason' is given twice in one rule.",
    ),
    "duplicate_key": ("error", "A key is given twice in a test's action object."),
    "io_error": ("error", "A file or directory cannot be read."),
    "no_policies": ("warning", "A directory holds no .policy files."),
    "missing_module": ("warning", "A file has no 'module' line; it is named after the file."),
    "duplicate_module": ("error", "Two files declare the same module."),
    "module_name_mismatch": (
        "error",
        "A standard library file declares another module than its path.",
    ),
    "unknown_module": (
        "error",
        "An import or a qualified name names a module that cannot be found.",
    ),
    "duplicate_import": ("error", "Two imports use the same alias for different modules."),
    "unknown_attribute": ("error", "An attribute path is not a field of the Action model."),
    "type_mismatch": (
        "error",
        "A value of one type is used where the Action schema or a built-in expects another.",
    ),
    "invalid_value": (
        "error",
        "An enumerated attribute is compared with a value it can never take.",
    ),
    "unknown_predicate": (
        "error",
        "A predicate is not defined, not imported, not an input fact and not a built-in.",
    ),
    "reserved_predicate": (
        "error",
        "A rule or fact defines a built-in, an input fact or a reserved name.",
    ),
    "arity_mismatch": ("error", "A predicate is used with different numbers of arguments."),
    "builtin_arity": ("error", "A built-in is called with the wrong number of arguments."),
    "unsafe_variable": (
        "error",
        "A variable is never bound by a positive condition, so the rule cannot be evaluated.",
    ),
    "cyclic_negation": (
        "error",
        "A predicate depends on its own negation (negation through recursion).",
    ),
    "duplicate_rule_id": ("error", "Two outcome rules share an id across everything loaded."),
    "missing_approver": ("error", "A require_approval rule names no approver role."),
    "invalid_risk": ("error", "A risk score lies outside 0-100."),
    "missing_when": ("error", "An outcome rule has no 'when' clause."),
    "unbound_template_variable": (
        "error",
        "A reason template names a variable the conditions do not bind.",
    ),
    "invalid_template": ("error", "A reason template has an unmatched brace."),
    "invalid_regex": ("error", "A regular expression is rejected by RE2."),
    "invalid_glob": ("error", "A glob pattern is malformed."),
    "non_ground_fact": ("error", "A fact has a variable or an attribute as an argument."),
    "invalid_head": ("error", "A rule head has an attribute or an expression as an argument."),
    "empty_list": ("error", "'in []' can never hold."),
    "unknown_rule_id": (
        "error",
        "A test, 'disable' or 'override' names a rule id that does not exist.",
    ),
    "library_override": (
        "error",
        "An imported (library) module tries to disable or override a rule; only the project may.",
    ),
    "too_many_alternatives": (
        "error",
        "'in' lists of non-constant items expand into too many rules.",
    ),
    "invalid_test_action": ("error", "A test block's action does not fit the Action model."),
    "duplicate_override": ("error", "A rule is overridden twice."),
    "conflicting_default": ("error", "Modules declare different default effects."),
    "no_default": (
        "warning",
        "No module declares a default effect, so deny applies when nothing fires.",
    ),
    "missing_reason": ("warning", "An outcome rule gives no reason."),
    "unreachable_rule": (
        "error",
        "A rule's conditions contradict each other, so it can never fire.",
    ),
    "redundant_rule": (
        "warning",
        "Another rule with the same effect fires whenever this one does.",
    ),
    "allow_overlaps_deny": (
        "info",
        "An allow rule and a deny rule can fire on the same action; deny wins.",
    ),
    "unused_predicate": ("warning", "A fact or helper predicate is defined but never used."),
    "internal_error": ("error", "policyc failed; the policy set is refused (fail closed)."),
}
