"""`make mutation`: mutmut 3 on each listed module with its own tests, one score per module.

Each module runs in its own scratch copy of the project (.mutation/<name>/), so modules never
share mutmut's state and each is tested only by the tests listed for it. Usage:

    python scripts/mutation.py                 # every module below
    python scripts/mutation.py feed statuspage # some of them

Exits 1 when a module scores under its floor. Not part of `make test`: it takes minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
COPIED = ("bot", "integrations", "fakes", "tests", "scripts")


@dataclass(frozen=True)
class Target:
    module: str
    tests: tuple[str, ...]
    floor: float  # the killed share a module must reach, in percent


TARGETS: dict[str, Target] = {
    "machine": Target(
        "bot/machine.py",
        ("tests/test_machine.py", "tests/test_machine_properties.py"),
        90.0,
    ),
    "feed": Target(
        "integrations/sources/feed.py",
        ("tests/test_feed_parse.py",),
        90.0,
    ),
    "statuspage": Target(
        "integrations/sources/statuspage.py",
        ("tests/test_statuspage_parse.py",),
        90.0,
    ),
    # SQLite only: the PostgreSQL variants double the time and exercise the same worker code.
    "outbox": Target(
        "bot/outbox.py",
        ("tests/test_outbox.py", "tests/test_outbox_rules.py", "-k", "not postgresql"),
        85.0,
    ),
    "gcp": Target("integrations/sources/gcp.py", ("tests/test_gcp_parse.py",), 90.0),
    "betterstack": Target(
        "integrations/sources/betterstack.py", ("tests/test_betterstack_parse.py",), 90.0
    ),
    "instatus": Target("integrations/sources/instatus.py", ("tests/test_instatus_parse.py",), 90.0),
    "incidentio": Target(
        "integrations/sources/incidentio.py",
        # check-source is where a summary is told to be incident.io's.
        ("tests/test_incidentio_components.py", "tests/test_check_source.py"),
        90.0,
    ),
}


def mutmut_config(target: Target) -> str:
    """The [tool.mutmut] table for one module (TOML written by hand: no writer in the stdlib)."""

    def toml_list(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        f"source_paths = {toml_list(['bot', 'integrations'])}\n"
        f"only_mutate = {toml_list([target.module])}\n"
        f"also_copy = {toml_list(['fakes', 'scripts'])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(target.tests)}\n"
        "pytest_add_cli_args = ['-p', 'no:cacheprovider']\n"
        "use_git_change_detection = false\n"
    )


def prepare(name: str, target: Target) -> Path:
    workdir = WORK / name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mutation", "mutants")
    for folder in COPIED:
        shutil.copytree(ROOT / folder, workdir / folder, ignore=ignore)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "mutmut" in tomllib.loads(pyproject).get("tool", {}):
        raise SystemExit("pyproject.toml has a [tool.mutmut]; this script writes one per module")
    (workdir / "pyproject.toml").write_text(pyproject + mutmut_config(target), encoding="utf-8")
    return workdir


def run(name: str, target: Target) -> dict[str, int]:
    workdir = prepare(name, target)
    mutmut = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, PYTHONPATH="")
    print(f"== {name}: mutmut on {target.module} with {', '.join(target.tests)}", flush=True)
    subprocess.run([str(mutmut), "run"], cwd=workdir, env=env, check=False)
    subprocess.run([str(mutmut), "export-cicd-stats"], cwd=workdir, env=env, check=True)
    stats = json.loads((workdir / "mutants" / "mutmut-cicd-stats.json").read_text("utf-8"))
    survivors = subprocess.run(
        [str(mutmut), "results"], cwd=workdir, env=env, capture_output=True, text=True, check=True
    ).stdout
    (workdir / "survivors.txt").write_text(survivors, encoding="utf-8")
    return {key: int(value) for key, value in stats.items() if isinstance(value, int)}


def score(stats: dict[str, int]) -> float:
    tested = stats.get("total", 0) - stats.get("skipped", 0)
    caught = stats.get("killed", 0) + stats.get("timeout", 0) + stats.get("caught_by_type_check", 0)
    return 100.0 * caught / tested if tested > 0 else 0.0


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print(f"unknown module(s) {unknown}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    results = {name: run(name, TARGETS[name]) for name in names or list(TARGETS)}
    failed = False
    print("\nmodule        killed  survived  total  score  floor")
    for name, stats in results.items():
        floor = TARGETS[name].floor
        failed |= score(stats) < floor
        print(
            f"{name:<12} {stats.get('killed', 0):>7} {stats.get('survived', 0):>9}"
            f" {stats.get('total', 0):>6} {score(stats):>5.1f}% {floor:>5.0f}%"
        )
    print(f"\nsurvivors of each module: {WORK}/<module>/survivors.txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
