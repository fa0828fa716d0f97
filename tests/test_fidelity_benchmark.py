"""The fidelity benchmark's judging and tables, on 16^2 structures (no reconstruction)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from mcrkit.morphology import cluster_sizes
from mcrkit.synthetic import dispersion, voronoi_grains

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def fidelity():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("fidelity", BENCHMARKS / "fidelity.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_help_and_case_groups(fidelity, capsys):
    with pytest.raises(SystemExit) as exit_info:
        fidelity.main(["--help"])
    assert exit_info.value.code == 0
    assert "--cases" in capsys.readouterr().out
    assert fidelity.cases_of("voronoi,synthetic3d")[:2] == ["voronoi", "voronoi3d"]
    assert len(fidelity.cases_of("descriptors")) == 16
    with pytest.raises(SystemExit, match="unknown case 'nothing'"):
        fidelity.cases_of("nothing")


def test_a_3d_case_slices_the_truth_of_its_seed(fidelity, tmp_path):
    cases = [fidelity.prepare("balls3d", 32, tmp_path, tmp_path, truth_seed=seed)
             for seed in (0, 0, 1)]
    (original, truth, args), same, other = cases
    assert truth.shape == (16, 16, 16)
    assert np.array_equal(original, truth[:, :, 0])
    assert args[args.index("--add-dimension") + 1] == "16"
    assert np.array_equal(truth, same[1])
    assert not np.array_equal(truth, other[1])


def test_a_copy_is_good_and_noise_is_not(fidelity, tmp_path):
    original = voronoi_grains((16, 16), n_grains=3, rng=0)
    same = fidelity.judge(original, np.roll(original, 5, axis=0))
    assert same["good"] and same["failing"] == []
    grains = same["phases"][0]
    assert grains["original"] == grains["result"] and grains["chord_distance"] == 0.0
    assert grains["original"]["n_clusters"] == 3  # one cluster per grain
    noise = np.random.default_rng(0).permutation(original.ravel()).reshape(original.shape)
    judged = fidelity.judge(original, noise)
    assert not judged["good"] and any("Euler" in reason for reason in judged["failing"])
    case = {"case": "voronoi", "shape": [16, 16], "seconds": 1.0} | judged
    table = fidelity.markdown([case])
    assert "| voronoi | 16x16 | 1.0 | not good: " in table and "| voronoi | 1 | " in table
    fidelity.picture([original, noise], tmp_path / "pair.png")
    assert (tmp_path / "pair.png").stat().st_size < 2000


def test_volume_against_truth(fidelity):
    truth = dispersion((16, 16, 16), radius=3.0, volume_fraction=0.05, rng=0)
    balls = fidelity.volume_statistics(truth)[1]
    assert balls["euler_density"] * truth.size == pytest.approx(cluster_sizes(truth == 1).size)
    assert balls["percolates"] == [False, False, False]
    assert fidelity.truth_verdict(fidelity.volume_statistics(truth),
                                  fidelity.volume_statistics(truth), truth.size)["good"]
    slab = np.zeros_like(truth)
    slab[:, :, :4] = 1  # percolates along x and y, one cluster
    verdict = fidelity.truth_verdict(fidelity.volume_statistics(truth),
                                     fidelity.volume_statistics(slab), truth.size)
    assert not verdict["good"]
    assert "phase 1 gained percolation along x" in verdict["failing"]
    assert any(reason.startswith("phase 1 3D Euler density") for reason in verdict["failing"])
    assert any(reason.startswith("phase 1 surface density") for reason in verdict["failing"])


def test_tortuosity_against_truth(fidelity):
    pytest.importorskip("pyamg")
    channel = np.zeros((8, 6, 6), dtype=np.uint8)
    channel[:, 1:3, 1:3] = 1  # straight along x: tortuosity 1; the matrix percolates everywhere
    truth = fidelity.transport_statistics(channel)
    assert truth[1][0] == pytest.approx(1.0, rel=1e-3) and truth[1][1:] == [None, None]
    assert fidelity.transport_verdict(truth, truth) == {"good": True, "failing": []}
    blocked = channel.copy()
    blocked[4] = 0  # the channel is cut: phase 1 no longer percolates along x
    verdict = fidelity.transport_verdict(truth, fidelity.transport_statistics(blocked))
    assert verdict["failing"] == ["phase 1 does not percolate along x (truth tortuosity 1.00)"]
    slower = [[value * 1.2 if value else value for value in phase] for phase in truth]
    assert len(fidelity.transport_verdict(truth, slower)["failing"]) == 4  # 3 of phase 0, 1
    case = {"case": "channel", "truth_tortuosity": truth, "result_tortuosity": slower,
            "verdict_tortuosity": fidelity.transport_verdict(truth, slower)}
    assert "| channel | 1 | 1.00 / 1.20 | inf / inf | inf / inf | no |" in \
        fidelity.tortuosity_table([case])


def test_orthogonal_slices_keep_merge_orientation():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("orthogonal_slices",
                                                      BENCHMARKS / "orthogonal_slices.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    volume = np.arange(4 * 6 * 8).reshape(4, 6, 8)
    slices = module.central_slices(volume)
    # merge's default orientation: normal to x rows y, columns z; normal to y rows x, columns
    # z; normal to z rows x, columns y
    assert [s.shape for s in slices.values()] == [(6, 8), (4, 8), (4, 6)]
    assert slices["x"][1, 2] == volume[2, 1, 2] and slices["y"][1, 2] == volume[1, 3, 2]
    assert slices["z"][1, 2] == volume[1, 2, 4]
    truth = module.truth_volume(24, elongation=3.0, fraction=0.4, length=1.0)
    assert truth.mean() == pytest.approx(0.4, abs=1 / truth.size)
    from mcrkit.morphology import correlation_lengths

    along = correlation_lengths(truth == 1)  # longer along z, the elongated axis
    assert along[2] > 2 * max(along[0], along[1])
