"""pipeline/__init__.py: every AVX-512 CPU renders with OpenBLAS's SkylakeX kernels, whatever the machine says."""

import subprocess
import sys

import pytest

from pipeline import AVX512_FLAGS, cpu_flags
from tests.helpers.project import REPO, project_env

CHECK = (
    "import pipeline.triggerword.embed\n"  # a stage's imports: numpy, scipy and torch load after the pin
    "from pipeline.triggerword.render_index import blas_kernels\n"
    "print(blas_kernels())\n"
)

# numpy loaded before the pin: the environment's kernels, which the render index must key its clips by
NUMPY_FIRST = (
    "import numpy, scipy.linalg\n"
    "from pipeline.triggerword.render_index import blas_kernels\n"
    "import os; print(blas_kernels(), os.environ['OPENBLAS_CORETYPE'])\n"
)


def kernels(coretype: str, script: str = CHECK) -> str:
    env = project_env() | {"OPENBLAS_CORETYPE": coretype}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(not AVX512_FLAGS <= cpu_flags(), reason="the CPU has no AVX-512: OpenBLAS chooses as it does")
def test_a_stage_loads_the_skylakex_kernels_even_where_the_machine_asks_for_haswell():
    assert kernels("Haswell") == "SkylakeX"


@pytest.mark.skipif(not AVX512_FLAGS <= cpu_flags(), reason="the CPU has no AVX-512: OpenBLAS chooses as it does")
def test_the_render_index_names_the_kernels_loaded_not_the_ones_the_pin_asks_for():
    assert kernels("Haswell", NUMPY_FIRST) == "Haswell SkylakeX"  # loaded before the pin, pinned after


@pytest.mark.skipif(AVX512_FLAGS <= cpu_flags(), reason="on AVX-512 the kernels are pinned")
def test_without_avx512_the_machine_choice_stands():
    assert kernels("Haswell") == "Haswell"
