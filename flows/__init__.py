"""Prefect flows that orchestrate the DVC stages (they hold no pipeline logic).

Offline by default: no telemetry from Prefect, its local server or DVC unless the caller set otherwise.
The temporary server a flow starts without PREFECT_API_URL gets 120 s to come up, not Prefect's 20 s:
its first start on a busy 2-core machine (a new database, migrations) can take longer.
"""

import os

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DVC_NO_ANALYTICS": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_name, _value)
