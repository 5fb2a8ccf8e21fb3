"""`python -m bench scale` stays runnable: three replicas on the real PostgreSQL deliver a
tiny incident to every channel once (the figures themselves belong in bench/results.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scale
from tests.conftest import pg_problem

pytestmark = pytest.mark.slow


async def test_three_replicas_deliver_a_small_incident_once_everywhere(tmp_path: Path) -> None:
    problem = await pg_problem()
    if problem:
        pytest.skip(problem)
    measured = await scale.run([30], tmp_path)
    [row] = measured["sizes"]
    assert row["complete"], row
    assert row["duplicates"] == 0
    assert row["lost"] == 0
    assert row["replicas_that_polled"] == 1
    assert len(row["peak_rss_mb_per_replica"]) == 3
    assert scale.section(measured)[0] == "## Scale: three replicas on PostgreSQL"
