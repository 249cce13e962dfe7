"""Devices a test runs on: the CPU always, CUDA where there is one (marked `cuda`: benchmarks/gpu_check.sh)."""

import pytest
import torch

CUDA = pytest.param(
    "cuda", marks=[pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]
)
DEVICES = ["cpu", CUDA]
