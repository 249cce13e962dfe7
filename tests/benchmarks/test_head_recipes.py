"""benchmarks/head_recipes.py: a recipe is the default params with its KEY=VALUE changes, each validated."""

import pytest

from pipeline.common.params import load_params
from tests.helpers.project import REPO, benchmark


def test_a_recipe_changes_exactly_its_keys_with_yaml_values():
    base = load_params(REPO / "params.yaml")
    params = benchmark("head_recipes").recipe_params(base, ["train.head.input_noise=0.5", "mine.rounds=0"], "r")
    assert params.train.head.input_noise == 0.5 and params.mine.rounds == 0
    assert params.train.head.weight_decay == base.train.head.weight_decay and params.seed == base.seed


def test_the_previous_default_differs_from_the_default():
    module, base = benchmark("head_recipes"), load_params(REPO / "params.yaml")
    previous = module.recipe_params(base, module.PREVIOUS_DEFAULT, "previous_default")
    assert (previous.train.head.input_noise, previous.train.head.weight_decay) == (0.0, 0.0001)
    assert previous.train.head != base.train.head


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("train.head.input_noise", "is not KEY=VALUE"),
        ("train.head.noise=1", "no such param"),
        ("train.head.input_noise=-1", "train.head.input_noise"),
    ],
)
def test_a_bad_change_is_one_error_naming_the_recipe(change, message):
    with pytest.raises(SystemExit, match="--recipe r") as raised:
        benchmark("head_recipes").recipe_params(load_params(REPO / "params.yaml"), [change], "r")
    assert message in str(raised.value)
