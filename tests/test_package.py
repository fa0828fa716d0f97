"""Tests for the package surface: lazy imports, public names, version and bundled data."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import mcrkit

# Optional or heavy stacks that `import mcrkit` must not pull in (torch is allowed).
NOT_IMPORTED = (
    "matplotlib",
    "typer",
    "tqdm",
    "h5py",
    "tifffile",
    "imageio",
    "nicegui",
    "playwright",
    "dask",
    "distributed",
    "dask_jobqueue",
    "pyvista",
)


def test_import_mcrkit_stays_light():
    code = (
        "import json, sys\n"
        "import mcrkit\n"
        f"print(json.dumps(sorted(m for m in {NOT_IMPORTED!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(result.stdout) == []


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_command_line_help_loads_no_numerical_stack():
    code = ("from mcrkit.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    heavy = ("torch", "numpy", "scipy", "numba", *(m for m in NOT_IMPORTED if m != "typer"))
    assert _loaded_after(code, heavy) == []


def test_workflows_load_neither_plots_nor_annealing_kernels_nor_smoothing_filters():
    """What every reconstruction imports: numba (annealing), scipy.ndimage (smoothing),
    scipy.sparse (3D cluster merging) and matplotlib (figures) wait until a run needs them;
    S2 by FFT takes numpy.fft, not scipy.fft (0.2-0.4 s of CPU to import)."""
    assert _loaded_after("import mcrkit.workflows",
                         ("numba", "scipy.fft", "scipy.ndimage", "scipy.sparse", "matplotlib",
                          "typer")) == []


def test_a_reconstruction_does_not_load_the_compiler_stack():
    """Recomputing the field and chunks in the backward pass must not import torch._dynamo
    or sympy (seconds of start-up), as torch.utils.checkpoint and grad_outputs do."""
    code = ("import mcrkit\n"
            "from mcrkit.descriptors import base\n"
            "base.WORKSPACE_BYTES = 1  # every slice its own chunk\n"
            "c = mcrkit.characterize(mcrkit.data.load('pymks_ms_64x64_1')[:8, :8],"
            " ['two_point'], limit_to=2)\n"
            "mcrkit.reconstruct(c, (6, 6, 6), max_iter=2, seed=0, device='cpu', report=False)")
    assert _loaded_after(code, ("torch._dynamo", "sympy")) == []


@pytest.mark.parametrize("name", mcrkit.__all__)
def test_public_names_resolve(name):
    assert getattr(mcrkit, name) is not None


def test_public_names_are_the_lazy_ones():
    from mcrkit.characterization import Characterization
    from mcrkit.microstructure import Microstructure, from_array
    from mcrkit.workflows import characterize

    assert mcrkit.Characterization is Characterization
    assert mcrkit.Microstructure is Microstructure
    assert mcrkit.from_array is from_array
    assert mcrkit.characterize is characterize


def test_dir_lists_the_public_names_and_subpackages():
    listed = dir(mcrkit)
    assert set(mcrkit.__all__) <= set(listed)
    assert {"data", "descriptors", "io", "workflows"} <= set(listed)
    assert listed == sorted(listed)


def test_subpackages_are_reachable_as_attributes():
    assert mcrkit.data.names()
    assert hasattr(mcrkit.descriptors, "Descriptor")


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="module 'mcrkit' has no attribute 'nope'"):
        mcrkit.nope  # noqa: B018


def test_version_is_a_string():
    assert isinstance(mcrkit.__version__, str)
    assert mcrkit.__version__
    assert "__version__" in mcrkit.__all__


def test_bundled_data_readme_documents_every_example_and_its_license():
    readme = resources.files("mcrkit.data") / "README.md"
    assert readme.is_file()
    text = readme.read_text(encoding="utf-8")
    assert "license" in text.lower()
    assert "MIT" in text
    assert "CC BY 4.0" in text
    for name in mcrkit.data.names():
        assert f"{name}.npy" in text


def test_bundled_examples_load():
    assert mcrkit.data.names() == ["alloy_resized_s", "copolymer_resized_s", "pymks_ms_64x64_1"]
    for name in mcrkit.data.names():
        labels = mcrkit.data.load(name)
        assert labels.shape == (64, 64)
        assert mcrkit.data.path(name).is_file()
    with pytest.raises(ValueError, match="no bundled example 'nope'; available: alloy_resized_s"):
        mcrkit.data.path("nope")


def test_ci_runs_the_readme_test_command_with_the_pinned_torch() -> None:
    """CI calls the README's second command; both pin torch through constraints.txt."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in readme[:8] if line.startswith("python3 -m venv")]
    assert len(commands) == 2 and all("-c constraints.txt" in c for c in commands)
    assert commands[1] in (root / ".ci" / "run").read_text(encoding="utf-8")
    pins = (root / "constraints.txt").read_text(encoding="utf-8")
    assert "torch==2.13.0" in pins.splitlines()
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    torch_requirement = next(r for r in project["dependencies"] if r.startswith("torch"))
    assert "==" not in torch_requirement  # a range for users, the pin for CI
