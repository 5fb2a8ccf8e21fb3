"""`replay`: recorded payloads, in order, as successive polls of one source.

Unlike `run`, replay has no silent baseline: it starts from "everything operational,
no incidents", so an incident already open in the first file is announced.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import SourceError, UndatedPayload
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import Snapshot
from bot.render import event_record, one_line
from bot.untrusted import json_line_safe
from integrations.sources import parse_any


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "replay"


def _read(path: Path) -> Snapshot:
    raw = path.read_bytes()
    try:
        return parse_any(raw)
    except UndatedPayload:
        # Some formats carry no time when nothing is happening (Instatus): the file's
        # modification time is the best account of when it was captured.
        when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"note: {path}: no time in the payload; dated by the file ({stamp})", file=sys.stderr)
        return parse_any(raw, when)


def replay_files(files: list[str], fmt: str, flap_window_s: float = 0.0) -> int:
    state = ALL_OPERATIONAL
    settings: MachineSettings | None = None
    failed = 0
    for name in files:
        try:
            snapshot = _read(Path(name))
        except OSError as exc:
            print(f"error: {name}: cannot read ({exc.strerror or exc})", file=sys.stderr)
            failed += 1
            continue
        except SourceError as exc:
            print(f"error: {name}: {exc.reason}", file=sys.stderr)
            failed += 1
            continue
        if settings is None:
            key = _slug(snapshot.page_name)
            settings = MachineSettings(provider=key, source_id=key, flap_window_s=flap_window_s)
        state, events = transition(state, snapshot, settings)
        for event in events:
            if fmt == "jsonl":
                print(json_line_safe(json.dumps(event_record(event), ensure_ascii=False)))
            else:
                print(one_line(event))
    return 1 if failed else 0
