"""The locked wheels on disk, for tests that install the project into a fresh venv.

They are fetched once from the index (hashes checked) into a wheelhouse kept between runs:
the index here sends no cache headers, so pip's own cache stays empty and every fresh install
would download about 100 MB again. Installs then run offline from it (PIP_NO_INDEX), which
also proves they need nothing else from the network.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.botproc import ROOT
from tests.docblocks import unguarded

LOCK = ROOT / "requirements.lock"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
WHEELHOUSE = CACHE / "statusbot-tests" / "wheelhouse"


@contextlib.contextmanager
def wheelhouse() -> Iterator[Path]:
    """The locked wheels plus the build backend; other test runs share it, so it is locked."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    complete = WHEELHOUSE / f"complete-{hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]}"
    with (WHEELHOUSE / ".lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not complete.exists():
            pip = [sys.executable, "-m", "pip", "download", "--quiet", "-d", str(WHEELHOUSE)]
            # The one step that reaches the package index, on purpose: the guard stays out.
            env = unguarded(dict(os.environ))
            run = functools.partial(subprocess.run, check=True, timeout=900, env=env)
            run([*pip, "--require-hashes", "-r", str(LOCK)])
            # The build backend `pip install .` asks for (pyproject.toml's build-system).
            run([*pip, "setuptools>=77"])
            complete.touch()
        fcntl.flock(guard, fcntl.LOCK_SH)  # readers share it while they install
        yield WHEELHOUSE


def offline_pip_env(wheels: Path) -> dict[str, str]:
    """The environment for pip to install from `wheels` only."""
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    return env
