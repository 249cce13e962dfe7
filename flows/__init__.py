"""Prefect flows that orchestrate the DVC stages (they hold no pipeline logic).

Offline by default: no telemetry from Prefect, its local server or DVC unless the caller set otherwise.
"""

import os

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DVC_NO_ANALYTICS": "1",
}.items():
    os.environ.setdefault(_name, _value)
