"""The Zero to JupyterHub values: they parse, pin what the requirement files pin, and set up
the course as the one-machine hub does. No image or cluster can be built here."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hubkit import DEPLOY, REPO, load_hub_config, pins

Z2JH = REPO / "deploy" / "z2jh"
COURSE = "devops-interview-lab"
# The chart's top-level keys (Zero to JupyterHub 4.x values schema) this file may use.
CHART_KEYS = {
    "custom",
    "hub",
    "proxy",
    "singleuser",
    "scheduling",
    "prePuller",
    "ingress",
    "cull",
    "debug",
    "rbac",
    "fullnameOverride",
    "nameOverride",
    "imagePullSecret",
    "imagePullSecrets",
    "global",
    "httpRoute",
}
BYTES = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}  # KubeSpawner's suffixes


def values() -> dict:
    return yaml.safe_load((Z2JH / "values.yaml").read_text())


def kubespawner_bytes(text: str) -> float:
    number, suffix = re.fullmatch(r"([0-9.]+)([KMGT])", str(text)).groups()
    return float(number) * BYTES[suffix]


def test_values_parse_with_chart_keys_only():
    data = values()
    assert set(data) <= CHART_KEYS, set(data) - CHART_KEYS
    assert data["custom"]["course"] == COURSE
    compile(data["hub"]["extraConfig"]["interview-lab"], "extraConfig", "exec")  # valid Python


def test_image_tag_names_the_pins_of_the_requirement_files():
    course, hub = pins(REPO / "requirements.txt"), pins(DEPLOY / "requirements.txt")
    image = values()["singleuser"]["image"]
    assert (
        image["tag"]
        == f"lab-{course['jupyterlab']}-nbgrader-{course['nbgrader']}-hub-{hub['jupyterhub']}"
    )
    tagged = f"{image['name']}:{image['tag']}"
    manifests = list(yaml.safe_load_all((Z2JH / "formgrader.yaml").read_text()))
    pod = next(m for m in manifests if m["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert {c["image"] for c in pod["containers"] + pod["initContainers"]} == {tagged}
    assert tagged.split(":")[1] in (Z2JH / "Dockerfile").read_text()  # the build command's tag


def test_dockerfile_installs_from_the_requirement_files():
    text = (Z2JH / "Dockerfile").read_text()
    assert "COPY requirements.txt " in text and "COPY deploy/jupyterhub/requirements.txt " in text
    assert re.search(
        r"pip\" install --no-cache-dir -r \S+requirements.txt -r \S+requirements.txt", text
    )
    base = re.search(r"^FROM python:(\d+)\.(\d+)", text, re.MULTILINE).groups()
    required = re.search(
        r'requires-python = ">=(\d+)\.(\d+)"', (REPO / "pyproject.toml").read_text()
    ).groups()
    assert tuple(map(int, base)) >= tuple(map(int, required))


def test_chart_runs_the_jupyterhub_series_the_image_pins():
    script = (Z2JH / "install.sh").read_text()
    chart_hub = re.search(r"^CHART_JUPYTERHUB=(\S+)$", script, re.MULTILINE).group(1)
    assert re.search(r"^CHART_VERSION=\d+\.\d+\.\d+$", script, re.MULTILINE)
    pinned = pins(DEPLOY / "requirements.txt")["jupyterhub"]
    assert chart_hub.split(".")[:2] == pinned.split(".")[:2], (chart_hub, pinned)


def test_same_groups_roles_and_services_as_the_machine_hub(monkeypatch, tmp_path):
    machine = load_hub_config(monkeypatch, tmp_path)
    hub = values()["hub"]
    machine_roles = {r["name"]: r for r in machine.JupyterHub.load_roles}
    for name, role in hub["loadRoles"].items():
        assert set(role["scopes"]) == set(machine_roles[name]["scopes"]), name
        assert role.get("groups", []) == machine_roles[name].get("groups", [])
        assert role.get("services", []) == machine_roles[name].get("services", [])
    assert {
        f"formgrade-{COURSE}",
        f"nbgrader-{COURSE}",
        "instructor",
        f"formgrader-{COURSE}",
    } <= set(hub["loadRoles"])
    assert set(hub["config"]["JupyterHub"]["load_groups"]) == set(machine.JupyterHub.load_groups)
    assert hub["config"]["Spawner"]["server_token_scopes"] == list(
        machine.Spawner.server_token_scopes
    )
    assert list(hub["services"]) == [COURSE]  # the formgrader service is named after the course
    volume = values()["singleuser"]["storage"]["extraVolumeMounts"][0]
    assert volume["mountPath"] == values()["singleuser"]["extraEnv"]["INTERVIEW_LAB_EXCHANGE"]


def test_requests_cover_the_measured_learner():
    text = (Z2JH / "values.yaml").read_text()
    typical = float(re.search(r"typical learner: .*RSS (\d+) MB", text).group(1)) * 1e6
    heavy = float(re.search(r"heavy learner: .*RSS (\d+) MB", text).group(1)) * 1e6
    memory = values()["singleuser"]["memory"]
    assert kubespawner_bytes(memory["guarantee"]) >= typical
    assert kubespawner_bytes(memory["limit"]) >= heavy
    # The note's node count: learners per node by memory, nodes for 300.
    per_node = int(29 * 2**30 // kubespawner_bytes(memory["guarantee"]))
    assert f"= {per_node} learners by memory" in text
    assert f"ceil(300 / {per_node}) = {-(-300 // per_node)} user nodes" in text


def test_learner_pods_start_through_the_same_start_script():
    single = values()["singleuser"]
    assert single["cmd"] == "/opt/interview-lab/bin/start-as-user"
    script = (Z2JH / "start-as-user.sh").read_text()
    assert "/opt/interview-lab/bin/interview-lab-singleuser" in script
    assert Path(DEPLOY / "singleuser.sh").is_file()
