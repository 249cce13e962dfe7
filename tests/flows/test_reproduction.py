"""The reproduction check compares the data outputs of two dvc.lock files, upstream first."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from flows import reproduction
from pipeline import AVX512_FLAGS, cpu_flags


def lock(**stages: dict[str, str]) -> dict:
    """A dvc.lock with each stage's outs as {path: md5}."""
    return {
        "schema": "2.0",
        "stages": {
            name: {"cmd": f"python -m {name}", "outs": [{"path": p, "hash": "md5", "md5": m} for p, m in outs.items()]}
            for name, outs in stages.items()
        },
    }


COMMITTED = lock(
    train={"data/model": "m1", "reports/metrics/train.json": "t1"},
    embed={"data/embeddings": "e1", "reports/metrics/embed.json": "s1"},
    collect={"data/catalog": "c1"},
)


def test_a_rerun_whose_data_hash_as_committed_differs_only_in_recorded_seconds():
    rerun = lock(
        train={"data/model": "m1", "reports/metrics/train.json": "t2"},
        embed={"data/embeddings": "e1", "reports/metrics/embed.json": "s2"},
        collect={"data/catalog": "c1"},
    )
    found = reproduction.compare(COMMITTED, rerun, ["collect", "embed", "train"])
    assert found.same == ["collect", "embed", "train"] and not found.differ and not found.new
    assert "every data output of dvc.lock hashes as committed (3 stages)" in reproduction.report(
        found, [], "a CPU", "HEAD"
    )


def test_the_first_stage_to_differ_is_named_in_pipeline_order_not_the_lock_order():
    other_cpu = lock(
        train={"data/model": "m2"},
        embed={"data/embeddings": "e2"},
        collect={"data/catalog": "c1"},
        stress={"data/stress": "x"},
    )
    found = reproduction.compare(COMMITTED, other_cpu, ["collect", "embed", "train", "stress"])
    assert found.same == ["collect"]
    assert list(found.differ) == ["embed", "train"] and found.differ["embed"] == ["data/embeddings"]
    assert found.new == ["stress"]
    text = reproduction.report(found, ["test FRR: 0.28 -> 0.32"], "a CPU", "HEAD")
    assert "the first to differ is embed's" in text and "not in the committed lock: stress" in text
    assert "test FRR: 0.28 -> 0.32" in text


def test_headline_lines_name_only_the_metrics_that_moved():
    changes = {"reports/metrics/evaluate.json:test.frr": {"old": 0.2825, "new": 0.3232, "diff": 0.0407}}
    assert reproduction.headline(changes) == ["test FRR: 0.2825 -> 0.3232"]


def committed_checkout(root: Path) -> None:
    """A git repository whose one commit holds COMMITTED as dvc.lock (and no DVC project)."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    (root / "dvc.lock").write_text(yaml.safe_dump(COMMITTED))
    git("add", "dvc.lock")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "lock")


def test_the_committed_lock_is_read_from_git(tmp_path: Path):
    committed_checkout(tmp_path)
    (tmp_path / "dvc.lock").write_text("changed: true\n")
    assert reproduction.committed_lock(tmp_path, "HEAD") == COMMITTED
    assert reproduction.committed_lock(tmp_path, "no-such-ref") is None


def test_a_checkout_dvc_cannot_read_gets_one_line_and_a_non_zero_exit(tmp_path: Path, capsys):
    committed_checkout(tmp_path)
    assert reproduction.main(["--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Reproduction: dvc could not read the pipeline") and out.count("\n") == 1


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path: Path, capsys):
    assert reproduction.main(["--root", str(tmp_path)]) == 0
    assert "nothing to compare" in capsys.readouterr().out


def test_the_cpu_is_described_with_the_extensions_that_pick_float_kernels():
    described = reproduction.cpu()
    assert isinstance(described, str) and described
    if Path("/proc/cpuinfo").is_file():
        assert "family" in described and "OpenBLAS kernels: " in described
        if AVX512_FLAGS <= cpu_flags():
            assert described.endswith("OpenBLAS kernels: SkylakeX)")
