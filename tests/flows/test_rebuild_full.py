"""`flows.rebuild` over the fully built small project: every stage of the default pipeline is skipped."""

from __future__ import annotations

import sys

import pytest

from tests.helpers.flow_fixtures import clone, flow_run_id, outcomes, prefect_client, prefect_env, run_env

PY = sys.executable


@pytest.mark.slow
def test_rebuilding_the_built_full_pipeline_skips_every_stage(small_project, server, prefect_home, tmp_path):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    root = clone(small_project, tmp_path / "full")
    out = run_env([PY, "-m", "flows.rebuild"], root, prefect_env(prefect_home, server)).stdout
    from flows import dvc

    assert outcomes(out) == dict.fromkeys(dvc.stages(root), "skipped"), out
    assert {"collect", "train", "evaluate", "error_analysis", "style_gallery"} <= set(outcomes(out))
    with prefect_client(server, prefect_home) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id(out)]))
        )
    link = next(a for a in artifacts if a.key == "error-analysis-report")
    assert (root / "reports/error_analysis/index.html").resolve().as_uri() in link.data
