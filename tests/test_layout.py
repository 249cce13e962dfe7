"""The layers and case studies import only what the architecture allows (read from source with ast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.imports import imported_modules
from tests.helpers.project import REPO

LAYERS = ("synth", "models", "pipeline")
CASES = ("triggerword", "daynight", "identity", "style", "labelling")
FORBIDDEN_LAYERS = {"synth": ("pipeline", "models", "flows"), "models": ("pipeline", "flows"), "pipeline": ("flows",)}


def modules(layer: str) -> list[Path]:
    return sorted(p for p in (REPO / layer).rglob("*.py") if "__pycache__" not in p.parts)


def case_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in CASES else None


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    bad = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in modules(layer)
        for name in imported_modules(REPO, path)
        if name.split(".")[0] in FORBIDDEN_LAYERS[layer]
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_case_study_imports_another(layer):
    bad = []
    for path in modules(layer):
        own = case_of(".".join(path.relative_to(REPO).with_suffix("").parts))
        if own is None:
            continue
        bad += [
            f"{path.relative_to(REPO)} ({own}) imports {name}"
            for name in imported_modules(REPO, path)
            if case_of(name) not in (None, own)
        ]
    assert not bad, "\n".join(bad)


def test_shared_code_imports_no_case_study_but_the_params_schema():
    """common/ is below the case studies; only the params loader composes the cases' settings schemas
    (their torch-free `spec` modules, and the pure check that a sample-rate rung is usable)."""
    loader_may_read = ("models.triggerword.spec", "models.identity.spec", "synth.triggerword.sample_rates")
    bad = []
    for layer in LAYERS:
        for path in sorted((REPO / layer / "common").rglob("*.py")):
            in_loader = (REPO / "pipeline/common/params") in path.parents
            for name in imported_modules(REPO, path):
                if case_of(name) and not (in_loader and name in loader_may_read):
                    bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "\n".join(bad)


def test_top_level_keeps_the_design_card():
    for name in (
        "dvc.yaml",
        "params.yaml",
        "pyproject.toml",
        "pipeline",
        "flows",
        "synth",
        "models",
        "data",
        "reports",
        "tests",
    ):
        assert (REPO / name).exists(), name
