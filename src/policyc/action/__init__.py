"""policyc.action: the typed action every adapter produces and every policy reads."""

from policyc.action.model import (
    ACTION_TYPES,
    Action,
    ActionError,
    Agent,
    Approval,
    Resource,
    Session,
    Tool,
    parse_action,
)
from policyc.action.schema import ATTRIBUTES, AttributeType, attribute_type

__all__ = [
    "ACTION_TYPES",
    "ATTRIBUTES",
    "Action",
    "ActionError",
    "Agent",
    "Approval",
    "AttributeType",
    "Resource",
    "Session",
    "Tool",
    "attribute_type",
    "parse_action",
]
