"""pytest side of the network guard: on for the whole session, in every child process, and a
test fails when anything (it, or a process it started) tried to leave the machine."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netguard

_LOG = Path(tempfile.gettempdir()) / f"statusbot-netguard-{os.getpid()}.log"


class Refusals:
    """What the guard refused during one test, in this process and in its children."""

    def take(self) -> list[str]:
        found = netguard.refused[:] + netguard.take_logged(_LOG)
        netguard.refused.clear()
        return found


def pytest_configure(config: pytest.Config) -> None:
    netguard.install()
    _LOG.write_text("", encoding="utf-8")
    os.environ.update(netguard.child_env(_LOG))


def pytest_unconfigure(config: pytest.Config) -> None:
    _LOG.unlink(missing_ok=True)


@pytest.fixture
def refusals() -> Refusals:
    """For tests of the guard itself: take the refusals they caused on purpose."""
    return Refusals()


@pytest.fixture(autouse=True)
def _no_network_outside_this_machine() -> Iterator[None]:
    Refusals().take()
    yield
    leaked = Refusals().take()
    if leaked:
        pytest.fail("\n".join(["tried to reach the network:", *leaked]), pytrace=False)
