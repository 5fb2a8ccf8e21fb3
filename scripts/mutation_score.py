"""Print each mutated module's killed share after `mutmut run` (see `make mutation`).

Killed counts kills and timeouts; survived counts survivors and mutants no test reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

CAUGHT = {"killed", "timeout", "caught by type check", "segfault"}
MISSED = {"survived", "no tests"}


def main() -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutation results: run `mutmut run` first", file=sys.stderr)
        return 1
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        statuses = [status_by_exit_code[code] for code in codes.values()]
        caught = sum(s in CAUGHT for s in statuses)
        missed = sum(s in MISSED for s in statuses)
        if caught + missed == 0:
            continue
        module = meta.relative_to("mutants").with_suffix("")
        share = 100 * caught / (caught + missed)
        print(f"{module}: {caught}/{caught + missed} killed ({share:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
