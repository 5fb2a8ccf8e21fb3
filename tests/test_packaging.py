"""What can be checked of the packaging without a Docker engine or a fresh machine."""

from __future__ import annotations

import re
import tomllib

from tests.botproc import ROOT


def test_dockerfile_is_slim_non_root_and_runs_the_bot() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in text
    assert 'CMD ["run"]' in text
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:8]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec make test" in ci


def test_dependencies_have_lower_bounds_and_the_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        assert ">=" in requirement, requirement
    assert "apscheduler>=3.11,<4" in project["dependencies"]
    assert project["scripts"]["statusbot"] == "bot.cli:main"


def test_the_installed_package_leaves_out_the_fakes_and_needs_none_of_them() -> None:
    from setuptools import find_packages

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    packages = find_packages(str(ROOT), include=setup["setuptools"]["packages"]["find"]["include"])
    assert "bot" in packages
    assert "integrations.sources" in packages
    assert not [p for p in packages if p.split(".")[0] in ("fakes", "tests", "bench")]
    for folder in ("bot", "integrations"):
        for module in (ROOT / folder).rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            # Only the demo uses the fakes, inside its functions (it runs from a checkout).
            pattern = (
                r"^(from|import) (fakes|tests|bench)\b"
                if module.name == "demo.py"
                else (r"^\s*(from|import) (fakes|tests|bench)\b")
            )
            assert not re.search(pattern, text, re.M), module


def test_the_demo_from_an_installed_package_says_it_needs_a_checkout() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['fakes'] = None; from bot.cli import main; "
        "sys.exit(main(['demo', '--step', '1']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert "make demo" in out.stderr
    assert "Traceback" not in out.stderr


def test_postgres_driver_is_an_extra_that_the_dev_install_includes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [r for r in project["dependencies"] if r.startswith("asyncpg")]
    extras = project["optional-dependencies"]
    assert any(r.startswith("asyncpg>=") for r in extras["postgres"])
    assert any(r.startswith("asyncpg>=") for r in extras["dev"])


def test_importing_the_config_loads_no_chat_library() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, bot.config; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'slack_sdk', 'slack_bolt', "
        "'discord', 'aiohttp'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_core_has_no_chat_platform_imports() -> None:
    for module in (ROOT / "bot").rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (slack_bolt|slack_sdk|discord)\b", text, re.M), (
            module
        )
