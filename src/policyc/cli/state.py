"""The state folder a runtime command reads (``policyc audit``, ``policyc approvals``):
``--state DIR``, else the ``state_dir`` of the configuration (``--config FILE``, else
``policyc.toml`` or ``[tool.policyc]`` found from the current folder upward, else ``.policyc``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def state_options() -> argparse.ArgumentParser:
    """The ``--state`` and ``--config`` options, as a parent parser."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--state",
        metavar="DIR",
        help="the runtime's state folder (default: the configuration's state_dir, .policyc)",
    )
    parent.add_argument(
        "--config",
        metavar="FILE",
        help="the configuration file that names the state folder (default: policyc.toml or "
        "pyproject.toml found from the current folder upward)",
    )
    return parent


def resolve_state(args: argparse.Namespace) -> str:
    """The state folder of ``args``; raises :class:`policyc.runtime.config.ConfigError`."""
    if args.state:
        return str(args.state)
    from policyc.runtime.config import load_config

    config = load_config(None if args.config is None else Path(args.config), cwd=Path.cwd())
    return str(config.state_dir)
