"""The runtime around the pure engine: state kept across decisions (sessions, approvals, the
audit log) supplied to the engine as trusted facts, and side effects (alerts) delivered.

:class:`Runtime` is the entry point (``policyc.runtime.Runtime.from_config()``); its parts are
:mod:`store`, :mod:`audit`, :mod:`sessions`, :mod:`approvals`, :mod:`alerts` and :mod:`config`.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyc.runtime.runtime import Runtime


def __getattr__(name: str) -> Any:
    if name == "Runtime":
        from policyc.runtime.runtime import Runtime

        return Runtime
    raise AttributeError(f"module 'policyc.runtime' has no attribute {name!r}")


__all__ = ["Runtime"]
