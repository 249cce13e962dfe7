"""dvc.yaml's deps cover every project module each stage runs, so a code change always re-runs it."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil

import pytest
import yaml

from tests.helpers.imports import closure, stage_module, uncovered
from tests.helpers.project import REPO, run

PIPELINES = ("dvc.yaml", "studies/dvc.yaml")  # the default pipeline and the studies (their stages run in the root)


def stages() -> dict:
    found = {}
    for pipeline in PIPELINES:
        found |= yaml.safe_load((REPO / pipeline).read_text())["stages"]
    return found


def test_every_stage_depends_on_the_code_it_imports():
    problems = uncovered(REPO, stages())
    assert not problems, "dvc.yaml deps miss code the stage imports:\n" + "\n".join(
        f"  stage {name}: {', '.join(files)}" for name, files in problems.items()
    )


def test_a_removed_dep_is_named_with_its_stage():
    changed = copy.deepcopy(stages())
    changed["train"]["deps"].remove("pipeline/common")
    problems = uncovered(REPO, changed)
    assert list(problems) == ["train"]
    assert "pipeline/common/params/root.py" in problems["train"]


def test_imports_are_followed_inside_functions_and_through_packages():
    files = {p.as_posix() for p in closure(REPO, "pipeline.triggerword.train")}
    assert "models/triggerword/lecture.py" in files  # imported by the stage itself
    assert "pipeline/common/io.py" in files  # imported lazily, inside a function
    assert "pipeline/__init__.py" in files  # a parent package runs first


def test_every_stage_runs_a_project_module():
    for name, stage in stages().items():
        module = stage_module(stage.get("do", stage)["cmd"])
        assert module.startswith("pipeline."), f"stage {name}: {module}"


def changed_stages(root) -> set[str]:
    return set(json.loads(run(["dvc", "status", "--json"], cwd=root).stdout or "{}"))


@contextlib.contextmanager
def edited(path, edit):
    original = path.read_text()
    try:
        path.write_text(edit(original))
        yield
    finally:
        path.write_text(original)


@pytest.mark.slow
def test_a_param_or_code_edit_marks_exactly_the_stages_that_read_it(small_project, tmp_path):
    """What the README promises: DVC re-runs the stages that read the edited param or module, and no others."""
    root = tmp_path / "copy"
    shutil.copytree(small_project, root, symlinks=True)
    before = changed_stages(root)

    def snr(text: str) -> str:
        raw = yaml.safe_load(text)
        raw["synthesise"]["snr_db"] = [1.0, 19.0]
        return yaml.safe_dump(raw, sort_keys=False)

    with edited(root / "params.yaml", snr):
        expected = {"synthesise", "validate", "evaluate", "error_analysis"}
        assert changed_stages(root) == before | expected
    # Deps are per case-study folder: a day/night module re-runs the day/night stages and nothing else.
    with edited(root / "pipeline/daynight/report.py", lambda text: text + "\n# edited\n"):
        assert changed_stages(root) == before | {s for s in stage_names(root) if s.startswith("daynight_")}
    with edited(root / "pipeline/common/io.py", lambda text: text + "\n# edited\n"):
        assert changed_stages(root) == set(stage_names(root))
    assert changed_stages(root) == before


def stage_names(root) -> list[str]:
    """Every stage of both pipelines as DVC names them: foreach instances expanded (ablate, audio_rate@8000), a
    stage of studies/dvc.yaml with its file (studies/dvc.yaml:ablate)."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    names = []
    for pipeline in PIPELINES:
        prefix = "" if pipeline == "dvc.yaml" else f"{pipeline}:"
        for name, stage in yaml.safe_load((root / pipeline).read_text())["stages"].items():
            if "foreach" not in stage:
                names.append(prefix + name)
                continue
            section = params
            for part in stage["foreach"].strip("${}").split("."):
                section = section[part]
            names += [f"{prefix}{name}@{item}" for item in section]
    return names
