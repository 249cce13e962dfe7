"""Pure, typed synthesis core: numpy/torch in, numpy/torch out; no file-system policy."""
