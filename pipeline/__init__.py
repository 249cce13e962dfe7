"""Thin DVC stage entry points: read params.yaml, call the core in `synth/`, write outputs."""

import os

# Offline by default: no update checks or telemetry from the libraries the stages import.
for _key, _value in {
    "NO_ALBUMENTATIONS_UPDATE": "1",
    "DVC_NO_ANALYTICS": "1",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(_key, _value)

# One BLAS kernel set on every AVX-512 CPU, set before numpy loads OpenBLAS. OpenBLAS picks its kernels by CPU
# model unless OPENBLAS_CORETYPE names them, and a machine may set that (one Zen 5 kind sets Haswell, its AVX2
# kernels). They round differently from the SkylakeX ones OpenBLAS picks itself on AVX-512: the vocoder's output
# then differs in its last bits and so does everything from the embeddings on. With SkylakeX pinned, such a
# machine renders the other AVX-512 EPYCs' clips byte for byte. Without AVX-512, OpenBLAS chooses as it does.
AVX512_FLAGS = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}  # what OpenBLAS's SkylakeX kernels use


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "")
    except OSError:  # not Linux
        return set()
    return set(flags.partition(":")[2].split())


if AVX512_FLAGS <= cpu_flags():
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
