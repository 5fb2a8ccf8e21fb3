"""What can be checked of the packaging without a Docker engine: the Dockerfile's shape, the
lock file against pyproject.toml, the metadata. tests/test_install.py replays the install."""

from __future__ import annotations

import fnmatch
import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.botproc import ROOT

LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ; (.+?))? \\$", re.MULTILINE)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def pins(lock_text: str) -> dict[str, list[str]]:
    """Package -> pinned versions (several when markers pick one per Python)."""
    out: dict[str, list[str]] = {}
    for name, version, _marker in PIN.findall(lock_text):
        out.setdefault(canonicalize_name(name), []).append(version)
    return out


def test_dockerfile_is_multi_stage_pinned_slim_non_root_with_a_healthcheck() -> None:
    text = dockerfile()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base.group(1))
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert "COPY --from=build /opt/statusbot /opt/statusbot" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["statusbot"]' in text
    assert 'CMD ["run"]' in text
    assert re.search(r'HEALTHCHECK .*\\\n\s+CMD \["statusbot", "healthcheck"', text)
    # The health server listens on every address of the container, on the exposed port.
    health = re.search(r"STATUSBOT_HEALTH=0\.0\.0\.0:(\d+)", text)
    assert health is not None
    assert re.search(rf"^EXPOSE {health.group(1)}$", text, re.MULTILINE)


def test_dockerfile_installs_locked_dependencies_in_a_layer_before_the_code() -> None:
    lines = dockerfile().splitlines()
    install_deps = lines.index(
        "RUN /opt/statusbot/bin/pip install --require-hashes -r requirements.lock"
    )
    copy_lock = lines.index("COPY requirements.lock ./")
    first_code = min(i for i, line in enumerate(lines) if line.startswith("COPY bot"))
    assert copy_lock < install_deps < first_code
    assert "RUN /opt/statusbot/bin/pip install --no-deps ." in lines[first_code:]


def test_everything_the_dockerfile_copies_is_in_the_build_context() -> None:
    ignored = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if p.strip() and not p.startswith("#")
    ]
    for source in re.findall(r"^COPY (?!--)(\S+(?: \S+)*) \S+$", dockerfile(), re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
            assert not any(fnmatch.fnmatch(path, pattern) for pattern in ignored), path


def test_lock_pins_every_dependency_with_hashes_within_pyproject_ranges() -> None:
    # The image's lock has the postgres extra; the developers' has the test tools too.
    for lock, extras in ((LOCK, ("postgres",)), (DEV_LOCK, ("postgres", "dev"))):
        text = lock.read_text(encoding="utf-8")
        pinned = pins(text)
        requirements = list(project()["dependencies"])
        for extra in extras:
            requirements += project()["optional-dependencies"][extra]
        for line in requirements:
            requirement = Requirement(line)
            versions = pinned.get(canonicalize_name(requirement.name))
            assert versions, f"{lock.name} does not pin {requirement.name}"
            for version in versions:
                assert requirement.specifier.contains(version), (lock.name, line, version)
        # Every pin carries its hashes, so that `pip install --require-hashes` accepts it.
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        for block in blocks:
            if block.strip() and not block.lstrip().startswith("#"):
                assert "--hash=sha256:" in block, block.splitlines()[0]


def test_dev_lock_pins_the_same_runtime_versions_as_the_image() -> None:
    runtime, dev = pins(LOCK.read_text("utf-8")), pins(DEV_LOCK.read_text("utf-8"))
    for name, versions in runtime.items():
        assert dev.get(name) == versions, name


def test_make_install_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:8]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec make test" in ci


def test_dependencies_have_lower_bounds_and_upper_bounds_on_breaking_majors() -> None:
    dependencies = {Requirement(r).name.lower(): Requirement(r) for r in project()["dependencies"]}
    for requirement in dependencies.values():
        assert any(s.operator == ">=" for s in requirement.specifier), requirement
    for name, first_breaking in {
        "discord.py": "3",
        "pydantic": "3",
        "sqlalchemy": "3",
        "aiohttp": "4",
        "httpx": "1",
        "apscheduler": "4",
    }.items():
        specifier = dependencies[name].specifier
        assert not specifier.contains(first_breaking), name
        assert any(s.operator == "<" and s.version == first_breaking for s in specifier), name


def test_package_metadata_has_license_classifiers_urls_and_the_console_script() -> None:
    meta = project()
    assert meta["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "Programming Language :: Python :: 3.11" in meta["classifiers"]
    assert set(meta["urls"]) >= {"Homepage", "Source", "Issues", "Documentation"}
    assert meta["scripts"]["statusbot"] == "bot.cli:main"


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
