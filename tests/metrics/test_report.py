"""The validation report: rows against the natural spread, and the end-of-run files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mcrkit
from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.report import SLICES_ONLY, validation_report
from mcrkit.metrics.validation import compare
from mcrkit.metrics.verdict import format_verdict

EXAMPLE = mcrkit.data.load("pymks_ms_64x64_1")


def failing(report):
    return {(line["statistic"], line["phase"]) for line in report["verdict"]["failing_lines"]}


@pytest.mark.parametrize("name", ["pymks_ms_64x64_1", "alloy_resized_s"])
def test_structure_vs_itself_is_within_and_vs_a_shuffle_outside(name) -> None:
    original = mcrkit.data.load(name)
    same = validation_report(original, original)
    assert same["verdict"]["text"] == "good" and same["verdict"]["unjudged"] == 0
    assert all(line["deviation"] == 0 for line in same["lines"])
    shuffled = np.random.default_rng(3).permutation(original.ravel()).reshape(original.shape)
    report = validation_report(original, shuffled)
    outside = failing(report)
    for statistic in ("lineal_path", "chord_length", "euler_density"):
        assert {(statistic, 0), (statistic, 1)} <= outside
    assert ("volume_fraction", 0) not in outside  # the shuffle keeps the fractions exactly
    assert report["verdict"]["text"].startswith("not good: ")


def test_3d_self_comparison_is_judged_per_axis() -> None:
    volume = gaussian_random_field((20, 20, 20), (3.0, 3.0, 1.5), seed=2)
    report = validation_report(volume, volume, limit_to=4)
    assert {line["axis"] for line in report["lines"]} == {"x", "y", "z", "3D"}
    assert report["verdict"]["good"]
    stacked = np.repeat(volume[:, :, :1], 20, axis=2)  # columns along z
    flagged = {(ln["axis"], ln["statistic"]) for ln in validation_report(
        volume, stacked, limit_to=4)["verdict"]["failing_lines"]}
    assert ("x", "s2") in flagged and ("y", "lineal_path") in flagged


def test_independent_samples_of_one_structure_are_within() -> None:
    a = gaussian_random_field((64, 64), 3.0, seed=1)
    b = gaussian_random_field((64, 64), 3.0, seed=2)
    assert validation_report(a, b)["verdict"]["text"] == "good"


def test_spread_of_volume_fraction_is_the_binomial_one_on_uncorrelated_noise() -> None:
    # Var(phi_a - phi_b) = 2 phi (1 - phi) / n for two independent Bernoulli images.
    rng = np.random.default_rng(1234)
    n, phi = 48, 0.3
    spreads = []
    for _ in range(20):
        a, b = ((rng.random((n, n)) < phi).astype(int) for _ in range(2))
        line = validation_report(a, b, limit_to=3)["lines"][0]
        assert line["statistic"] == "volume_fraction"
        spreads.append(line["spread"] ** 2)
    assert np.sqrt(np.mean(spreads)) == pytest.approx(np.sqrt(2 * phi * (1 - phi)) / n, rel=0.1)


def test_fidelity_is_exactly_compare_and_table_lists_every_line() -> None:
    rng = np.random.default_rng(5)
    noisy = np.where(rng.random(EXAMPLE.shape) < 0.03, 1 - EXAMPLE, EXAMPLE)
    report = validation_report(EXAMPLE, noisy, limit_to=6)
    assert report["fidelity"] == compare(EXAMPLE, noisy, limit_to=6)
    assert "good" not in report["fidelity"]  # raw figures: the verdict is the report's
    table = format_verdict(report)
    assert table.count("\n") == len(report["lines"]) + 2
    assert "FAIL" in table and "not optimized" not in table  # nothing was optimized
    assert table.splitlines()[-1] == f"  verdict: {report['verdict']['text']}"


def test_three_phases_and_missing_phase() -> None:
    labels = np.indices((24, 24)).sum(0) // 8 % 3
    result = np.where(labels == 2, 1, labels)  # phase 2 gone
    report = validation_report(labels, result, limit_to=3)
    assert {line["phase"] for line in report["lines"]} == {0, 1, 2, None}
    json.dumps(report, allow_nan=False)  # NaN of the absent phase written as null
    assert report["verdict"]["text"].startswith("not good: phase 2 missing from the result")
    assert {("largest_cluster", 2), ("s2", 2)} <= failing(report)
    assert "cannot judge" not in format_verdict(report)
    with pytest.raises(ValueError, match="has phase 3 but the original"):
        validation_report(labels, labels + 1)


def test_match_writes_the_report_and_prints_the_same_fidelity(tmp_path) -> None:
    run = tmp_path / "run"
    result = mcrkit.match(EXAMPLE[:32, :32], add_dimension=8, limit_to=4, max_iter=20, seed=0,
                          device="cpu", run_dir=run)
    report = json.loads((run / "report.json").read_text())
    assert (run / "report.png").stat().st_size > 10_000
    assert report["fidelity"] == json.loads(json.dumps(result.comparison))
    metadata = json.loads((run / "run.json").read_text())
    assert metadata["comparison"] == report["fidelity"]
    assert metadata["verdict"] == report["verdict"] == json.loads(json.dumps(
        result.report["verdict"]))
    assert f"  verdict: {report['verdict']['text']}" in str(result)  # the one verdict printed
    assert report["verdict"]["text"].endswith(f"({SLICES_ONLY})")  # no 3D topology certified
    assert len(metadata["settings"]["cleanup"]) == 2 and "changed_voxels" in metadata["cleanup"]
    assert "overall" not in str(result) and "natural spread (x" not in str(result)
    descriptors = [ln for ln in report["lines"] if ln["kind"] == "descriptor"]
    assert {(ln["axis"], ln["statistic"]) for ln in descriptors} == {
        (axis, name) for axis in "xyz" for name in result.settings["descriptors"]}
    assert {"two_point", "lineal_path"} <= set(result.settings["descriptors"])
    assert all(ln["spread"] is not None for ln in descriptors)
    assert report["errors"] == pytest.approx(result.errors)


def test_reconstruct_writes_a_descriptor_report(tmp_path) -> None:
    c = mcrkit.characterize(EXAMPLE, ["two_point"], limit_to=4)
    mcrkit.reconstruct(c, (24, 24), max_iter=10, seed=0, device="cpu", run_dir=tmp_path / "r")
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["original"] is None and report["fidelity"] is None
    assert report["spread_from"] == "result"  # judged against the target, spread of its own
    assert [(ln["axis"], ln["statistic"]) for ln in report["lines"]] == [("2d", "two_point")]
    assert report["lines"][0]["spread"] > 0 and report["lines"][0]["passed"] is not None
    missing = report["verdict"]["cannot_judge"]
    assert {"largest cluster / phase", "Euler characteristic per voxel", "percolation",
            "lineal path / phi"} <= set(missing)
    assert "volume fraction" not in missing  # S2 at r = 0 is the volume fraction
    assert f"(cannot judge: {', '.join(missing)})" in report["verdict"]["text"]
    assert not report["verdict"]["good"]
    assert (tmp_path / "r" / "report.png").stat().st_size > 10_000
    mcrkit.reconstruct(c, (24, 24), max_iter=2, seed=0, device="cpu", run_dir=tmp_path / "q",
                       report=False)
    assert not (tmp_path / "q" / "report.json").exists()


def test_a_report_that_fails_warns_and_keeps_the_run(tmp_path, monkeypatch) -> None:
    import mcrkit.metrics.report

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(mcrkit.metrics.report, "write_report", full_disk)
    with pytest.warns(RuntimeWarning, match="validation report was not written .No space left"):
        result = mcrkit.match(EXAMPLE[:16, :16], limit_to=3, max_iter=3, seed=0, device="cpu",
                              run_dir=tmp_path / "run")
    assert result.comparison is not None and (tmp_path / "run" / "reconstruction.npy").is_file()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["comparison"] == \
        json.loads(json.dumps(result.comparison))


def test_a_resumed_match_reports_against_the_kept_original(tmp_path) -> None:
    run = tmp_path / "run"
    first = mcrkit.match(EXAMPLE[:16, :16], limit_to=3, max_iter=4, seed=0, device="cpu",
                         run_dir=run)
    assert np.array_equal(np.load(run / "original.npy"), EXAMPLE[:16, :16])
    (run / "report.json").unlink()
    resumed = mcrkit.resume(run, max_iter=8)
    report = json.loads((run / "report.json").read_text())
    assert report["original"]["shape"] == [16, 16]
    assert resumed.comparison is not None and resumed.comparison.keys() == first.comparison.keys()
    metadata = json.loads((run / "run.json").read_text())
    assert metadata["original"] == first.characterization.source
    assert metadata["comparison"] == json.loads(json.dumps(resumed.comparison))
    assert resumed.report["verdict"] == report["verdict"]
    assert f"  verdict: {report['verdict']['text']}" in str(resumed)


def test_windows_too_small_for_the_descriptors_leave_them_unjudged() -> None:
    c = mcrkit.characterize(EXAMPLE[:12, :12], ["two_point"], limit_to=5)
    report = validation_report(EXAMPLE[:12, :12], EXAMPLE[:12, :12], characterization=c,
                               descriptors=["two_point"], limit_to=5)
    first = report["lines"][0]
    assert first["kind"] == "descriptor" and first["spread"] is None and first["passed"] is None
    assert report["verdict"]["unjudged"] == 1
    assert report["verdict"]["text"] == ("good on what it could judge (cannot judge: "
                                         "descriptor two_point vs target)")


def test_a_2d_result_of_a_3d_original_is_judged_against_each_slicing_axis() -> None:
    volume = gaussian_random_field((24, 24, 24), 2.0, seed=4)
    report = validation_report(volume, volume[:, :, 7], limit_to=3)
    assert {line["axis"] for line in report["lines"]} == {"x", "y", "z"}
    assert report["verdict"]["good"]
    assert compare(volume, volume[:, :, 7], limit_to=3)["per_axis"].keys() == {"x", "y", "z"}
    stripes = np.indices((24, 24))[0] % 2  # same fractions nowhere near: far outside
    assert validation_report(volume, stripes, limit_to=3)["verdict"]["failed"] > 10


def test_report_figure_of_a_volume_draws_the_original_of_each_axis() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mcrkit.plotting.report import plot_report

    volume = gaussian_random_field((20, 20, 20), (3.0, 1.5, 1.5), seed=1)
    # the drawn lines are checked, not the file (saving the report is tested with the runs)
    fig = plot_report(validation_report(volume, volume.transpose(2, 1, 0), limit_to=4))
    lineal = next(ax for ax in fig.axes if ax.get_title().startswith("lineal path")
                  and ax.get_title().endswith("phase 1"))
    originals = {line.get_label()[-2]: line.get_ydata() for line in lineal.lines
                 if line.get_label().startswith("original")}
    assert set(originals) == {"x", "y", "z"}  # "original (slices normal to x)", ...
    # elongated along x: slices normal to y and z see it along their first in-plane axis
    assert originals["y"][-1] > originals["x"][-1] + 0.1
    plt.close(fig)


def test_a_match_without_a_run_directory_is_judged_all_the_same() -> None:
    result = mcrkit.match(EXAMPLE[:16, :16], limit_to=3, max_iter=3, seed=0, device="cpu")
    assert result.report is not None and result.comparison == result.report["fidelity"]
    assert str(result).splitlines()[-1] == f"  verdict: {result.report['verdict']['text']}"
    quiet = mcrkit.match(EXAMPLE[:16, :16], limit_to=3, max_iter=3, seed=0, device="cpu",
                         report=False)
    assert quiet.report is None and "verdict" not in str(quiet)


def test_a_gray_original_is_segmented_with_the_readers_options(tmp_path) -> None:
    import imageio.v3 as iio

    labels = EXAMPLE[:32, :32]
    noise = np.random.default_rng(0).integers(0, 30, labels.shape)
    iio.imwrite(tmp_path / "gray.png", (60 + 140 * labels + noise).astype(np.uint8))
    with pytest.raises(ValueError, match="threshold="):
        validation_report(tmp_path / "gray.png", labels)
    for options in ({"threshold": "otsu"}, {"threshold": 128}, {"phases": 2}):
        report = validation_report(tmp_path / "gray.png", labels, **options)
        assert report["verdict"]["text"] == "good", options  # the labels themselves
        assert all(line["deviation"] == 0 for line in report["lines"])


def test_a_report_without_the_volume_statistics_keeps_its_table_and_verdict() -> None:
    volume = gaussian_random_field((16, 16, 16), 2.0, seed=5)
    full = validation_report(volume[:, :, 0], volume, limit_to=3)
    lean = validation_report(volume[:, :, 0], volume, limit_to=3, volume=False)
    assert full["volume"]["result"] and lean["volume"] is None
    assert lean["lines"] == full["lines"] and lean["verdict"] == full["verdict"]


def test_an_earlier_report_of_the_same_labels_gives_its_statistics(monkeypatch) -> None:
    import mcrkit.metrics.report as report_module

    volume = gaussian_random_field((12, 12, 8), 2.0, seed=5)
    original = volume[:, :, 0]
    target = mcrkit.characterize(original, ["two_point"], limit_to=3)
    fresh = validation_report(original, volume, characterization=target,
                              descriptors=["two_point"], limit_to=3)
    computed = []
    statistic_lines = report_module._statistic_lines
    monkeypatch.setattr(report_module, "_statistic_lines",
                        lambda *a, **k: computed.append(a[1]) or statistic_lines(*a, **k))
    earlier = validation_report(original, volume, limit_to=3, volume=False)
    assert not any(line["optimized"] for line in earlier["lines"])
    reused = validation_report(original, volume, characterization=target,
                               descriptors=["two_point"], limit_to=3, reuse=earlier)
    assert reused == fresh and len(computed) == 1  # the same report, statistics computed once
    assert any(line["optimized"] for line in reused["lines"] if line["kind"] == "statistic")
    # other labels or another limit_to: computed afresh
    other = volume.copy()
    other[0, 0, 0] = 1 - other[0, 0, 0]
    lean = {"volume": False, "reuse": earlier}
    assert validation_report(original, other, limit_to=3, **lean)["result"]["digest"] \
        != earlier["result"]["digest"]
    validation_report(original, volume, limit_to=2, **lean)
    assert len(computed) == 3
    # the digest follows the values, not their integer type
    assert validation_report(original.astype(np.int64), volume.astype(np.int32), limit_to=3,
                             **lean)["result"]["digest"] == earlier["result"]["digest"]
    assert len(computed) == 3


def test_the_slices_of_every_axis_share_the_statistics_of_their_one_target(monkeypatch) -> None:
    import mcrkit.metrics.report as report_module

    volume = gaussian_random_field((12, 12, 8), 2.0, seed=5)
    calls: dict[str, list[int]] = {"_all_statistics": [], "_topology": []}

    def counting(name):
        compute = getattr(report_module, name)

        def counted(labels, *args, **kwargs):
            calls[name].append(labels.ndim)
            return compute(labels, *args, **kwargs)
        return counted

    for name in calls:
        monkeypatch.setattr(report_module, name, counting(name))
    report = validation_report(volume[:, :, 0], volume, limit_to=3, volume=False)
    assert {line["axis"] for line in report["lines"]} == {"x", "y", "z"}
    # the 2D original and its 16 windows once, not once per axis; the volume per axis
    assert sorted(calls["_all_statistics"]) == sorted(calls["_topology"]) == [2] * 17 + [3] * 3


def test_a_cache_computes_the_originals_statistics_once_for_every_result(monkeypatch) -> None:
    import mcrkit.descriptors.evaluation as evaluation
    import mcrkit.metrics.report as report_module

    original, results = EXAMPLE[:16, :16], [EXAMPLE[16:32, :16], EXAMPLE[:16, 16:32]]
    target = mcrkit.characterize(original, ["two_point"], limit_to=3)
    options = {"characterization": target, "descriptors": ["two_point"], "limit_to": 3}
    fresh = validation_report(original, results[1], **options)
    calls: dict[str, list[int]] = {"_all_statistics": [], "_topology": [], "characterize": []}

    def counting(module, name):
        compute = getattr(module, name)

        def counted(labels, *args, **kwargs):
            calls[name].append(getattr(labels, "labels", labels).size)  # or a Microstructure
            return compute(labels, *args, **kwargs)
        monkeypatch.setattr(module, name, counted)

    counting(report_module, "_all_statistics")
    counting(report_module, "_topology")
    counting(evaluation, "characterize")
    cache: dict = {}
    validation_report(original, results[0], cache=cache, **options)
    # the original, its 16 windows (8 x 8) and the result
    assert all(sorted(c) == [64] * 16 + [256] * (2 if n != "characterize" else 1)
               for n, c in calls.items())
    for c in calls.values():
        c.clear()
    assert validation_report(original, results[1], cache=cache, **options) == fresh
    assert all(c == [256] for c in calls.values())  # the result's alone
    # another limit_to: not taken from the cache
    validation_report(original, results[1], cache=cache, **{**options, "limit_to": 2})
    assert len(calls["_all_statistics"]) == 1 + 18
