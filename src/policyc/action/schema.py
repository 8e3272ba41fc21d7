"""Attribute paths of the Action model and their types, as policies see them.

A scalar attribute ``a.b`` is read in a policy as the fact ``a.b(Value)``; a list attribute holds
one fact per element; ``tool.input`` is an open object read as ``tool.input(KeyPath, Value)``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from policyc.action.model import Action


@dataclass(frozen=True, slots=True)
class AttributeType:
    kind: str  # "string" | "integer" | "boolean" | "object"
    many: bool = False  # a list: one fact per element
    choices: tuple[str, ...] = ()  # the allowed values of an enumerated string
    description: str = ""

    def __str__(self) -> str:
        base = self.kind
        if self.choices:
            base = " | ".join(f'"{c}"' for c in self.choices)
        return f"list of {base}" if self.many else base


def _leaf_type(annotation: Any) -> AttributeType | None:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _leaf_type(args[0])
        return None
    if origin is Literal:
        return AttributeType("string", choices=tuple(str(a) for a in get_args(annotation)))
    if origin is list:
        (inner,) = get_args(annotation)
        t = _leaf_type(inner)
        return AttributeType(t.kind, True, t.choices) if t else None
    if origin is dict:
        return AttributeType("object")
    if annotation is str:
        return AttributeType("string")
    if annotation is bool:
        return AttributeType("boolean")
    if annotation is int:
        return AttributeType("integer")
    return None


def _walk(model: type[BaseModel], prefix: str, out: dict[str, AttributeType]) -> None:
    hints = typing.get_type_hints(model)
    for name, field in model.model_fields.items():
        annotation = hints[name]
        path = f"{prefix}{name}"
        nested = _nested_model(annotation)
        if nested is not None:
            _walk(nested, path + ".", out)
            continue
        t = _leaf_type(annotation)
        if t is not None:
            out[path] = AttributeType(t.kind, t.many, t.choices, field.description or "")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _nested_model(args[0])
    return None


def _attributes() -> dict[str, AttributeType]:
    out: dict[str, AttributeType] = {}
    _walk(Action, "", out)
    return dict(sorted(out.items()))


ATTRIBUTES: dict[str, AttributeType] = _attributes()


def attribute_type(path: str) -> AttributeType | None:
    return ATTRIBUTES.get(path)
