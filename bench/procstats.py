"""Memory and CPU of another process straight from /proc (psutil is not installed)."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """Resident set now (VmRSS), its peak so far (VmHWM), and the private (RssAnon) and
    file-backed (RssFile: code and shared libraries) parts of it, in MB (MiB)."""
    out = {"rss_mb": 0.0, "peak_rss_mb": 0.0, "anon_mb": 0.0, "file_mb": 0.0}
    names = {
        "VmRSS:": "rss_mb",
        "VmHWM:": "peak_rss_mb",
        "RssAnon:": "anon_mb",
        "RssFile:": "file_mb",
    }
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(maxsplit=1)[0] if line else ""
        if key in names:
            out[names[key]] = int(line.split()[1]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; fields after the closing paren are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS
