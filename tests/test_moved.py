"""Modules that moved keep their old import paths for one release, with a FutureWarning."""

from __future__ import annotations

import subprocess
import sys

import pytest

OLD_PATHS = [
    ("mcrkit.reconstruction.optimizers.base", "Optimizer", "mcrkit.engine.optimizers.base"),
    ("mcrkit.reconstruction.field", "field_from_params", "mcrkit.engine.field"),
    ("mcrkit.reconstruction.rundir", "RunDirectory", "mcrkit.io.rundir"),
    ("mcrkit.validation", "compare", "mcrkit.metrics.validation"),
    ("mcrkit.report", "validation_report", "mcrkit.metrics.report"),
]


@pytest.mark.parametrize(("old", "name", "new"), OLD_PATHS)
def test_old_path_gives_the_new_object_with_a_warning(old: str, name: str, new: str) -> None:
    # a fresh interpreter: the warning is given once, at the first import of the old path
    code = (f"import warnings; warnings.simplefilter('error', FutureWarning)\n"
            f"try:\n    from {old} import {name}\nexcept FutureWarning as w:\n    print(w)\n"
            f"warnings.simplefilter('ignore', FutureWarning)\n"
            f"from {old} import {name} as old\nfrom {new} import {name} as new\n"
            f"print(old is new)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300).stdout.splitlines()
    assert " moved to mcrkit." in out[0] and "will be removed in 0.3" in out[0]
    assert out[-1] == "True"
