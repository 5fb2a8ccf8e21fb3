"""compose.yaml and the Kubernetes manifests describe what tests/test_replicas.py runs:
replicas of `statusbot run` on one PostgreSQL database, the schema migrated once before
them, readiness on /readyz and liveness on /healthz of the health port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import load_config, parse_config
from tests.botproc import ROOT

DEPLOY = ROOT / "deploy"
ENV = {"POSTGRES_PASSWORD": "secret-pw-1", "POSTGRES_HOST": "db.internal"}
HEALTH_PORT = 8080  # the Dockerfile's STATUSBOT_HEALTH=0.0.0.0:8080


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _manifest(kind: str) -> dict[str, Any]:
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        doc = _load(path)
        if doc.get("kind") == kind:
            return dict(doc)
    raise AssertionError(f"no {kind} in deploy/kubernetes")


def test_the_replicas_config_is_valid_and_shares_postgresql() -> None:
    config = load_config(DEPLOY / "config.yaml", ENV)
    assert config.store.url == (
        "postgresql+asyncpg://statusbot:secret-pw-1@db.internal:5432/statusbot"
    )
    assert config.store.leader_lease < 60  # a source moves well within two default intervals
    # The ConfigMap carries the same config as compose does.
    configmap = _manifest("ConfigMap")
    assert yaml.safe_load(configmap["data"]["config.yaml"]) == _load(DEPLOY / "config.yaml")
    parse_config(yaml.safe_load(configmap["data"]["config.yaml"]), "configmap", ENV)


def test_compose_runs_migrate_once_then_replicas_that_only_check_the_schema() -> None:
    compose = _load(ROOT / "compose.yaml")
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    bot = services["bot"]
    assert bot["command"] == ["run", "--no-migrate"]
    assert bot["deploy"]["replicas"] >= 2
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    mounted = bot["volumes"][0].split(":")
    assert (ROOT / mounted[0]).resolve() == (DEPLOY / "config.yaml").resolve()
    assert bot["environment"]["STATUSBOT_CONFIG"] == mounted[1]


def test_the_deployment_probes_the_health_server_and_rolls_without_a_gap() -> None:
    deployment = _manifest("Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    assert pod["initContainers"][0]["args"] == ["migrate"]
    [container] = pod["containers"]
    assert container["args"] == ["run", "--no-migrate"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["health"] == HEALTH_PORT
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    secret = _manifest("Secret")["metadata"]["name"]
    assert container["envFrom"] == [{"secretRef": {"name": secret}}]
    service = _manifest("Service")
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"]
    kustomization = _load(DEPLOY / "kubernetes" / "kustomization.yaml")
    listed = {p.name for p in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == listed


def test_kustomize_renders_the_four_objects() -> None:
    import shutil
    import subprocess

    import pytest

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "kubernetes")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(out))
    assert kinds == ["ConfigMap", "Deployment", "Secret", "Service"]
