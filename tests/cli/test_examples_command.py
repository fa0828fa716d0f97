"""``mcrkit examples`` and :mod:`mcrkit.data`: the bundled examples, listed and copied out."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.cli import app
from mcrkit.io import read_microstructure

runner = CliRunner()


def test_examples_lists_every_bundled_example_on_one_line() -> None:
    done = runner.invoke(app, ["examples"])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == mcrkit.data.names()
    alloy = lines[0]
    assert "64x64, 2 phases" in alloy and "CC BY 4.0" in alloy


@pytest.mark.parametrize("suffix", [".npy", ".tif", ".png"])
def test_examples_copies_one_out_and_never_replaces_a_file(tmp_path, suffix) -> None:
    out = tmp_path / "sub" / f"alloy{suffix}"
    done = runner.invoke(app, ["examples", "alloy_resized_s", "-o", str(out)])
    assert done.exit_code == 0, done.output
    back = read_microstructure(out)
    assert np.array_equal(back.labels, mcrkit.data.load("alloy_resized_s"))
    out.write_bytes(b"mine")
    again = runner.invoke(app, ["examples", "pymks_ms_64x64_1", "-o", str(out)])
    assert again.exit_code == 1 and "exists; choose another name" in again.output
    assert out.read_bytes() == b"mine"
    replaced = runner.invoke(app, ["examples", "pymks_ms_64x64_1", "-o", str(out),
                                   "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert np.array_equal(read_microstructure(out).labels, mcrkit.data.load("pymks_ms_64x64_1"))


def test_examples_name_alone_shows_where_it_is(tmp_path) -> None:
    done = runner.invoke(app, ["examples", "pymks_ms_64x64_1"])
    assert done.exit_code == 0, done.output
    assert str(mcrkit.data.path("pymks_ms_64x64_1")) in done.stdout


@pytest.mark.parametrize(("args", "message", "code"), [
    (["examples", "alloy"], "no bundled example 'alloy' (did you mean 'alloy_resized_s'?); "
                            "available: alloy_resized_s, copolymer_resized_s, pymks_ms_64x64_1",
     1),
    (["examples", "-o", "x.npy"], "-o needs an example NAME", 2),
    (["examples", "alloy_resized_s", "-o", "x.jpg"], "unknown file extension '.jpg'", 1),
])
def test_examples_bad_requests_exit_with_a_message_and_write_nothing(tmp_path, monkeypatch,
                                                                     args, message,
                                                                     code) -> None:
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(app, args)
    assert done.exit_code == code and message in done.output
    assert not list(tmp_path.iterdir())


def test_load_returns_the_labels_and_names_the_examples_for_an_unknown_one() -> None:
    labels = mcrkit.data.load("pymks_ms_64x64_1")
    assert labels.shape == (64, 64) and set(np.unique(labels)) == {0, 1}
    assert np.array_equal(labels, np.load(mcrkit.data.path("pymks_ms_64x64_1")))
    with pytest.raises(ValueError, match="no bundled example 'pymks'.*available: "
                                         "alloy_resized_s, copolymer_resized_s, "
                                         "pymks_ms_64x64_1"):
        mcrkit.data.load("pymks")
    assert set(mcrkit.data.describe()) == set(mcrkit.data.names())
