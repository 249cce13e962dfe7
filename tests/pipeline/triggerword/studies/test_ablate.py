"""The ablation's arms: each differs from the default in exactly its one choice; effects vs seed noise."""

import pandas as pd
import pytest

from pipeline.common.params import ParamsError, load_params
from pipeline.triggerword.studies.ablate import BASELINE, HEADLINE, VERDICT_ON, arms, summarise, verdict
from tests.helpers.project import full_params


def flat(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_each_arm_differs_from_the_default_in_its_one_choice():
    params = load_params("params.yaml")
    base = flat(params.model_dump())
    found = arms(params)
    assert next(iter(found)) == BASELINE and len(found) == len(params.ablate.arms) + 1
    for name, (key, value, arm) in list(found.items())[1:]:
        changed = {k for k, v in flat(arm.model_dump()).items() if v != base[k]}
        assert changed == {key}, name
        assert flat(arm.model_dump())[key] == value


@pytest.mark.parametrize(
    ("arms_yaml", "message"),
    [
        ("{two: {train.weight_decay: 0.1, train.positive_weight: 1.0}}", "ablate.arms.two: changes 2 params"),
        ("{data: {synthesise.snr_db: [0, 5]}}", "ablate.arms.data: 'synthesise.snr_db' is not a choice of the head"),
    ],
)
def test_an_arm_that_is_not_one_head_choice_is_refused(tmp_path, arms_yaml, message):
    (tmp_path / "params.yaml").write_text(full_params(f"ablate: {{arms: {arms_yaml}}}"))
    with pytest.raises(ParamsError, match=message):
        load_params(tmp_path / "params.yaml")


def test_a_bad_value_is_named_with_its_arm(tmp_path):
    (tmp_path / "params.yaml").write_text(full_params("ablate: {arms: {tiny: {model.embedding.hidden: 0}}}"))
    params = load_params(tmp_path / "params.yaml")
    with pytest.raises(ParamsError, match="ablate.arms.tiny.*model.embedding.hidden"):
        arms(params)


def test_an_effect_is_called_only_beyond_the_seed_spread():
    base = pd.Series([0.30, 0.34])
    assert verdict(pd.Series([0.31, 0.33]), base).startswith("within noise")
    assert verdict(pd.Series([0.10, 0.12]), base).startswith("better (-21.0 points")
    assert verdict(pd.Series([0.60, 0.62]), base).startswith("worse")
    assert verdict(pd.Series([None, None]), base) == "no unseen-engine positives"


def test_the_table_has_mean_and_spread_per_arm():
    runs = pd.DataFrame(
        {
            "arm": [BASELINE, BASELINE, "small", "small"],
            "seed": [0, 1, 0, 1],
            HEADLINE: [0.3, 0.4, 0.1, 0.1],  # lower at its own threshold ...
            VERDICT_ON: [0.5, 0.52, 0.6, 0.61],  # ... but higher at the same false accepts
            "test_frr": [0.2, 0.2, 0.25, 0.35],
            "seconds": [1.0, 1.0, 1.0, 1.0],
        }
    )
    rows = {r["arm"]: r for r in summarise(runs, {BASELINE: "default", "small": "model.embedding.hidden: 32"})}
    assert rows["small"][HEADLINE] == 0.1 and rows["small"]["test_frr_spread"] == 0.1
    assert rows[BASELINE]["verdict"] == "reference" and rows["small"]["verdict"].startswith("worse (+9.5 points")
