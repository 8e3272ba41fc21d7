"""A writer process for tests/runtime/test_audit.py: records decisions in an audit log.

    python audit_writer.py STATE_DIR TEMPLATES COUNT REPORT TAG [READY GO]

TEMPLATES is a JSON file: a list of {"decision": …, "action": …}. The writer records COUNT
entries (0: until it is killed), cycling through the templates, each with a fresh decision id and
with TAG as its session and agent id. After each commit it appends ``SEQ HASH DECISION_ID`` to
REPORT with one unbuffered write, so that a line in REPORT means the entry was committed. With
READY and GO, it creates READY once the log is open and waits for GO to exist before writing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    state, templates_path, count_text, report_path, tag = argv[:5]
    ready, go = (argv[5], argv[6]) if len(argv) >= 7 else (None, None)

    from policyc.action.model import new_id
    from policyc.decision.record import Decision
    from policyc.runtime.audit import open_audit_log

    templates = json.loads(Path(templates_path).read_text(encoding="utf-8"))
    prepared = []
    for t in templates:
        action = t["action"]
        if action is not None:
            action = {**action, "session": {"id": tag}, "agent": {"id": tag}}
        prepared.append((Decision.model_validate(t["decision"]), action))
    log = open_audit_log(state)
    if ready is not None and go is not None:
        Path(ready).touch()
        while not os.path.exists(go):
            time.sleep(0.005)
    count = int(count_text)
    report = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    while count == 0 or n < count:
        decision, action = prepared[n % len(prepared)]
        decision = decision.model_copy(update={"decision_id": new_id("dec_")})
        entry = log.record(decision, action)
        os.write(report, f"{entry.seq} {entry.hash} {entry.decision_id}\n".encode())
        n += 1
    os.close(report)
    log.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
