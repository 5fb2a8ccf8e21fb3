"""The Dockerfile's build stage replayed in a fresh venv, since no Docker engine is at hand:
its COPY and RUN lines in order (the locked dependencies installed before any code is there),
then the image's entry point used as the container would use it.

The locked files come from a wheelhouse kept between runs (tests/wheels.py); the replay
installs from it offline, with the hashes checked.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, write_config
from tests.conftest import fixture_bytes
from tests.waiting import until
from tests.wheels import offline_pip_env, wheelhouse

pytestmark = pytest.mark.slow

SUMMARY = "/api/v2/summary.json"


def build_stage(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile's first stage, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    out: list[tuple[str, str]] = []
    stages = 0
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, args = line.partition(" ")
        if op == "FROM":
            stages += 1
            if stages > 1:
                break
            continue
        if stages == 1:
            out.append((op, args.strip()))
    return out


def replay(prefix: Path, src: Path, wheels: Path) -> None:
    env = offline_pip_env(wheels)
    workdir = src
    for op, args in build_stage((ROOT / "Dockerfile").read_text(encoding="utf-8")):
        if op == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(args))
        elif op == "WORKDIR":
            assert args == "/src", args
            workdir = src
        elif op == "COPY":
            *sources, dest = args.split()
            target = workdir / dest
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(
                        path, workdir / dest, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.name)
        elif op == "RUN":
            command = shlex.split(args.replace("/opt/statusbot", str(prefix)))
            if command[0] == "python":
                command[0] = str(Path(sys.base_prefix) / "bin" / "python3")
            subprocess.run(command, cwd=workdir, env=env, check=True, timeout=900)
        else:
            raise AssertionError(f"the replay does not know {op}; teach it")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The package, and the postgres extra the image's lock carries.
IMPORTS = "import bot, integrations, asyncpg; print(bot.__file__)"


def statusbot(
    prefix: Path, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(prefix / "bin" / "statusbot"), *args],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def install_and_check(prefix: Path, src: Path, home: Path) -> None:
    with wheelhouse() as wheels:
        replay(prefix, src, wheels)
    version = statusbot(prefix, home, "--version")
    assert version.stdout.strip() == "statusbot 0.1.0", version.stderr
    # The code runs from the venv, not from a source tree that happens to be near.
    where = subprocess.run(
        [
            str(prefix / "bin" / "python"),
            "-c",
            "import bot, integrations, asyncpg; print(bot.__file__)",
        ],
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(prefix)), where.stdout
    shutil.copy(ROOT / "config.example.yaml", home / "config.yaml")
    checked = statusbot(prefix, home, "check-config", "config.yaml")
    assert checked.returncode == 0, checked.stderr


async def test_the_image_install_replayed_in_a_fresh_venv_gives_a_working_bot(
    tmp_path: Path,
) -> None:
    prefix, src, home = tmp_path / "opt", tmp_path / "src", tmp_path / "data"
    src.mkdir()
    home.mkdir()
    await asyncio.to_thread(install_and_check, prefix, src, home)

    # As in the container: STATUSBOT_HEALTH set, `run` serves health and `healthcheck` asks.
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        config = write_config(
            home / "local.yaml",
            {
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "sources": [{"kind": "statuspage", "url": page.url(SUMMARY)}],
                    }
                }
            },
        )
        env = {
            **os.environ,
            "STATUSBOT_CONFIG": str(config),
            "STATUSBOT_HEALTH": f"127.0.0.1:{free_port()}",
        }
        process = await asyncio.create_subprocess_exec(
            str(prefix / "bin" / "statusbot"),
            "run",
            cwd=home,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:

            async def healthy() -> bool:
                check = await asyncio.to_thread(statusbot, prefix, home, "healthcheck", env=env)
                return check.returncode == 0

            await until(healthy, "the installed bot to answer its healthcheck", within=60)
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        assert (home / "statusbot.db").exists()  # the store lands in the working directory
