"""The input vocabulary: every fact predicate that normalization produces for policies to read.

This is the contract between normalizers (which produce these facts) and the policy checker
(which accepts exactly these as input predicates, with these arities and argument kinds).
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.action.schema import ATTRIBUTES


@dataclass(frozen=True, slots=True)
class InputPredicate:
    name: str
    params: tuple[tuple[str, str], ...]  # (parameter name, kind: string | integer | boolean | any)
    doc: str

    @property
    def arity(self) -> int:
        return len(self.params)


ATTRIBUTE_PREFIX = "action."


def attribute_predicate(path: str) -> str:
    """The fact predicate holding attribute ``path`` (``resource.path`` → ``action.resource.path``)."""
    return ATTRIBUTE_PREFIX + path


def _attribute_predicates() -> list[InputPredicate]:
    out = []
    for path, t in ATTRIBUTES.items():
        if t.kind == "object":
            out.append(
                InputPredicate(
                    attribute_predicate(path),
                    (("key_path", "string"), ("value", "any")),
                    f"each leaf of the object `{path}`: its dotted key path and value",
                )
            )
        else:
            doc = f"the action's `{path}`" + (" (one fact per element)" if t.many else "")
            out.append(InputPredicate(attribute_predicate(path), (("value", t.kind),), doc))
    return out


_FACTS = [
    InputPredicate(
        "reads_file", (("path", "string"),), "the action reads this file (absolute, canonical)"
    ),
    InputPredicate("writes_file", (("path", "string"),), "the action creates or changes this file"),
    InputPredicate(
        "deletes_file", (("path", "string"),), "the action deletes this file or directory"
    ),
    InputPredicate(
        "command", (("name", "string"),), "a program a shell command runs (wrappers included)"
    ),
    InputPredicate(
        "command_arg", (("name", "string"), ("arg", "string")), "a literal argument of a program"
    ),
    InputPredicate(
        "command_flag",
        (("name", "string"), ("flag", "string")),
        "a flag of a program, normalised (`-rf` gives `-r` and `-f`; `--recursive` of rm is `-r`)",
    ),
    InputPredicate(
        "url_scheme", (("scheme", "string"),), "the scheme of the action's URL (lower case)"
    ),
    InputPredicate(
        "url_host", (("host", "string"),), "the host of a URL: lower case, IDNA, IPs normalised"
    ),
    InputPredicate(
        "url_domain",
        (("domain", "string"),),
        "the registrable domain of a URL's host (github.com for api.github.com)",
    ),
    InputPredicate(
        "url_port",
        (("port", "integer"),),
        "the port of a URL (the scheme's default when none is given)",
    ),
    InputPredicate("url_path", (("path", "string"),), "the path of a URL"),
    InputPredicate("url_ip", (("ip", "string"),), "the URL's host is this IP literal"),
    InputPredicate(
        "contacts_host",
        (("host", "string"),),
        "the action connects to this host (a URL, curl, ssh, scp, nc …)",
    ),
    InputPredicate(
        "uploads_to",
        (("host", "string"),),
        "the action sends data to this host (POST/PUT/PATCH, curl -d/-F/-T, scp/rsync to it, nc)",
    ),
    InputPredicate(
        "unresolved",
        (("kind", "string"), ("detail", "string")),
        "a part of the action that could not be resolved statically",
    ),
]

INPUT_PREDICATES: dict[str, InputPredicate] = {
    p.name: p for p in sorted(_attribute_predicates() + _FACTS, key=lambda p: p.name)
}
