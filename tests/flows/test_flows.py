"""The Prefect flows over the DVC pipeline: same outputs as `dvc repro`, skips, UI, schedule, Dask, experiments.

A tiny committed project built up to `validate` (no training); the fully built `small_project` is rebuilt in
test_rebuild_full.py. A local Prefect server is started once for the module and always stopped.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers.flow_fixtures import background, clone, flow_run_id, outcomes, prefect_client, prefect_env, run_env
from tests.helpers.project import copy_project, run, small_params

PY = sys.executable
TINY = {
    "synthesise": {"examples": {"train": 120, "dev": 40, "test": 40}, "shard_size": 50},  # 5 shards
    "validate": {"rendered_sample": 8, "positive_share": [0.3, 0.98]},
}  # few examples: looser balance
FIRST = ["collect", "audit", "synthesise", "validate"]
ALL = FIRST + ["train", "evaluate", "error_analysis", "style_gallery"]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """The project with tiny params, no outputs, committed (experiments and metric deltas need a HEAD)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (./setup.sh installs it)")
    root = copy_project(tmp_path_factory.mktemp("tiny"))
    for stale in ("dvc.lock", "reports", "models/trained/trigger_word"):  # outputs copied from the working tree
        shutil.rmtree(root / stale, ignore_errors=True) if (root / stale).is_dir() else (root / stale).unlink(True)
    (root / "params.yaml").write_text(small_params(TINY))
    run(["git", "add", "-A"], cwd=root)
    run(["git", "commit", "-qm", "tiny baseline"], cwd=root)
    return root


@pytest.fixture(scope="module")
def reference(tiny_base, tmp_path_factory) -> Path:
    root = clone(tiny_base, tmp_path_factory.mktemp("ref") / "p")
    run(["dvc", "repro", "validate"], cwd=root)
    return root


@pytest.fixture(scope="module")
def tiny(tiny_base, tmp_path_factory) -> tuple[Path, str]:
    """Built by `python -m flows.rebuild --target validate` with an ephemeral Prefect backend (its own
    PREFECT_HOME: the temporary server must not share a database with the module's server)."""
    root = clone(tiny_base, tmp_path_factory.mktemp("flow") / "p")
    env = prefect_env(tmp_path_factory.mktemp("prefect-ephemeral"))
    out = run_env([PY, "-m", "flows.rebuild", "--target", "validate"], root, env).stdout
    return root, out


def lock(root: Path) -> dict:
    return yaml.safe_load((root / "dvc.lock").read_text())["stages"]


def test_stage_order_comes_from_dvc_dag(tiny_base):
    from flows import dvc

    order = dvc.stages(tiny_base)
    listed = run(["dvc", "stage", "list", "--name-only"], cwd=tiny_base).stdout.split()
    assert sorted(order) == sorted(listed) and set(ALL) <= set(order)
    for before, after in [
        ("collect", "audit"),
        ("audit", "synthesise"),
        ("synthesise", "validate"),
        ("validate", "train"),
        ("train", "evaluate"),
        ("evaluate", "error_analysis"),
    ]:
        assert order.index(before) < order.index(after), order  # every stage after what it depends on
    assert dvc.stages(tiny_base, "validate") == FIRST


def test_flow_parameters_map_onto_dvc_exp_overrides():
    from flows.rebuild import experiment_overrides

    assert experiment_overrides(None, None, None) == []
    assert experiment_overrides({"seed": "7"}, 2000, 3) == [
        "seed=7",
        "synthesise.examples.train=2000",
        "train.profiles.cpu.epochs=3",
        "train.profiles.cuda.epochs=3",
        "train.head.epochs=3",
    ]


def test_rebuild_produces_what_dvc_repro_produces(tiny, reference):
    root, out = tiny
    assert outcomes(out) == dict.fromkeys(FIRST, "ran"), out
    assert lock(root) == lock(reference)  # every dep and out hash, params included
    for name in ("recipes.parquet", "clip_splits.parquet"):
        assert (root / "data/synth" / name).read_bytes() == (reference / "data/synth" / name).read_bytes()
    assert json.loads(run(["dvc", "status", "--json", "validate", "--with-deps"], cwd=root).stdout) == {}


def test_a_second_rebuild_skips_every_stage_and_shows_in_the_ui(tiny, server, prefect_home):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

    root, _ = tiny
    out = run_env([PY, "-m", "flows.rebuild", "--target", "validate"], root, prefect_env(prefect_home, server)).stdout
    assert outcomes(out) == dict.fromkeys(FIRST, "skipped"), out
    run_id = flow_run_id(out)
    with prefect_client(server, prefect_home) as client:
        flow_run = client.read_flow_run(run_id)
        assert flow_run.state.is_completed()
        assert run_id in {r.id for r in client.read_flow_runs()}
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
        assert {t.name: t.state.name for t in tasks} == dict.fromkeys(FIRST, "Skipped")
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    by_key = {a.key: a for a in artifacts}
    for stage in FIRST:
        assert by_key[f"{stage}-summary"].type == "markdown"
        assert "up to date" in by_key[f"{stage}-summary"].data
        assert by_key[f"{stage}-metrics"].type == "table"
    rows = json.loads(by_key["synthesise-metrics"].data)
    train_examples = next(r for r in rows if r["metric"] == "train.examples")
    assert train_examples["value"] == 120 and train_examples["HEAD"] is None  # new since the baseline commit
    assert (root / "reports/validation/index.html").resolve().as_uri() in by_key["validate-report"].data


def test_a_forced_stage_runs_and_its_unchanged_dependants_are_checked_then_skipped(tiny, server, prefect_home):
    root, _ = tiny
    cmd = [PY, "-m", "flows.rebuild", "--target", "validate", "--force", FIRST[0]]
    out = run_env(cmd, root, prefect_env(prefect_home, server)).stdout
    # one dvc status up front found nothing stale; the forced stage ran, and DVC then found that what it
    # wrote is what its dependants already read, so each of them was asked again and skipped
    assert outcomes(out) == {FIRST[0]: "ran", **dict.fromkeys(FIRST[1:], "skipped")}, out


def test_set_params_runs_a_tracked_dvc_experiment(tiny, server, prefect_home, tmp_path):
    root = clone(tiny[0], tmp_path / "exp")
    out = run_env(
        [
            PY,
            "-m",
            "flows.rebuild",
            "--target",
            "validate",
            "--set",
            "synthesise.examples.train=80",
            "--name",
            "tiny-exp",
        ],
        root,
        prefect_env(prefect_home, server),
    ).stdout
    assert outcomes(out) == {"collect": "skipped", "audit": "skipped", "synthesise": "ran", "validate": "ran"}, out
    shown = json.loads(run(["dvc", "exp", "show", "--json"], cwd=root).stdout)
    experiments = {exp["name"]: exp for base in shown for exp in base.get("experiments") or []}
    data = experiments["tiny-exp"]["revs"][0]["data"]
    assert data["params"]["params.yaml"]["data"]["synthesise"]["examples"]["train"] == 80
    assert data["metrics"]["reports/metrics/synthesise.json"]["data"]["train"]["examples"] == 80


def test_the_nightly_deployment_is_scheduled(tiny, server, prefect_home, tmp_path):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    env = prefect_env(prefect_home, server)
    with (
        background([PY, "-m", "flows.serve", "--project-dir", str(tiny[0])], tiny[0], env, tmp_path / "serve.log"),
        prefect_client(server, prefect_home) as client,
    ):
        deployment, runs = None, []
        for _ in range(120):
            try:
                deployment = deployment or client.read_deployment_by_name("rebuild/nightly")
                runs = client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
                )
            except Exception:  # not registered yet
                pass
            if runs:
                break
            time.sleep(0.5)
    assert deployment is not None, (tmp_path / "serve.log").read_text()
    assert [s.schedule.cron for s in deployment.schedules] == ["0 2 * * *"]
    assert deployment.parameters == {"project_dir": str(tiny[0]), "force": ["collect"]}
    assert runs and all(r.state.is_scheduled() for r in runs)


def test_dask_sharded_synthesis_is_byte_identical(tiny, server, prefect_home, tmp_path):
    root = clone(tiny[0], tmp_path / "dask")
    synth = root / "data/synth"
    before = {p.name: p.read_bytes() for p in [*synth.iterdir(), root / "reports/metrics/synthesise.json"]}
    shutil.rmtree(synth)
    done = run_env([PY, "-m", "flows.synthesise_dask", "--workers", "2"], root, prefect_env(prefect_home, server))
    assert "drawing 5 shards" in done.stdout + done.stderr
    after = {p.name: p.read_bytes() for p in [*synth.iterdir(), root / "reports/metrics/synthesise.json"]}
    assert after == before
    assert json.loads(run(["dvc", "status", "--json", "synthesise"], cwd=root).stdout) == {}


def test_data_outputs_round_trip_through_the_dvc_remote(tiny, tmp_path):
    root = clone(tiny[0], tmp_path / "remote")
    assert run(["dvc", "remote", "default"], cwd=root).stdout.strip() == "local"
    run(["dvc", "remote", "modify", "--local", "local", "url", str(tmp_path / "store")], cwd=root)
    recipes = (root / "data/synth/recipes.parquet").read_bytes()
    run(["dvc", "push"], cwd=root)
    shutil.rmtree(root / "data/synth")
    shutil.rmtree(root / ".dvc/cache")
    run(["dvc", "pull", "synthesise"], cwd=root)
    assert (root / "data/synth/recipes.parquet").read_bytes() == recipes
