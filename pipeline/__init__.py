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
# model, and on a model it does not know (AMD Zen 5) it falls back to, or is told by the machine's
# OPENBLAS_CORETYPE to use, its AVX2 (Haswell) kernels, which round differently: the vocoder's output then differs
# in its last bits and so does everything from the embeddings on. With the SkylakeX kernels a Zen 5 machine
# renders the earlier AVX-512 EPYC's clips byte for byte. Without AVX-512, OpenBLAS chooses as it does.
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
