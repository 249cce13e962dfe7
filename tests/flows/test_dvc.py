"""The flows read stage declarations as DVC names the stages, in either pipeline file."""

from __future__ import annotations

from flows import dvc
from tests.helpers.project import REPO


def test_a_stage_of_the_default_pipeline_and_one_instance_of_a_foreach_stage():
    assert dvc.metric_files(REPO, "train") == ["reports/metrics/train.json"]
    assert dvc.outs(REPO, "daynight_resolution@16") == ["reports/daynight/resolution/16.json"]


def test_a_stage_of_the_studies_pipeline_is_named_with_its_file():
    assert dvc.metric_files(REPO, "studies/dvc.yaml:ablate") == ["reports/metrics/ablate.json"]
    assert dvc.outs(REPO, "studies/dvc.yaml:audio_rate@8000") == ["reports/audio_rate/rate/8000.json"]


def test_the_flow_considers_the_default_pipeline_only():
    order, needs = dvc.graph(REPO)
    assert "train" in order and not any(stage.startswith("studies/") for stage in order)
    assert order.index("embed") < order.index("train") and "embed" in needs["mine"]
