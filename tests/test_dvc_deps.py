"""dvc.yaml's deps cover every project module each stage runs, so a code change always re-runs it."""
from __future__ import annotations

import copy

import yaml

from tests.helpers.imports import closure, stage_module, uncovered
from tests.helpers.project import REPO


def stages() -> dict:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def test_every_stage_depends_on_the_code_it_imports():
    problems = uncovered(REPO, stages())
    assert not problems, "dvc.yaml deps miss code the stage imports:\n" + "\n".join(
        f"  stage {name}: {', '.join(files)}" for name, files in problems.items())


def test_a_removed_dep_is_named_with_its_stage():
    changed = copy.deepcopy(stages())
    changed["train"]["deps"].remove("pipeline/common")
    problems = uncovered(REPO, changed)
    assert list(problems) == ["train"]
    assert "pipeline/common/params.py" in problems["train"]


def test_imports_are_followed_inside_functions_and_through_packages():
    files = {p.as_posix() for p in closure(REPO, "pipeline.triggerword.train")}
    assert "models/triggerword/lecture.py" in files   # imported by the stage itself
    assert "pipeline/common/io.py" in files            # imported lazily, inside a function
    assert "pipeline/__init__.py" in files            # a parent package runs first


def test_every_stage_runs_a_project_module():
    for name, stage in stages().items():
        module = stage_module(stage.get("do", stage)["cmd"])
        assert module.startswith("pipeline."), f"stage {name}: {module}"
