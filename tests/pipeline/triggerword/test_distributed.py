"""The training script under torchrun: two CPU processes, gloo backend, one shard each."""

import json
import shutil

import yaml

from tests.helpers.project import run


def test_two_process_ddp_training_on_cpu(small_project, tmp_path):
    root = tmp_path / "ddp"
    shutil.copytree(small_project, root, symlinks=True)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["train"]["profiles"]["cpu"] = {"epochs": 1, "examples_per_epoch": 64, "batch_size": 8}
    params["model"]["family"] = "lecture"  # the network DDP is for (the embedding head trains in seconds)
    (root / "ddp.yaml").write_text(yaml.safe_dump(params))
    (root / "models/trained/trigger_word/model.pt").unlink()
    run(
        [
            "torchrun",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "pipeline.triggerword.train",
            "--params",
            "ddp.yaml",
        ],
        cwd=root,
    )
    summary = json.loads((root / "reports/metrics/train.json").read_text())
    assert summary["world_size"] == 2 and summary["device"] == "cpu"
    assert (root / "models/trained/trigger_word/model.pt").exists()
