"""The scripts in examples/ run end to end (with tiny settings) and write what they promise."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_interpolate_isotropic_to_elongated(tmp_path, capsys) -> None:
    script = runpy.run_path(str(EXAMPLES / "interpolate_isotropic_to_elongated.py"))
    script["main"](["--output", str(tmp_path), "--shape", "20", "16", "16", "--max-iter", "5",
                    "--size", "48"])
    assert sorted(p.name for p in tmp_path.glob("step_*")) == \
        sorted(f"step_{k}.{ext}" for k in range(5) for ext in ("npy", "npz"))
    volume = np.load(tmp_path / "step_4.npy")
    assert volume.shape == (20, 16, 16) and set(np.unique(volume)) <= {0, 1}
    assert (tmp_path / "interpolation.png").stat().st_size > 10_000
    assert capsys.readouterr().out.count("mean chord length") == 5
