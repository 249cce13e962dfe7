"""benchmarks/gpu_check.sh: ready for a CUDA machine, and on one without CUDA it says so and exits 0."""

import subprocess

import pytest
import torch

from tests.helpers.project import REPO, project_env


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a CUDA machine the script runs the full GPU check")
def test_without_cuda_the_gpu_check_says_so_and_times_the_cpu_path(tmp_path):
    out = tmp_path / "gpu_check.txt"
    done = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", str(out)], cwd=REPO, env=project_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "no CUDA device" in done.stdout
    table = out.read_text()
    for figure in ("render_numpy_clips_per_s", "lecture_train_clips_per_s", "embedding_front_end_clips_per_s"):
        assert figure in table
