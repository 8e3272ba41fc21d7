"""The policy language: parse, check (compile and lint) and load times, and how they grow.

- in-process: parsing, compiling and linting the example policies and generated policy sets of
  1,000 and 10,000 outcome rules (how the toolchain scales with the size of a policy set);
- cold start: a fresh process that loads a policy set without the compile cache and with it,
  beside ``python -c pass`` (what a process started per action pays).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.timing import Timing, measure

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policies"


def generated_policy(n: int) -> str:
    """``n`` outcome rules of the shapes policies use (globs over read files, commands, hosts)."""
    parts = ["module bench.generated", "", "default allow", ""]
    for i in range(n):
        kind = i % 3
        if kind == 0:
            parts.append(
                f'deny gen.read{i}\n  when reads_file(P), glob(P, "**/area{i}/*.pem")\n'
                f'  reason "reading {{P}} is not allowed"\n  risk {i % 100}\n'
            )
        elif kind == 1:
            parts.append(
                f'require_approval gen.write{i}\n  when action_type in ["file.write", "file.edit"],'
                f' glob(resource.path, "**/svc{i}/**")\n  approver "owners"\n'
                f'  reason "svc{i} needs its owners"\n'
            )
        else:
            parts.append(
                f'alert gen.env{i}\n  when environment = "production", agent.team = "team{i}",'
                f' session.recent_denials > {i % 7}\n  reason "team{i} in production"\n'
            )
    return "\n".join(parts)


@dataclass
class LangRow:
    name: str
    rules: int
    parse: Timing
    check: Timing


def run_inprocess(sizes: tuple[int, ...], repeat: int) -> list[LangRow]:
    from policyc.lang.checker import check_paths, check_texts
    from policyc.lang.loader import load, load_texts

    rows = []
    n_examples = len(check_paths([EXAMPLES]).policy_set.outcomes)  # type: ignore[union-attr]
    rows.append(
        LangRow(
            "examples/policies",
            n_examples,
            measure(lambda: load([EXAMPLES]), repeat),
            measure(lambda: check_paths([EXAMPLES]), repeat),
        )
    )
    from policyc.lang.loader import stdlib_modules

    if stdlib_modules():  # the standard library, once it ships modules
        imports = "module bench.stdlib\n" + "".join(f"import {m}\n" for m in stdlib_modules())
        text = {"stdlib.policy": imports}
        result = check_texts(text)
        rows.append(
            LangRow(
                "standard library",
                len(result.policy_set.outcomes) if result.policy_set else 0,
                measure(lambda: load_texts(text), repeat),
                measure(lambda: check_texts(text), repeat),
            )
        )
    for n in sizes:
        text = {"generated.policy": generated_policy(n)}
        r = repeat if n < 5_000 else 1
        check = measure(lambda text=text: check_texts(text), r, warmup=0)  # type: ignore[misc]
        parse = measure(lambda text=text: load_texts(text), r, warmup=0)  # type: ignore[misc]
        result = check_texts(text)
        assert not result.errors, result.errors[:3]
        rows.append(LangRow(f"generated, {n:,} rules", n, parse, check))
    return rows


@dataclass
class StartRow:
    name: str
    seconds: float


def _best_process(code: str, env: dict[str, str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def run_cold_start(repeat: int) -> list[StartRow]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "xdg"))
        cache = str(Path(tmp) / "cache")
        load = (
            "from policyc.lang.cache import load_policy_set\n"
            f"ps, _, note = load_policy_set([{str(EXAMPLES)!r}], __import__('pathlib').Path({cache!r}),"
            " use_cache={use})\n"
            "assert ps is not None, note\n"
        )
        warm = load.format(use="True")
        subprocess.run([sys.executable, "-c", warm], env=env, check=True)  # fill the cache
        return [
            StartRow("python -c pass", _best_process("pass", env, repeat)),
            StartRow("import policyc", _best_process("import policyc", env, repeat)),
            StartRow(
                "load examples, no cache", _best_process(load.format(use="False"), env, repeat)
            ),
            StartRow("load examples, cache hit", _best_process(warm, env, repeat)),
        ]
