"""Print params.yaml merged with an overlay, after checking the result: python -m pipeline.common.params OVERLAY"""

import sys

import yaml

from pipeline.common.params import DEFAULT_PARAMS, Params, ParamsError, build, merge, read_yaml

if len(sys.argv) != 2:
    sys.exit("usage: python -m pipeline.common.params OVERLAY.yaml > params.yaml")
try:
    merged = merge(read_yaml(DEFAULT_PARAMS), read_yaml(sys.argv[1]))
    build(Params, merged, f"{DEFAULT_PARAMS} + {sys.argv[1]}")
except ParamsError as exc:
    sys.exit(str(exc))
sys.stdout.write(yaml.safe_dump(merged, sort_keys=False))
