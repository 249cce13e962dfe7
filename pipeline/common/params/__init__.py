"""params.yaml -> one typed, validated `Params` (pydantic), read once per stage and passed down.

params.yaml is the only place a default lives: no model here declares one, so a missing, unknown or
mistyped key is one ParamsError naming it (`params.yaml: synthesise.snr_db: ...`).
"""

from pipeline.common.params.errors import ParamsError
from pipeline.common.params.root import DEFAULT_PARAMS, Params, build, load_params, merge, read_yaml, with_change

__all__ = ["DEFAULT_PARAMS", "Params", "ParamsError", "build", "load_params", "merge", "read_yaml", "with_change"]
