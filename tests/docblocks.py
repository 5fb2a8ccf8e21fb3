"""The commands README.md and docs/ print, read back out of the Markdown for tests to run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.botproc import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def fenced(path: Path, lang: str = "sh") -> list[tuple[str, list[str]]]:
    """(the heading above, the block's lines) of every ```lang block, in order."""
    text = path.read_text(encoding="utf-8")
    out = []
    for match in _FENCE.finditer(text):
        if match.group(2) != lang:
            continue
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        indent = len(match.group(1))
        lines = [line[indent:] for line in match.group(3).splitlines()]
        out.append((headings[-1] if headings else "", _join_continuations(lines)))
    return out


def _join_continuations(lines: list[str]) -> list[str]:
    out: list[str] = []
    pending = ""
    in_heredoc: str | None = None
    for line in lines:
        if in_heredoc is not None:
            out[-1] += "\n" + line
            if line.strip() == in_heredoc:
                in_heredoc = None
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        out.append(full)
        heredoc = re.search(r"<<'?(\w+)'?", full)
        if heredoc:
            in_heredoc = heredoc.group(1)
    return [line for line in out if line.strip()]


def block(path: Path, heading: str, index: int = 0) -> list[str]:
    """The `index`-th ```sh block under the heading `heading`."""
    found = [lines for title, lines in fenced(path) if title == heading]
    assert len(found) > index, f"{path.name} has no sh block {index} under '{heading}'"
    return found[index]


def inline_spans(path: Path) -> list[str]:
    """Inline `code` spans outside the fenced blocks."""
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return re.findall(r"`([^`\n]+)`", text)


def inline_commands(path: Path, program: str = "statusbot") -> list[str]:
    """Inline `code` spans that are commands of `program`."""
    # `statusbot started: ...` is a log line, not a command: a command word has no colon.
    command = re.compile(rf"^{program} (-[-a-z]+|[a-z][-a-z]*)(\s|$)")
    return [span for span in inline_spans(path) if command.match(span)]


def project_copy(dest: Path) -> Path:
    """What a fresh clone has: the tracked files (and new ones not yet committed), as they are."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = raw.decode()
        source = ROOT / relative
        if not source.exists():  # deleted in the work tree, not yet in git
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return dest


def network_isolation() -> list[str] | None:
    """A command prefix that runs its command with no network but loopback, or None."""
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    lo_up = "ip link set lo up 2>/dev/null || true"
    return ["unshare", "-n", "sh", "-c", f'{lo_up}; exec "$@"', "isolated"]


def unguarded(env: dict[str, str]) -> dict[str, str]:
    """`env` without the socket guard (tests/netguard) for processes that run where the
    kernel's own empty network namespace is the guard, or that fetch from the package index
    on purpose; everything else keeps the guard."""
    from tests import netguard

    out = dict(env)
    out.pop(netguard.LOG_ENV, None)
    parts = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]
    parts = [p for p in parts if p != str(netguard.SITE_DIR)]
    if parts:
        out["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        out.pop("PYTHONPATH", None)
    return out
