"""Peers' figures measured elsewhere (not by us), on the same class of machine.

2 cores, a loopback status page, flips spread evenly over the poll cycle. We did not
re-measure them in this run; they are quoted so our numbers have something to stand by.
"""

from __future__ import annotations

from typing import Any

SOURCE = "measured elsewhere, not by this benchmark (figures quoted from issue 7)"

PEERS: list[dict[str, Any]] = [
    {
        "name": "changedetection.io 0.60.10",
        "detection": {3.0: (2.36, 3.92), 20.0: (10.77, 18.17)},  # interval -> (median, p95) s
        "idle_memory": "106–108 MiB",
        "cpu_s_per_hour": "28 at 3 s, 10.8 at 20 s",
        "note": "really polls every 3–4 s when set to 3 s",
    },
    {
        "name": "Uptime Kuma 2.5.3",
        "detection": {3.0: (0.67, None), 20.0: (10.03, None)},
        "idle_memory": "153–159 MB",
        "cpu_s_per_hour": "about 44 at 3 s",
        "note": "",
    },
]


def run() -> dict[str, Any]:
    """The quoted figures, in a JSON-friendly shape."""
    return {
        "source": SOURCE,
        "measured_here": False,
        "why_not_here": "changedetection.io was not installed and measured in this run "
        "(kept out of the 10-minute budget); Uptime Kuma is not on PyPI",
        "peers": [
            {**peer, "detection": {str(k): v for k, v in peer["detection"].items()}}
            for peer in PEERS
        ],
    }
