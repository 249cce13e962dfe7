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
