"""README.md followed word by word on a fresh copy of the project, with no network: its first
command reaches a running bot with no tokens, and its install block does too from a new venv.
Every `statusbot` command the README and docs/ print is a valid command line.

The bot runs its built-in config here, which names real status pages: it runs in a network
namespace of its own (`unshare -n`, loopback only), where those names cannot even resolve; the
socket guard is left out of those processes, since the kernel already is one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from bot.cli import _parser
from tests.botproc import ROOT
from tests.docblocks import (
    DOCS,
    block,
    fenced,
    inline_commands,
    inline_spans,
    network_isolation,
    project_copy,
    unguarded,
)
from tests.wheels import offline_pip_env, wheelhouse

README = ROOT / "README.md"
# The start line the README quotes: what a reader is told to expect.
STARTED = next(s for s in inline_spans(README) if s.startswith("statusbot started:"))


def isolation() -> list[str]:
    prefix = network_isolation()
    if prefix is None:
        pytest.skip("cannot run without network (unshare -n): the bot would poll the internet")
    return prefix


def _bot_pid(root: int) -> int:
    """The `statusbot run` process among `root` and its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo = [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if any(a.endswith(b"statusbot") for a in argv) and b"run" in argv:
                return pid
        todo += children.get(pid, [])
    raise AssertionError("no statusbot run process under the command")


async def run_until_started(
    command: list[str], cwd: Path, env: dict[str, str], within: float
) -> tuple[int, str, str]:
    """Start `command`, wait for the bot's start line, then stop the bot with SIGTERM as a
    service manager would; (exit code of `command`, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    err: list[str] = []
    out_task = asyncio.create_task(process.stdout.read())
    try:
        async with asyncio.timeout(within):
            while line := await process.stderr.readline():
                err.append(line.decode("utf-8", "replace"))
                if STARTED in err[-1]:
                    break
        assert STARTED in "".join(err), "".join(err[-40:])
        os.kill(_bot_pid(process.pid), signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), 60)
        err.append(rest.decode("utf-8", "replace"))
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    out = (await out_task).decode("utf-8", "replace")
    assert process.returncode is not None
    return process.returncode, out, "".join(err)


def test_readme_first_lines_are_make_run_and_make_test() -> None:
    first = fenced(README)[0][1]
    assert [shlex.split(line, comments=True) for line in first] == [
        ["make", "run"],
        ["make", "test"],
    ]


async def test_make_run_on_a_fresh_copy_runs_the_bot_with_no_tokens(tmp_path: Path) -> None:
    prefix = isolation()
    copy = project_copy(tmp_path / "statusbot")
    # The project's venv stands in for the one `make` would build (tests/test_install.py and
    # the next test build fresh ones); everything else is the copy's own.
    venv = copy / ".venv"
    venv.mkdir()
    (venv / "bin").symlink_to(ROOT / ".venv" / "bin")
    (venv / ".installed").touch()
    make_run = fenced(README)[0][1][0]
    code, _out, err = await run_until_started(
        [*prefix, "bash", "-c", make_run], copy, unguarded(dict(os.environ)), within=120
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert (copy / "statusbot.db").exists()


@pytest.mark.slow
async def test_the_install_block_word_by_word_reaches_a_checked_running_bot(
    tmp_path: Path,
) -> None:
    prefix = isolation()
    copy = project_copy(tmp_path / "statusbot")
    lines = block(README, "Install and run")
    assert lines[-1] == "statusbot run --config config.yaml"
    script = tmp_path / "readme.sh"
    script.write_text(
        "set -e\n" + "\n".join(lines[:-1]) + "\nexec " + lines[-1] + "\n", encoding="utf-8"
    )
    with wheelhouse() as wheels:
        code, out, err = await run_until_started(
            [*prefix, "bash", str(script)], copy, unguarded(offline_pip_env(wheels)), within=600
        )
    assert code == 0, err[-3000:]
    assert "config.yaml: OK" in out  # check-config ran and passed before the bot started
    assert "Traceback" not in err
    assert (copy / ".venv" / "bin" / "statusbot").exists()
    assert (copy / "statusbot.db").exists()


def _statusbot_args(command: str) -> list[str] | None:
    """The arguments a shell command gives statusbot, or None if it runs something else."""
    tokens = shlex.split(command, comments=True)
    if not tokens:
        return None
    if tokens[0] == "docker" and len(tokens) > 3 and tokens[1] == "exec":
        return tokens[4:] if tokens[3] == "statusbot" else None
    if tokens[0] == "docker" and len(tokens) > 1 and tokens[1] == "run":
        with_value = {"-v", "-e", "-p", "--env-file", "--name", "--restart", "--entrypoint"}
        i = 2
        while i < len(tokens) and tokens[i].startswith("-"):
            i += 2 if tokens[i] in with_value else 1
        if i < len(tokens) and tokens[i] == "statusbot":
            return tokens[i + 1 :] or ["run"]  # the image's CMD
        return None
    for index, token in enumerate(tokens):
        if token == "statusbot" or token.endswith("/bin/statusbot"):
            if index == 0:
                return tokens[1:]
            if tokens[0] in ("sudo", "env") and tokens[index - 1] != "-u":
                return tokens[index + 1 :]
            if tokens[0] not in ("sudo", "env"):
                return None
    return None


def _commands() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        lines = [line for _heading, block_lines in fenced(path) for line in block_lines]
        lines += inline_commands(path)
        for line in lines:
            for command in line.split("&&"):
                if "statusbot" in command:
                    found.append((path.name, command.strip()))
    return found


def test_every_statusbot_command_in_the_docs_is_a_valid_command_line() -> None:
    parser = _parser()
    checked = 0
    for where, command in _commands():
        args = _statusbot_args(command)
        if args is None:
            continue
        try:
            parser.parse_args(args)
        except SystemExit as exc:  # --help exits 0; a bad command line exits 2
            if exc.code != 0:
                pytest.fail(f"{where}: `{command}` is not a valid statusbot command line")
        checked += 1
    assert checked >= 20  # the README and the guides print at least this many


def test_the_systemd_unit_keeps_state_in_its_own_directory(tmp_path: Path) -> None:
    import configparser

    text = (ROOT / "docs" / "statusbot.service").read_text(encoding="utf-8")
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    service = unit["Service"]
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"
    assert service["ExecStart"] == "/opt/statusbot/bin/statusbot run"
    assert "STATUSBOT_CONFIG=/etc/statusbot/config.yaml" in service["Environment"]
    verify = subprocess.run(["which", "systemd-analyze"], capture_output=True, text=True)
    if verify.returncode != 0:
        return
    # systemd's own reading of the unit, with the program where this machine has it.
    real = tmp_path / "statusbot.service"
    real.write_text(text.replace("/opt/statusbot", str(ROOT / ".venv")), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(real)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
