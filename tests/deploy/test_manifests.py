"""The Kubernetes manifests (deploy/kubernetes/): valid against Kubernetes' own schemas
(kubernetes-validate, strict, offline), and held to the code and the image, so they cannot
drift: the probes name routes the server has, on the port the image listens on; the security
context runs the image's user on a read-only root with the image's volumes writable; the
settings parse; the grace period outlasts the drain those settings make; the memory request
covers the measured peak of the slots it asks for and the limit the worst case of the loaded
engines."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.app import create_app
from server.serving.drain import NOTICE_S
from server.settings import DEFAULT_TEMPLATES_DIR, Settings, env_name

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "deploy" / "kubernetes"
CONTAINERFILE = REPO / "Containerfile"
KUBERNETES_VALIDATE = Path(sys.executable).parent / "kubernetes-validate"
# Kinds kubernetes-validate has no schema for: kustomize's own file, and the Prometheus
# operator's resource (an example, not in kustomization.yaml).
NOT_KUBERNETES = {"kustomization.yaml", "servicemonitor.yaml"}
# The oldest Kubernetes still supported upstream when this was written, and the newest known.
VERSIONS = ("1.33.0", "1.37.0")
# Measured with `python -m deploy.image.memory` (README, Run on Kubernetes), the loaded engines
# on, every template on both paths: the server idle (the fast path's three zygotes included);
# one Unicode path zygote (one per template, started on first use); one slot at its peak, on
# the Unicode path (XeLaTeX afresh with the CJK fonts loaded: a render whose zygote is still
# starting); and the whole pod's peak, two slots. The larger of the image's and a host's.
IDLE_MIB = 153
UNICODE_ZYGOTE_MIB = 167
SLOT_MIB = 182
PEAK_MIB = 828


def load(name: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((MANIFESTS / name).read_text())
    return found


def image_env() -> dict[str, str]:
    """The TEXRENDER_* defaults the Containerfile's ENV sets."""
    return dict(re.findall(r"\b(TEXRENDER_[A-Z_]+)=(\S+)", CONTAINERFILE.read_text()))


def image_user() -> int:
    found = re.search(r"^USER (\d+):(\d+)$", CONTAINERFILE.read_text(), re.MULTILINE)
    assert found, "the Containerfile sets no numeric USER"
    return int(found.group(1))


def pod_settings() -> Settings:
    """The settings a pod runs with: the image's, then the ConfigMap's and the Secret's."""
    env = image_env() | load("configmap.yaml")["data"] | load("secret.yaml")["stringData"]
    return Settings.from_env(env)


def container() -> dict[str, Any]:
    (found,) = load("deployment.yaml")["spec"]["template"]["spec"]["containers"]
    assert isinstance(found, dict)
    return found


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    number, unit = re.fullmatch(r"(\d+)([KMG]i)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * units[unit]


def validate(paths: list[Path], version: str) -> subprocess.CompletedProcess[str]:
    argv = [str(KUBERNETES_VALIDATE), "--strict", "--kubernetes-version", version]
    return subprocess.run([*argv, *map(str, paths)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_kubernetes(version: str) -> None:
    resources = sorted(p for p in MANIFESTS.glob("*.yaml") if p.name not in NOT_KUBERNETES)
    result = validate(resources, version)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.findall(r"^INFO (\S+) passed", result.stdout, re.MULTILINE)
    assert sorted(passed) == [str(p) for p in resources], result.stdout  # none skipped


def test_kustomization_lists_every_resource() -> None:
    listed = set(load("kustomization.yaml")["resources"])
    assert listed == {p.name for p in MANIFESTS.glob("*.yaml")} - NOT_KUBERNETES


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (for kustomize) is missing")
def test_the_kustomization_builds_valid_kubernetes(tmp_path: Path) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(MANIFESTS)], capture_output=True, text=True, check=True
    ).stdout
    (tmp_path / "built.yaml").write_text(built)
    result = validate([tmp_path / "built.yaml"], VERSIONS[-1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "image: registry.example.com/texrender:0.1.0" in built


def test_the_probes_name_routes_the_server_has_on_the_port_it_listens_on() -> None:
    app = create_app(Settings())
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    probes = {
        kind: container()[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in probes.values():
        assert probe["httpGet"]["path"] in routes
        assert probe["httpGet"]["port"] == "http"
    (port,) = container()["ports"]
    assert port["name"] == "http"
    (bind,) = pod_settings().bind
    assert bind == f"0.0.0.0:{port['containerPort']}"
    service = load("service.yaml")["spec"]["ports"][0]
    assert service["targetPort"] == "http"


def test_the_pod_runs_the_images_user_on_a_read_only_root() -> None:
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == image_user()
    assert pod["securityContext"]["runAsGroup"] == image_user()
    assert pod["automountServiceAccountToken"] is False
    context = container()["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    # Every folder the image writes to is a volume of the pod's: the image's VOLUMEs.
    declared = re.search(r"^VOLUME (\[.*\])$", CONTAINERFILE.read_text(), re.MULTILINE)
    assert declared
    mounted = {mount["mountPath"] for mount in container()["volumeMounts"]}
    assert set(yaml.safe_load(declared.group(1))) == mounted
    settings = pod_settings()
    assert str(settings.documents_dir()) in mounted
    assert str(settings.work_dir) in mounted
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert all("emptyDir" in volumes[m["name"]] for m in container()["volumeMounts"])


def test_the_settings_parse_and_are_every_ones_setting() -> None:
    names = {env_name(name) for name in Settings.__dataclass_fields__}
    config = load("configmap.yaml")["data"]
    secret = load("secret.yaml")["stringData"]
    assert set(config) | set(secret) <= names
    assert set(secret) == {"TEXRENDER_DATABASE_URL", "TEXRENDER_CACHE_URL"}
    settings = pod_settings()  # raises on a value texrender would refuse at start-up
    assert settings.database_url is not None
    assert settings.cache_url is not None
    assert settings.workers == 1


def test_the_grace_period_outlasts_the_drain() -> None:
    settings = pod_settings()
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    drain = settings.drain_delay_s + NOTICE_S + settings.graceful_timeout_s
    assert pod["terminationGracePeriodSeconds"] > drain
    # A render that has started when SIGTERM comes can finish within the drain.
    assert settings.graceful_timeout_s >= settings.render_timeout_s
    # The drain delay keeps serving while the pod leaves the endpoints: no preStop sleep.
    assert settings.drain_delay_s > 0
    assert "lifecycle" not in container()


def test_the_slots_and_the_memory_match_the_resources() -> None:
    settings = pod_settings()
    resources = container()["resources"]
    assert settings.render_slots == int(resources["requests"]["cpu"])
    cache = settings.cache_bytes / 2**20
    assert settings.zygotes  # the sizes below are the loaded engines'
    assert mebibytes(resources["requests"]["memory"]) >= PEAK_MIB + cache
    # The worst case: every template's Unicode zygote, and every slot running XeLaTeX afresh.
    templates = [p for p in DEFAULT_TEMPLATES_DIR.iterdir() if (p / "template.toml").is_file()]
    worst = IDLE_MIB + len(templates) * UNICODE_ZYGOTE_MIB + settings.render_slots * SLOT_MIB
    assert mebibytes(resources["limits"]["memory"]) > worst + cache
    assert mebibytes(resources["limits"]["memory"]) > mebibytes(resources["requests"]["memory"])
    assert "cpu" not in resources["limits"]


def test_the_autoscaler_budget_and_service_reach_the_pods() -> None:
    deployment = load("deployment.yaml")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert load("service.yaml")["spec"]["selector"].items() <= labels.items()
    assert load("pdb.yaml")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = load("hpa.yaml")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert load("pdb.yaml")["spec"]["minAvailable"] < load("hpa.yaml")["spec"]["minReplicas"]
    monitor = load("servicemonitor.yaml")["spec"]
    assert monitor["selector"]["matchLabels"].items() <= labels.items()
    assert monitor["endpoints"][0]["port"] == "http"
