"""policyc.normalize: an Action → the input facts policies read (docs/facts.md).

Every attribute of the action becomes a fact (``action.resource.path("/repo/.env")``); file
actions also yield canonical file-access facts. Commands, URLs, SQL and secrets get their own
normalizers.
"""

from policyc.normalize.facts import Normalized, action_facts, canonical_path, normalize_action

__all__ = ["Normalized", "action_facts", "canonical_path", "normalize_action"]
