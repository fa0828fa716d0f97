"""Malformed inputs, bad values and awkward outputs for every command; kills at every moment.

Run ``python benchmarks/torture.py`` (``--help`` for options). It builds every
crafted input itself, in a temporary folder, and checks for each case:

- the exit status (1: a refused file or value; 2: a wrong command line, the cases in
  :data:`USAGE_ERRORS`; a few cases must succeed);
- no traceback on stdout or stderr;
- a message naming the file, the value or the fix (the case's ``says``);
- nothing left behind: the case's folder holds the same names afterwards, and
  no file an output was going to be is there (a partial output).

Each case runs in a fresh ``mcrkit`` process (``--jobs N`` side by side;
``--in-process`` runs the CLI's command in this process instead, as
``tests/cli/test_torture.py`` does with the fast cases). The GUI's cases upload
every crafted file as the page stores and checks it, and submit bad values in
every form (``--http`` also uploads them to a running ``mcrkit gui``).
``--kills N`` also kills runs (a gradient run, an annealing run and a batch)
with SIGKILL at N random moments each, plus inside every write of a run
(checkpoint, convergence, report, result), and checks that every directory
resumes to the uninterrupted run's result. It prints the counts: cases,
tracebacks, partial outputs, wrong statuses, missing messages, kills,
unusable directories, resumes that differ.

Examples: ``python benchmarks/torture.py --in-process --http`` (every case),
``python benchmarks/torture.py --jobs 2 --only resume/`` (some, in processes),
``python benchmarks/torture.py --only none --kills 3`` (the kill sweep alone).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# ---- the cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One command line and what it must do.

    ``args`` may hold ``{in}`` (the folder of good inputs, read-only by convention),
    ``{F}`` (the case's own folder, where ``build`` makes its crafted files) and
    ``{ro}`` (a directory nothing can be written into).
    """

    name: str
    args: tuple[str, ...]
    says: tuple[str, ...] = ()
    build: Callable[[Path, Path], None] | None = None
    status: int = 1
    benchmark_only: bool = False
    """Left out of the tests: slow, or the same reader under another command."""
    kept: tuple[str, ...] = ()
    """New paths that are the command's report of the failure, not a partial output."""

    @property
    def command(self) -> str:
        return self.args[0]


def _bytes(name: str, data: bytes) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        (folder / name).write_bytes(data)
    return build


def _array(name: str, array: Any, **save: Any) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        np.save(folder / name, array, **save)
    return build


def _npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _png(width: int, height: int, data: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(data))
            + chunk(b"IEND", b""))


def _npz(name: str, **arrays: Any) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        with open(folder / name, "wb") as fh:
            np.savez(fh, **arrays)
    return build


def _pickled_npz(folder: Path, inputs: Path) -> None:
    with zipfile.ZipFile(folder / "objects.npz", "w") as archive, \
            archive.open("labels.npy", "w") as member:
        np.save(member, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)


def _h5(name: str, huge: bool = False) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        import h5py

        with h5py.File(folder / name, "w") as f:
            if huge:  # declared, never written: the file stays small
                f.create_dataset("labels", shape=(10**6, 10**6), dtype="u1", chunks=(256, 256),
                                 compression="gzip")
            else:
                f.create_dataset("labels", data=np.eye(8, dtype=np.uint8))
    return build


def _truncated_npy(folder: Path, inputs: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((64, 64), dtype=np.uint8))
    (folder / "truncated.npy").write_bytes(buffer.getvalue()[:1000])


def _folder(name: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        (folder / name).mkdir()
        (folder / name / "note.txt").write_text("not a run")
    return build


_RNG = np.random.default_rng(0)
BAD_STRUCTURES: dict[str, tuple[str, Callable[[Path, Path], None] | None]] = {
    "missing": ("missing.npy", None),
    "empty": ("empty.npy", _bytes("empty.npy", b"")),
    "text": ("text.npy", _bytes("text.npy", b"hello, world\n")),
    "pickled": ("pickled.npy", _array("pickled.npy", np.array([{"a": 1}, None], dtype=object),
                                      allow_pickle=True)),
    "huge-header": ("huge.npy", _bytes("huge.npy", _npy_header((10**6, 10**6)) + b"\0" * 64)),
    "huge-3d-header": ("huge3.npy", _bytes("huge3.npy", _npy_header((5000, 5000, 5000), "<f8"))),
    "truncated": ("truncated.npy", _truncated_npy),
    "nan": ("nan.npy", _array("nan.npy", np.where(np.eye(16) > 0, np.nan, 1.0))),
    "inf": ("inf.npy", _array("inf.npy", np.where(np.eye(16) > 0, np.inf, 0.0))),
    "1d": ("line.npy", _array("line.npy", np.arange(16) % 2)),
    "4d": ("four.npy", _array("four.npy", np.zeros((2, 2, 2, 2), dtype=np.uint8))),
    "complex": ("complex.npy", _array("complex.npy", np.ones((8, 8), dtype=complex))),
    "strings": ("strings.npy", _array("strings.npy", np.full((8, 8), "ab"))),
    "directory": ("folder.npy", _folder("folder.npy")),
    "unknown-suffix": ("data.xyz", _bytes("data.xyz", b"1 2 3\n")),
    "npz-empty": ("nothing.npz", _npz("nothing.npz")),
    "npz-pickled": ("objects.npz", _pickled_npz),
    "npz-key": ("labels.npz:nothere", _npz("labels.npz", labels=np.eye(8, dtype=np.uint8))),
    "npz-truncated": ("cut.npz", _bytes("cut.npz", b"PK\x03\x04" + b"\0" * 40)),
    "h5-garbage": ("garbage.h5", _bytes("garbage.h5", b"not hdf5 at all" * 10)),
    "h5-dataset": ("good.h5:/nothere", _h5("good.h5")),
    "h5-huge": ("huge.h5", _h5("huge.h5", huge=True)),
    "tif-garbage": ("garbage.tif", _bytes("garbage.tif", b"II*\0garbage" * 5)),
    "png-garbage": ("garbage.png", _bytes("garbage.png", b"\x89PNG\r\n\x1a\nrubbish")),
    "png-bomb": ("bomb.png", _bytes("bomb.png", _png(200_000, 200_000, b"\0" * 1000))),
    "vti-garbage": ("garbage.vti", _bytes("garbage.vti", b"<VTKFile>broken")),
    "noise": ("noise.npy", _array("noise.npy", _RNG.random((16, 16)))),
}
"""Crafted microstructure files: the name given on the command line, and its builder."""

STRUCTURE_COMMANDS: dict[str, tuple[str, ...]] = {
    "characterize": ("characterize", "{X}", "--descriptors", "volume_fractions", "-o",
                     "{F}/out.npz"),
    "match": ("match", "{X}", "--max-iter", "1", "--quiet", "--device", "cpu", "-o", "{F}/run"),
    "smooth": ("smooth", "{X}", "-o", "{F}/out.npy"),
    "compare-original": ("compare", "{X}", "{in}/small.npy", "-o", "{F}/reports"),
    "compare-result": ("compare", "{in}/small.npy", "{X}", "-o", "{F}/reports"),
    "export": ("export", "{X}", "-o", "{F}/out.tif"),
    "view": ("view", "{X}", "--save", "{F}/out.png"),
    "properties": ("properties", "{X}", "-o", "{F}/out.json"),
}


def _meta_npz(name: str, change: Callable[[dict[str, Any], dict[str, Any]], None]
              ) -> Callable[[Path, Path], None]:
    """A copy of ``{in}/char.npz`` whose metadata and values ``change`` edits."""
    def build(folder: Path, inputs: Path) -> None:
        with np.load(inputs / "char.npz") as data:
            arrays = {key: data[key] for key in data.files}
        meta = json.loads(str(arrays.pop("metadata")))
        change(meta, arrays)
        arrays["metadata"] = np.array(meta if isinstance(meta, str) else json.dumps(meta))
        with open(folder / name, "wb") as fh:
            np.savez(fh, **arrays)
    return build


def _set(**items: Any) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
        _edited(meta, **items)
    return change


_DROP = object()


def _values(edit: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict, dict], None]:
    def change(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
        arrays["values/two_point"] = edit(arrays["values/two_point"])
    return change


def _nan(values: np.ndarray) -> np.ndarray:
    return np.full_like(values, np.nan, dtype=float)


def _settings(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    meta["descriptors"]["two_point"]["bogus"] = 1


def _unknown_descriptor(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    meta["descriptors"]["no_such_descriptor"] = {}
    arrays["values/no_such_descriptor"] = np.zeros(3)


def _garbage_json(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    meta.clear()


BAD_CHARACTERIZATIONS: dict[str, tuple[str, Callable[[Path, Path], None] | None]] = {
    "missing": ("missing.npz", None),
    "empty": ("empty.npz", _bytes("empty.npz", b"")),
    "text": ("text.npz", _bytes("text.npz", b"two_point = 0.5\n")),
    "labels": ("labels.npz", _npz("labels.npz", labels=np.eye(8, dtype=np.uint8))),
    "npy": ("single.npy", _array("single.npy", np.eye(8, dtype=np.uint8))),
    "pickled": ("objects.npz", _pickled_npz),
    "truncated": ("cut.npz", _bytes("cut.npz", b"PK\x03\x04" + b"\0" * 40)),
    "json": ("json.npz", _meta_npz("json.npz", lambda m, a: m.update(format="x"))),
    "newer": ("newer.npz", _meta_npz("newer.npz", _set(format_version=99))),
    "lacks-keys": ("lacks.npz", _meta_npz("lacks.npz", _set(shape=_DROP))),
    "n-phases-0": ("phases0.npz", _meta_npz("phases0.npz", _set(n_phases=0))),
    "n-phases-text": ("phasesx.npz", _meta_npz("phasesx.npz", _set(n_phases="two"))),
    "shape-negative": ("shape.npz", _meta_npz("shape.npz", _set(shape=[-5, 64]))),
    "shape-text": ("shapex.npz", _meta_npz("shapex.npz", _set(shape="abc"))),
    "unknown-parameter": ("param.npz", _meta_npz("param.npz", _settings)),
    "unknown-descriptor": ("desc.npz", _meta_npz("desc.npz", _unknown_descriptor)),
    "descriptors-list": ("dlist.npz", _meta_npz("dlist.npz", _set(descriptors=["two_point"]))),
    "values-nan": ("nanvalues.npz", _meta_npz("nanvalues.npz", _values(_nan))),
    "per-axis-text": ("peraxis.npz", _meta_npz("peraxis.npz", _set(per_axis="maybe"))),
}
"""Crafted characterization files."""

CHARACTERIZATION_COMMANDS: dict[str, tuple[str, ...]] = {
    "reconstruct": ("reconstruct", "{X}", "--shape", "16", "16", "--max-iter", "1", "--quiet",
                    "--device", "cpu", "-o", "{F}/run"),
    "merge": ("merge", "{X}", "-o", "{F}/out.npz"),
    "interpolate-from": ("interpolate", "{X}", "{in}/char.npz", "--steps", "2", "-o",
                         "{F}/steps"),
    "interpolate-to": ("interpolate", "{in}/char.npz", "{X}", "--steps", "2", "-o",
                       "{F}/steps"),
    "view-characterization": ("view", "{X}", "--kind", "characterization", "--save",
                              "{F}/out.png"),
}

RUN = ("--max-iter", "1", "--quiet", "--device", "cpu")
MATCH = ("match", "{in}/small.npy", *RUN)
RECONSTRUCT = ("reconstruct", "{in}/char.npz", "--shape", "16", "16", *RUN)


def _run_options(base: tuple[str, ...], option: tuple[str, ...]) -> tuple[str, ...]:
    """``base`` with ``option``, its ``--shape`` replaced and ``-o`` added where not given."""
    if "--shape" in option and "--shape" in base:
        at = base.index("--shape")
        base = base[:at] + base[at + 3:]
    return (*base, *option) if "-o" in option else (*base, *option, "-o", "{F}/run")
RESUME = ("reconstruct", "--resume", "{F}/run", "--quiet", "--device", "cpu")

OPTION_CASES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # characterize
    ("characterize-limit-0", ("characterize", "{in}/small.npy", "--limit-to", "0", "-o",
                              "{F}/out.npz"), ("limit",)),
    ("characterize-limit-negative", ("characterize", "{in}/small.npy", "--limit-to", "-3", "-o",
                                     "{F}/out.npz"), ("limit",)),
    ("characterize-limit-huge", ("characterize", "{in}/small.npy", "--limit-to", "1000", "-o",
                                 "{F}/out.npz"), ("1000",)),
    ("characterize-descriptor-unknown", ("characterize", "{in}/small.npy", "--descriptors",
                                         "nosuch", "-o", "{F}/out.npz"), ("nosuch",)),
    ("characterize-descriptors-empty", ("characterize", "{in}/small.npy", "--descriptors", ",",
                                        "-o", "{F}/out.npz"), ("--descriptors",)),
    ("characterize-threshold-text", ("characterize", "{in}/gray.npy", "--threshold", "abc",
                                     "-o", "{F}/out.npz"), ("abc",)),
    ("characterize-threshold-nan", ("characterize", "{in}/gray.npy", "--threshold", "nan",
                                    "-o", "{F}/out.npz"), ("nan",)),
    ("characterize-phases-0", ("characterize", "{in}/gray.npy", "--phases", "0", "-o",
                               "{F}/out.npz"), ("phases",)),
    ("characterize-phases-1", ("characterize", "{in}/gray.npy", "--phases", "1", "-o",
                               "{F}/out.npz"), ("phases",)),
    ("characterize-phases-huge", ("characterize", "{in}/gray.npy", "--phases", "100000", "-o",
                                  "{F}/out.npz"), ("100000",)),
    ("characterize-gray-unsegmented", ("characterize", "{in}/gray.npy", "-o", "{F}/out.npz"),
     ("--threshold",)),
    ("characterize-option-format", ("characterize", "{in}/small.npy", "--descriptor-option",
                                    "bogus", "-o", "{F}/out.npz"), ("bogus",)),
    ("characterize-option-unknown", ("characterize", "{in}/small.npy", "--descriptors",
                                     "two_point", "--descriptor-option", "two_point.nosuch=1",
                                     "-o", "{F}/out.npz"), ("nosuch",)),
    ("characterize-option-unlisted", ("characterize", "{in}/small.npy", "--descriptors",
                                      "two_point", "--descriptor-option",
                                      "lineal_path.limit_to=3", "-o", "{F}/out.npz"),
     ("lineal_path",)),
    ("characterize-option-value", ("characterize", "{in}/small.npy", "--descriptors",
                                   "two_point", "--descriptor-option", "two_point.limit_to=-4",
                                   "-o", "{F}/out.npz"), ("limit_to",)),
    ("characterize-device", ("characterize", "{in}/small.npy", "--device", "tpu", "-o",
                             "{F}/out.npz"), ("tpu",)),
    ("characterize-threads-0", ("characterize", "{in}/small.npy", "--threads", "0", "-o",
                                "{F}/out.npz"), ("threads",)),
    ("characterize-threads-negative", ("characterize", "{in}/small.npy", "--threads", "-2",
                                       "-o", "{F}/out.npz"), ("threads",)),
    ("characterize-no-output", ("characterize", "{in}/small.npy"), ("--output",)),
    ("characterize-output-directory", ("characterize", "{in}/small.npy", "-o",
                                       "{F}/outdir.npz"), ("outdir.npz",)),
    ("characterize-one-pixel-thin", ("characterize", "{in}/thin.npy", "-o", "{F}/out.npz"),
     ("thin.npy", "too thin")),
    ("characterize-3phase-limit", ("characterize", "{in}/three.npy", "--limit-to", "40", "-o",
                                   "{F}/out.npz"), ("40",)),
    # match and reconstruct share their run options
    *[(f"{tag}-{name}", _run_options(base, option), says)
      for tag, base in (("match", MATCH), ("reconstruct", RECONSTRUCT))
      for name, option, says in [
          ("shape-negative", ("--shape", "-5", "64"), ("-5",)),
          ("shape-fraction", ("--shape", "6.5", "64"), ("6.5",)),
          ("shape-zero", ("--shape", "0", "16"), ("shape",)),
          ("shape-four", ("--shape", "4", "4", "4", "4"), ("shape",)),
          ("shape-text", ("--shape", "abc"), ("abc",)),
          ("max-iter-negative", ("--max-iter", "-1"), ("max_iter",)),
          ("snapshot-every-negative", ("--snapshot-every", "-1"), ("snapshot",)),
          ("checkpoint-every-negative", ("--checkpoint-every", "-1"), ("checkpoint",)),
          ("checkpoint-every-nan", ("--checkpoint-every", "nan"), ("checkpoint",)),
          ("time-limit-negative", ("--time-limit", "-1"), ("time",)),
          ("time-limit-nan", ("--time-limit", "nan"), ("time",)),
          ("multigrid-0", ("--multigrid", "0"), ("multigrid",)),
          ("multigrid-huge", ("--multigrid", "40"), ("multigrid",)),
          ("optimizer-unknown", ("--optimizer", "nosuch"), ("nosuch",)),
          ("loss-unknown", ("--loss", "nosuch"), ("nosuch",)),
          ("descriptor-unknown", ("--descriptors", "nosuch"), ("nosuch",)),
          ("weights-text", ("--weights", "abc"), ("abc",)),
          ("weights-count", ("--weights", "1,2,3,4,5"), ("weight",)),
          ("weights-negative", ("--weights", "two_point=-1"), ("-1",)),
          ("weights-nan", ("--weights", "two_point=nan"), ("nan",)),
          ("weights-unknown", ("--weights", "nosuch=1"), ("nosuch",)),
          ("option-unknown", ("--optimizer-option", "bogus=1"), ("bogus",)),
          ("option-format", ("--optimizer-option", "bogus"), ("bogus",)),
          ("noise-nan", ("--optimizer", "annealing", "--optimizer-option", "noise=nan"),
           ("noise",)),
          ("annealing-option-negative", ("--optimizer", "annealing", "--optimizer-option",
                                         "final_ratio=-1"), ("final_ratio",)),
          ("annealing-multigrid", ("--optimizer", "annealing", "--multigrid", "2"),
           ("multigrid",)),
          ("annealing-polish", ("--optimizer", "annealing", "--polish"), ("polish",)),
          ("device-unknown", ("--device", "tpu"), ("tpu",)),
          ("threads-0", ("--threads", "0"), ("threads",)),
          ("seed-negative", ("--seed", "-1"), ("seed",)),
          ("force-impossible", ("--shape", "10000", "10000", "10000", "--force"),
           ("memory",)),
          ("too-large", ("--shape", "10000", "10000", "10000"), ("free",)),
          ("plot-missing-directory", ("--plot", "{F}/nodir/plot.png"), ("nodir",)),
          ("plot-unknown-format", ("--plot", "{F}/plot.xyz"), ("xyz",)),
          ("plot-unwritable", ("--plot", "{ro}/plot.png"), ("plot.png",)),
          ("output-unwritable", ("-o", "{ro}/run"), ("run",)),
          ("output-is-file", ("-o", "{F}/afile"), ("afile",)),
      ]],
    ("match-add-dimension-0", (*MATCH, "--add-dimension", "0", "-o", "{F}/run"),
     ("add_dimension",)),
    ("match-add-dimension-negative", (*MATCH, "--add-dimension", "-4", "-o", "{F}/run"),
     ("add_dimension",)),
    ("match-limit-huge", (*MATCH, "--limit-to", "1000", "-o", "{F}/run"), ("1000",)),
    ("match-3d-add-dimension", ("match", "{in}/cube.npy", *RUN, "--add-dimension", "4", "-o",
                                "{F}/run"), ("add_dimension",)),
    ("reconstruct-no-shape", ("reconstruct", "{in}/char.npz", *RUN, "-o", "{F}/run"),
     ("--shape",)),
    ("reconstruct-nothing", ("reconstruct", "--quiet"), ("--resume",)),
    ("reconstruct-3d-target-2d-shape", ("reconstruct", "{in}/cube.npz", "--shape", "8", "8",
                                        *RUN, "-o", "{F}/run"), ("isotropic",)),
    # smooth
    *[(f"smooth-{name}", ("smooth", "{in}/small.npy", *option, "-o", "{F}/out.npy"), says)
      for name, option, says in [
          ("strength-huge", ("--strength", "1e9"), ("1000000000",)),
          ("strength-negative", ("--strength", "-1"), ("-1",)),
          ("strength-text", ("--strength", "abc"), ("abc",)),
          ("strength-nan", ("--strength", "nan"), ("nan",)),
          ("strength-inf", ("--strength", "inf"), ("inf",)),
          ("strength-count", ("--strength", "1,2,3"), ("strength",)),
          ("method-unknown", ("--method", "nosuch"), ("nosuch",)),
          ("median-huge", ("--method", "median", "--strength", "1e9"), ("1000000000",)),
      ]],
    ("smooth-output-suffix", ("smooth", "{in}/small.npy", "-o", "{F}/out.xyz"), ("xyz",)),
    ("smooth-png-3d", ("smooth", "{in}/cube.npy", "-o", "{F}/out.png"), ("png",)),
    ("smooth-gray", ("smooth", "{in}/gray.npy", "-o", "{F}/out.npy"), ("--threshold",)),
    # interpolate
    *[(f"interpolate-{name}", ("interpolate", "{in}/char.npz", *second, *option, "-o",
                               "{F}/steps"), says)
      for name, second, option, says in [
          ("steps-huge", ("{in}/char.npz",), ("--steps", "100000000"), ("100000000",)),
          ("steps-0", ("{in}/char.npz",), ("--steps", "0"), ("steps",)),
          ("steps-1", ("{in}/char.npz",), ("--steps", "1"), ("steps",)),
          ("steps-negative", ("{in}/char.npz",), ("--steps", "-3"), ("steps",)),
          ("steps-text", ("{in}/char.npz",), ("--steps", "many"), ("--steps",)),
          ("phases-differ", ("{in}/char3.npz",), (), ("phases",)),
          ("descriptors-differ", ("{in}/charvf.npz",), (), ("two_point",)),
          ("dimensions-differ", ("{in}/cube.npz",), (), ("cube.npz",)),
      ]],
    ("interpolate-output-file", ("interpolate", "{in}/char.npz", "{in}/char.npz", "-o",
                                 "{F}/afile"), ("afile",)),
    ("interpolate-output-unwritable", ("interpolate", "{in}/char.npz", "{in}/char.npz", "-o",
                                       "{ro}/steps"), ("steps",)),
    # merge
    *[(f"merge-{name}", ("merge", *views, *option, "-o", "{F}/out.npz"), says)
      for name, views, option, says in [
          ("orientation-letters", ("{in}/char.npz",), ("--orientation", "x=qq"), ("qq",)),
          ("orientation-format", ("{in}/char.npz",), ("--orientation", "bogus"), ("bogus",)),
          ("orientation-axis", ("{in}/char.npz",), ("--orientation", "w=xy"), ("w",)),
          ("tolerance-negative", ("{in}/char.npz",), ("--tolerance", "-1"), ("tolerance",)),
          ("tolerance-nan", ("{in}/char.npz",), ("--tolerance", "nan"), ("tolerance",)),
          ("four-views", ("{in}/char.npz",) * 4, (), ("three",)),
          ("3d-view", ("{in}/cube.npz",), (), ("cube.npz",)),
          ("phases-differ", ("{in}/char.npz", "{in}/char3.npz"), (), ("phases",)),
          ("no-views", (), (), ("VIEWS",)),
      ]],
    ("merge-output-missing-directory", ("merge", "{in}/char.npz", "-o", "{F}/nodir/out.npz"),
     ("nodir",)),
    ("merge-output-unwritable", ("merge", "{in}/char.npz", "-o", "{ro}/out.npz"), ("out.npz",)),
    # compare
    *[(f"compare-{name}", ("compare", *pair, *option, "-o", "{F}/reports"), says)
      for name, pair, option, says in [
          ("limit-huge", ("{in}/small.npy", "{in}/small.npy"), ("--limit-to", "1000"),
           ("1000",)),
          ("limit-0", ("{in}/small.npy", "{in}/small.npy"), ("--limit-to", "0"), ("limit",)),
          ("limit-negative", ("{in}/small.npy", "{in}/small.npy"), ("--limit-to", "-2"),
           ("limit",)),
          ("phases-differ", ("{in}/small.npy", "{in}/three.npy"), (), ("label values",)),
          ("threshold-text", ("{in}/gray.npy", "{in}/gray.npy"), ("--threshold", "abc"),
           ("abc",)),
          ("run-directory-empty", ("{in}/small.npy", "{F}/adir"), (), ("adir",)),
          ("run-directory-not-a-run", ("{in}/small.npy", "{F}/folder.npy"), (),
           ("folder.npy",)),
      ]],
    ("compare-output-unwritable", ("compare", "{in}/small.npy", "{in}/small.npy", "-o",
                                   "{ro}/reports"), ("reports",)),
    ("compare-output-file", ("compare", "{in}/small.npy", "{in}/small.npy", "-o", "{F}/afile"),
     ("afile",)),
    # export
    *[(f"export-{name}", ("export", "{in}/small.npy", *option), says)
      for name, option, says in [
          ("to-unknown", ("--to", "bogus", "-o", "{F}/out.vti"), ("bogus",)),
          ("suffix-unknown", ("-o", "{F}/out.xyz"), ("xyz",)),
          ("voxel-text", ("--voxel-size", "abc", "-o", "{F}/out.vti"), ("abc",)),
          ("voxel-negative", ("--voxel-size", "-1", "-o", "{F}/out.vti"), ("-1",)),
          ("voxel-zero", ("--voxel-size", "0", "-o", "{F}/out.vti"), ("voxel",)),
          ("voxel-count", ("--voxel-size", "1,2,3,4", "-o", "{F}/out.vti"), ("voxel",)),
          ("output-missing-directory", ("-o", "{F}/nodir/out.tif"), ("nodir",)),
          ("output-unwritable", ("-o", "{ro}/out.tif"), ("out.tif",)),
          ("output-directory", ("-o", "{F}/adir"), ("adir",)),
      ]],
    ("export-3d-axis", ("export", "{in}/cube.npy", "--axis", "q", "-o", "{F}/slices.png"),
     ("q",)),
    ("export-run-unfinished", ("export", "{F}/run", "-o", "{F}/out.npy"), ("run",)),
    # view
    *[(f"view-{name}", ("view", *target, "--save", *option), says)
      for name, target, option, says in [
          ("kind-unknown", ("{in}/small.npy", "--kind", "bogus"), ("{F}/out.png",), ("bogus",)),
          ("kind-convergence-npy", ("{in}/small.npy", "--kind", "convergence"), ("{F}/out.png",),
           ("convergence",)),
          ("kind-report-npy", ("{in}/small.npy", "--kind", "report"), ("{F}/out.png",),
           ("report",)),
          ("kind-characterization-npy", ("{in}/small.npy", "--kind", "characterization"),
           ("{F}/out.png",), ("characterization",)),
          ("kind-microstructure-npz", ("{in}/char.npz", "--kind", "microstructure"),
           ("{F}/out.png",), ("microstructure",)),
          ("save-unknown-format", ("{in}/small.npy",), ("{F}/out.xyz",), ("xyz",)),
          ("save-missing-directory", ("{in}/small.npy",), ("{F}/nodir/out.png",), ("nodir",)),
          ("save-unwritable", ("{in}/small.npy",), ("{ro}/out.png",), ("out.png",)),
          ("report-garbage", ("{F}/report.json",), ("{F}/out.png",), ("report.json",)),
          ("not-a-run", ("{F}/folder.npy",), ("{F}/out.png",), ("folder.npy",)),
      ]],
    ("view-animate-npy", ("view", "{in}/small.npy", "--animate", "{F}/out.gif"),
     ("convergence.npz",)),
    ("view-animate-format", ("view", "{F}/run", "--animate", "{F}/out.xyz"), ("xyz",)),
    # properties
    *[(f"properties-{name}", ("properties", "{in}/small.npy", *option, "-o", "{F}/out.json"),
       says)
      for name, option, says in [
          ("phase-unknown", ("--phases", "7"), ("7",)),
          ("phase-text", ("--phases", "a"), ("a",)),
          ("axis-unknown", ("--axes", "w"), ("w",)),
          ("axis-3d-on-2d", ("--axes", "z"), ("z",)),
          ("voxel-negative", ("--voxel-size", "-1"), ("-1",)),
          ("voxel-text", ("--voxel-size", "abc"), ("abc",)),
          ("original-dimensions", ("--original", "{in}/cube.npy"), ("dimension",)),
          ("original-missing", ("--original", "{F}/missing.npy"), ("missing.npy",)),
      ]],
    ("properties-output-missing-directory", ("properties", "{in}/small.npy", "-o",
                                             "{F}/nodir/out.json"), ("nodir",)),
    ("properties-output-unwritable", ("properties", "{in}/small.npy", "-o", "{ro}/out.json"),
     ("out.json",)),
    # examples
    ("examples-unknown", ("examples", "nosuch"), ("nosuch",)),
    ("examples-output-without-name", ("examples", "-o", "{F}/out.npy"), ("NAME",)),
    ("examples-output-suffix", ("examples", "pymks_ms_64x64_1", "-o", "{F}/out.xyz"), ("xyz",)),
    ("examples-output-unwritable", ("examples", "pymks_ms_64x64_1", "-o", "{ro}/out.npy"),
     ("out.npy",)),
    ("examples-output-under-file", ("examples", "pymks_ms_64x64_1", "-o", "{F}/afile/out.npy"),
     ("afile",)),
    # characterize and smooth outputs
    ("characterize-output-missing-directory", ("characterize", "{in}/small.npy", "-o",
                                               "{F}/nodir/out.npz"), ("nodir",)),
    ("characterize-output-unwritable", ("characterize", "{in}/small.npy", "-o",
                                        "{ro}/out.npz"), ("out.npz",)),
    ("characterize-plot-missing-directory", ("characterize", "{in}/small.npy", "--plot",
                                             "{F}/nodir/p.png", "-o", "{F}/out.npz"),
     ("nodir",)),
    ("characterize-plot-unknown-format", ("characterize", "{in}/small.npy", "--plot",
                                          "{F}/p.xyz", "-o", "{F}/out.npz"), ("xyz",)),
    ("characterize-output-under-file", ("characterize", "{in}/small.npy", "-o",
                                        "{F}/afile/out.npz"), ("afile",)),
    ("smooth-output-missing-directory", ("smooth", "{in}/small.npy", "-o", "{F}/nodir/out.npy"),
     ("nodir",)),
    ("smooth-output-unwritable", ("smooth", "{in}/small.npy", "-o", "{ro}/out.npy"),
     ("out.npy",)),
    ("smooth-output-directory", ("smooth", "{in}/small.npy", "-o", "{F}/adir"), ("adir",)),
]
"""Bad option values and awkward outputs: name, command line, what the message names."""


def _damaged_run(change: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        shutil.copytree(inputs / "run", folder / "run")
        change(folder / "run")
    return build


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda run: (run / name).write_bytes(data)


def _checkpoint(edit: Callable[[dict[str, Any]], Any]) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        import torch

        state = torch.load(run / "checkpoint.pt", weights_only=True)
        torch.save(edit(state), run / "checkpoint.pt")
    return change


def _edited(state: dict[str, Any], **items: Any) -> dict[str, Any]:
    for key, value in items.items():
        if value is _DROP:
            state.pop(key)
        else:
            state[key] = value
    return state


class _Payload:
    """Pickled into a checkpoint: loading with ``weights_only`` must refuse it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("pickled code ran",))


def _run_json(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        document = json.loads((run / "run.json").read_text())
        edit(document)
        (run / "run.json").write_text(json.dumps(document))
    return change


def _settings_edit(**items: Any) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["settings"].update(items)
    return edit


def _torch_save_payload(run: Path) -> None:
    import torch

    torch.save({"theta": _Payload()}, run / "checkpoint.pt")


def _remove(*names: str) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        for name in names:
            (run / name).unlink()
    return change


RESUME_CASES: list[tuple[str, Callable[[Path], None] | None, tuple[str, ...], tuple[str, ...]]] = [
    ("checkpoint-empty", _write("checkpoint.pt", b""), (), ("checkpoint.pt",)),
    ("checkpoint-text", _write("checkpoint.pt", b"not a checkpoint\n"), (), ("checkpoint",)),
    ("checkpoint-pickled", _torch_save_payload, (), ("checkpoint",)),
    ("checkpoint-theta-shape", _checkpoint(lambda s: _edited(s, theta=s["theta"][..., :3])), (),
     ("checkpoint",)),
    ("checkpoint-no-iteration", _checkpoint(lambda s: _edited(s, iteration=_DROP)), (),
     ("iteration",)),
    ("checkpoint-iteration-negative", _checkpoint(lambda s: _edited(s, iteration=-7)), (),
     ("-7",)),
    ("checkpoint-level-huge", _checkpoint(lambda s: _edited(s, level=9)), (), ("level",)),
    ("checkpoint-list", _checkpoint(lambda s: [1, 2, 3]), (), ("checkpoint",)),
    ("run-json-no-settings", _run_json(lambda d: d.pop("settings")), (), ("settings",)),
    ("run-json-shape-text", _run_json(_settings_edit(shape="abc")), (), ("abc",)),
    ("run-json-max-iter-text", _run_json(_settings_edit(max_iter="many")), (), ("many",)),
    ("run-json-unknown-setting", _run_json(_settings_edit(bogus=1)), (), ("bogus",)),
    ("run-json-garbage", _write("run.json", b"{ not json"), (), ("run.json",)),
    ("run-json-list", _write("run.json", b"[1, 2]"), (), ("run.json",)),
    ("run-json-newer", _run_json(lambda d: d.update(format_version=99)), (), ("upgrade",)),
    ("run-json-settings-list", _run_json(lambda d: d.update(settings=[1])), (), ("settings",)),
    ("run-json-no-target", _run_json(lambda d: d.pop("target")), (), ("target",)),
    ("convergence-truncated", _write("convergence.npz", b"PK\x03\x04" + b"\0" * 30), (),
     ("convergence",)),
    ("convergence-text", _write("convergence.npz", b"loss 1 2 3"), (), ("convergence",)),
    ("target-missing", _remove("characterization.npz"), (), ("characterization.npz",)),
    ("target-damaged", _write("characterization.npz", b"garbage"), (),
     ("characterization.npz",)),
    ("original-damaged", _write("original.npy", b"garbage"), (), ("original.npy",)),
    ("max-iter-negative", None, ("--max-iter", "-1"), ("max_iter",)),
    ("time-limit-negative", None, ("--time-limit", "-1"), ("time",)),
    ("device-unknown", None, ("--device", "tpu"), ("tpu",)),
    ("threads-0", None, ("--threads", "0"), ("threads",)),
]
"""Damaged run directories given to ``--resume``: name, damage, options, what is named."""


def _spec(name: str, text: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        (folder / name).write_text(text.replace("{in}", str(inputs)))
    return build


_TARGET = "characterization: {in}/char.npz\nshape: [16, 16]\nmax_iter: 1\ndevice: cpu\n"
BATCH_CASES: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("spec-missing", "missing.yaml", "", (), ("missing.yaml",)),
    ("spec-empty", "empty.yaml", "", (), ("empty.yaml",)),
    ("spec-not-yaml", "broken.yaml", "a: [1, 2\n", (), ("broken.yaml",)),
    ("spec-python-tag", "tag.yaml", "!!python/object/apply:os.system ['echo hacked']\n", (),
     ("tag.yaml",)),
    ("spec-list", "list.yaml", "- 1\n- 2\n", (), ("list.yaml",)),
    ("spec-suffix", "spec.txt", _TARGET, (), ("spec.txt",)),
    ("spec-json-broken", "spec.json", "{\"a\": ", (), ("spec.json",)),
    ("no-target", "spec.yaml", "shape: [16, 16]\n", (), ("characterization",)),
    ("two-targets", "spec.yaml", _TARGET + "microstructure: {in}/small.npy\n", (),
     ("microstructure",)),
    ("target-missing", "spec.yaml", "characterization: nothere.npz\nshape: [16, 16]\n", (),
     ("nothere.npz",)),
    ("target-damaged", "spec.yaml", "characterization: {in}/small.npy\nshape: [16, 16]\n", (),
     ("small.npy",)),
    ("unknown-setting", "spec.yaml", _TARGET + "bogus: 1\n", (), ("bogus",)),
    ("shape-negative", "spec.yaml", _TARGET.replace("[16, 16]", "[-5, 64]"), (), ("-5",)),
    ("max-iter-negative", "spec.yaml", _TARGET.replace("max_iter: 1", "max_iter: -1"), (),
     ("max_iter",)),
    ("max-iter-text", "spec.yaml", _TARGET.replace("max_iter: 1", "max_iter: many"), (),
     ("many",)),
    ("optimizer-unknown", "spec.yaml", _TARGET + "optimizer: nosuch\n", (), ("nosuch",)),
    ("noise-negative", "spec.yaml", _TARGET + "noise: -1\n", (), ("noise",)),
    ("time-limit-negative", "spec.yaml", _TARGET + "time_limit: -1\n", (), ("time_limit",)),
    ("snapshot-negative", "spec.yaml", _TARGET + "snapshot_every: -1\n", (), ("snapshot",)),
    ("checkpoint-negative", "spec.yaml", _TARGET + "checkpoint_every: -1\n", (),
     ("checkpoint",)),
    ("n-samples-negative", "spec.yaml", _TARGET + "n_samples: -1\n", (), ("n_samples",)),
    ("seed-negative", "spec.yaml", _TARGET + "seed: -3\n", (), ("seed",)),
    ("grid-empty", "spec.yaml", _TARGET + "grid: {max_iter: []}\n", (), ("grid",)),
    ("grid-not-list", "spec.yaml", _TARGET + "grid: {max_iter: 3}\n", (), ("grid",)),
    ("interpolate-steps", "spec.yaml", "interpolate: [{in}/char.npz, {in}/char.npz]\n"
     "n_steps: 1\nshape: [16, 16]\n", (), ("n_steps",)),
    ("option-n-samples-0", "spec.yaml", _TARGET, ("--n-samples", "0"), ("n_samples",)),
    ("option-workers-0", "spec.yaml", _TARGET, ("--workers", "0"), ("workers",)),
    ("option-threads-0", "spec.yaml", _TARGET, ("--threads-per-worker", "0"), ("threads",)),
    ("option-cluster-unknown", "spec.yaml", _TARGET, ("--cluster", "nosuch"), ("nosuch",)),
    ("option-scheduler-and-cluster", "spec.yaml", _TARGET,
     ("--scheduler", "tcp://127.0.0.1:1", "--cluster", "slurm"), ("--scheduler",)),
]
"""Bad batch SPECs and options: name, file, text, options, what the message names."""

JOB_FAILURES = {"target-damaged", "shape-negative", "max-iter-negative", "max-iter-text",
                "optimizer-unknown", "noise-negative", "time-limit-negative",
                "snapshot-negative", "checkpoint-negative"}
"""Bad settings of a job (not of the SPEC): the job fails, the others would go on."""
BATCH_RECORDS = ("batch", "batch/batch.json", "batch/summary.csv")
"""What a batch whose jobs all failed keeps: its record and summary table."""


USAGE_ERRORS = {
    "batch/option-scheduler-and-cluster", "characterize/characterize-descriptors-empty",
    "characterize/characterize-no-output", "characterize/characterize-option-format",
    "characterize/characterize-option-unlisted", "characterize/characterize-threshold-text",
    "compare/compare-threshold-text", "examples/examples-output-without-name",
    "export/export-voxel-text", "interpolate/interpolate-steps-text", "match/match-option-format",
    "match/match-shape-four", "match/match-shape-fraction", "match/match-shape-text",
    "match/match-weights-text", "merge/merge-no-views", "merge/merge-orientation-format",
    "properties/properties-phase-text", "properties/properties-voxel-text",
    "reconstruct/reconstruct-no-shape", "reconstruct/reconstruct-nothing",
    "reconstruct/reconstruct-option-format", "reconstruct/reconstruct-shape-four",
    "reconstruct/reconstruct-shape-fraction", "reconstruct/reconstruct-shape-text",
    "reconstruct/reconstruct-weights-text", "smooth/smooth-strength-text",
}
"""Cases whose command line itself is wrong (exit 2: text for a number, a missing argument,
a malformed option); every other refusal is of a file or value (exit 1)."""


def all_cases() -> list[Case]:
    """Every case, named ``command/what``."""
    cases: list[Case] = []
    # the tests run every crafted file under the first commands of a grid and each under
    # one more, in turn; the benchmark runs them all
    for grid, files, tested in ((STRUCTURE_COMMANDS, BAD_STRUCTURES, 3),
                                (CHARACTERIZATION_COMMANDS, BAD_CHARACTERIZATIONS, 1)):
        others = list(grid)[tested:]
        for k, (kind, (given, build)) in enumerate(files.items()):
            for target, template in grid.items():
                args = tuple(a.replace("{X}", "{F}/" + given) for a in template)
                drawn = target == "view-characterization" and kind == "values-nan"  # NaN: none
                in_tests = target in list(grid)[:tested] or target == others[k % len(others)]
                says = (given.split(":")[0], *(("NaN",) if kind == "values-nan" else ()))
                cases.append(Case(f"{target}/{kind}", args, says, build,
                                  0 if drawn else 1, benchmark_only=not in_tests))
    for name, args, says in OPTION_CASES:
        build = _unfinished_run if "{F}/run" in args[1:3] else _common_files
        cases.append(Case(f"{args[0]}/{name}", args, says, build,
                          2 if f"{args[0]}/{name}" in USAGE_ERRORS else 1))
    for name, damage, options, says in RESUME_CASES:
        cases.append(Case(f"resume/{name}", (*RESUME, *options), says,
                          _damaged_run(damage or (lambda run: None))))
    cases.append(Case("resume/not-a-directory", (*RESUME[:2], "{in}/small.npy", *RESUME[3:]),
                      ("small.npy",)))
    cases.append(Case("resume/empty-directory", (*RESUME[:2], "{F}/adir", *RESUME[3:]),
                      ("adir",), _common_files))
    cases.append(Case("resume/missing", (*RESUME[:2], "{F}/nothere", *RESUME[3:]),
                      ("nothere",)))
    for name, file, text, options, says in BATCH_CASES:
        build = None if name == "spec-missing" else _spec(file, text)
        # a job that fails is reported in the summary and the batch goes on (exit 1)
        failed_job = name in JOB_FAILURES
        cases.append(Case(f"batch/{name}", ("batch", f"{{F}}/{file}", "-o", "{F}/batch",
                                            "--quiet", *options), says, build,
                          2 if f"batch/{name}" in USAGE_ERRORS else 1,
                          kept=BATCH_RECORDS if failed_job else ()))
    cases.append(Case("batch/output-file", ("batch", "{F}/spec.yaml", "-o", "{F}/afile",
                                            "--quiet"), ("afile",),
                      _both(_spec("spec.yaml", _TARGET), _common_files)))
    cases.append(Case("batch/output-unwritable", ("batch", "{F}/spec.yaml", "-o", "{ro}/batch",
                                                  "--quiet"), ("batch",),
                      _spec("spec.yaml", _TARGET)))
    return cases


def _common_files(folder: Path, inputs: Path) -> None:
    """What option cases may point at: an empty directory, a plain file, a broken report,
    a folder that is not a run, and an unfinished run."""
    (folder / "adir").mkdir()
    (folder / "outdir.npz").mkdir()
    (folder / "afile").write_text("a file\n")
    (folder / "report.json").write_text("{ broken")
    _folder("folder.npy")(folder, inputs)


def _unfinished_run(folder: Path, inputs: Path) -> None:
    _common_files(folder, inputs)
    shutil.copytree(inputs / "run", folder / "run")
    (folder / "run" / "reconstruction.npy").unlink(missing_ok=True)


def _both(*builds: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    def build(folder: Path, inputs: Path) -> None:
        for b in builds:
            b(folder, inputs)
    return build


SLOW = {"batch"}
"""Commands whose refusals start Dask: run by the benchmark only."""


def fast_cases() -> list[Case]:
    """The cases ``tests/cli/test_torture.py`` runs."""
    return [c for c in all_cases() if not c.benchmark_only and c.command not in SLOW]


# ---- inputs ------------------------------------------------------------------------------
def build_inputs(folder: Path) -> Path:
    """The good inputs every case may use, in ``folder``: structures, characterizations
    and an interrupted run."""
    import mcrkit

    folder.mkdir(parents=True, exist_ok=True)
    small = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16].astype(np.uint8)
    np.save(folder / "small.npy", small)
    three = small.copy()
    three[4:8, 4:8] = 2
    np.save(folder / "three.npy", three)
    np.save(folder / "thin.npy", small[:1])
    cube = np.random.default_rng(1).integers(0, 2, (8, 8, 8)).astype(np.uint8)
    np.save(folder / "cube.npy", cube)
    gray = np.linspace(0, 1, 256).reshape(16, 16) + 0.1 * np.random.default_rng(2).random((16, 16))
    np.save(folder / "gray.npy", gray)
    mcrkit.characterize(small, ["two_point"], limit_to=3).save(folder / "char.npz")
    mcrkit.characterize(three, ["two_point"], limit_to=3).save(folder / "char3.npz")
    mcrkit.characterize(small, ["volume_fractions"]).save(folder / "charvf.npz")
    mcrkit.characterize(cube, ["two_point"], limit_to=3).save(folder / "cube.npz")

    def stop(state: Any) -> bool:
        return state.iteration >= 2

    mcrkit.reconstruct(str(folder / "char.npz"), (16, 16), max_iter=4, seed=0, device="cpu",
                       run_dir=folder / "run", callbacks=stop, report=False,
                       original=small)
    return folder


@contextlib.contextmanager
def unwritable_directory(folder: Path):
    """A directory nothing can be written into: a read-only folder, or ``/sys`` where
    permissions do not stop this user (root)."""
    ro = folder / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        try:
            (ro / "probe").touch()
        except OSError:
            yield ro
        else:
            (ro / "probe").unlink()
            yield Path("/sys")
    finally:
        ro.chmod(0o755)
        shutil.rmtree(ro)


# ---- judging -----------------------------------------------------------------------------
def tree(folder: Path) -> set[str]:
    """Every path below ``folder``, relative."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def judge(case: Case, status: int, output: str, before: set[str], after: set[str],
          ro: Path) -> dict[str, Any]:
    """What went wrong in one case: ``traceback``, ``partial`` (new paths), ``status``
    (wrong exit status), ``message`` (says nothing the case names)."""
    new = sorted(after - before)
    if ro != Path("/sys"):
        new += [f"{ro.name}/{p}" for p in tree(ro)]
    problems: dict[str, Any] = {}
    if "Traceback" in output:
        problems["traceback"] = output[-2000:]
    if ".tmp" in output or "<= 0" in output:  # a hidden temporary file, an empty range
        problems["message"] = output[-400:]
    new = [p for p in new if p not in case.kept]
    if new and case.status != 0:
        problems["partial"] = new
    if status != case.status:
        problems["status"] = status
    if case.status != 0 and not any(s.lower() in output.lower() for s in case.says):
        problems["message"] = f"expected {case.says!r} in {output.strip()[-400:]!r}"
    return problems


def prepare(case: Case, folder: Path, inputs: Path, ro: Path) -> list[str]:
    """Build the case's files in ``folder``; its command line."""
    if case.build is not None:
        case.build(folder, inputs)
    return [a.replace("{in}", str(inputs)).replace("{F}", str(folder)).replace("{ro}", str(ro))
            for a in case.args]


@functools.cache
def _cli() -> Any:
    """The ``mcrkit`` command as ``main`` runs it, built once (typer builds it anew on every
    call of ``main``, which costs more than most refusals)."""
    import typer.main

    from mcrkit.cli import app

    return typer.main.get_command(app)


def run_in_process(argv: list[str]) -> tuple[int, str]:
    """Run ``mcrkit argv`` as the CLI's ``main`` does, in this process: exit status and
    everything printed (an exception escaping the command is printed as a traceback)."""
    import traceback

    from mcrkit.cli import normalize_argv

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            _cli().main(args=normalize_argv(argv), prog_name="mcrkit")
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - what the user would see
            traceback.print_exc()
            status = 1
    return status, out.getvalue() + err.getvalue()


def run_subprocess(argv: list[str], cwd: Path, timeout: float) -> tuple[int, str]:
    """Run ``mcrkit argv`` in a fresh process."""
    script = "import sys; from mcrkit.cli import main; sys.exit(main())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]),
           "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    try:
        done = subprocess.run([sys.executable, "-c", script, *argv], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return 124, f"timed out after {timeout} s: {exc.stderr or ''}"
    return done.returncode, done.stdout + done.stderr


def run_case(case: Case, work: Path, inputs: Path, ro: Path, *, in_process: bool,
             timeout: float = 120) -> dict[str, Any]:
    """Run one case in a new folder under ``work``; its problems (empty: passed)."""
    folder = Path(tempfile.mkdtemp(dir=work, prefix=case.name.replace("/", "-") + "-"))
    argv = prepare(case, folder, inputs, ro)
    before = tree(folder)
    if in_process:
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            status, output = run_in_process(argv)
        finally:
            os.chdir(cwd)
    else:
        status, output = run_subprocess(argv, folder, timeout)
    problems = judge(case, status, output, before, tree(folder), ro)
    shutil.rmtree(folder, ignore_errors=True)
    return problems


# ---- the web GUI --------------------------------------------------------------------------
GUI_FORM_CASES: list[tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = [
    # action, input, form values, what the message names
    *[("match", "small.npy", values, says) for values, says in [
        ({"shape": "-5 64"}, ("-5",)), ({"shape": "6.5 64"}, ("6.5",)),
        ({"max_iter": "-1"}, ("max_iter",)), ({"max_iter": "2.5"}, ("2.5",)),
        ({"seed": "-1"}, ("seed",)), ({"multigrid": "0"}, ("multigrid",)),
        ({"time_limit": "-1"}, ("time_limit",)), ({"time_limit": "nan"}, ("time_limit",)),
        ({"weights": "abc"}, ("abc",)), ({"weights": "two_point=-1"}, ("-1",)),
        ({"optimizer": "annealing", "optimizer_options": "noise=nan"}, ("noise",)),
        ({"optimizer_options": "bogus=1"}, ("bogus",)), ({"add_dimension": "0"},
                                                         ("add_dimension",)),
        ({"limit_to": "1000"}, ("1000",)), ({"threads": "0"}, ("threads",)),
        ({"shape": "10000 10000 10000"}, ("free",)), ({"threshold": "abc"}, ("abc",)),
        ({"optimizer": "newton"}, ("newton",)), ({"descriptors": ["nosuch"]}, ("nosuch",)),
    ]],
    *[("reconstruct", "char.npz", values, says) for values, says in [
        ({}, ("shape",)), ({"shape": "0 16"}, ("shape",)),
        ({"shape": "16 16", "max_iter": "-1"}, ("max_iter",)),
        ({"shape": "16 16", "multigrid": "40"}, ("multigrid",)),
        ({"shape": "16 16", "loss": "nosuch"}, ("nosuch",)),
        ({"shape": "16 16", "optimizer": "annealing", "polish": True}, ("polish",)),
        ({"shape": "10000 10000 10000"}, ("free",)),
    ]],
    *[("characterize", "small.npy", values, says) for values, says in [
        ({"limit_to": "0"}, ("limit_to",)), ({"limit_to": "1000"}, ("1000",)),
        ({"descriptors": ["nosuch"]}, ("nosuch",)), ({"threads": "0"}, ("threads",)),
        ({"periodic": "sometimes"}, ("sometimes",)),
    ]],
    *[("characterize", "gray.npy", values, says) for values, says in [
        ({"phases": "1"}, ("phases",)), ({"threshold": "nan"}, ("nan",)), ({}, ("threshold",)),
    ]],
    *[("smooth", "small.npy", values, says) for values, says in [
        ({"strength": "1e9"}, ("1000000000",)), ({"strength": "-1"}, ("-1",)),
        ({"strength": "nan"}, ("nan",)), ({"method": "nosuch"}, ("nosuch",)),
    ]],
    *[("merge", "char.npz", values, says) for values, says in [
        ({"tolerance": "-1"}, ("tolerance",)), ({"orientation": "x=qq"}, ("qq",)),
        ({"views": ["{in}/missing.npz"]}, ("missing.npz",)),
        ({"views": ["{in}/char3.npz"]}, ("phases",)),
    ]],
    *[("interpolate", "char.npz", values, says) for values, says in [
        ({"c_to": "{in}/char.npz", "n_steps": "1"}, ("n_steps",)),
        ({"c_to": "{in}/char.npz", "n_steps": "100000000"}, ("100000000",)),
        ({"c_to": "{in}/missing.npz", "n_steps": "3"}, ("missing.npz",)),
        ({"c_to": "{in}/char3.npz", "n_steps": "3"}, ("phases",)),
        ({"n_steps": "3"}, ("characterization at t = 1",)),
    ]],
]
"""Bad values in the GUI's forms: the action, the uploaded input, the values, what the
message names."""


def gui_upload_files() -> list[tuple[str, str, Callable[[Path, Path], None]]]:
    """The crafted files an upload can carry: name, kind, builder."""
    files = [*(("structure", kind, given, build) for kind, (given, build)
               in BAD_STRUCTURES.items()),
             *(("characterization", kind, given, build) for kind, (given, build)
               in BAD_CHARACTERIZATIONS.items())]
    return [(f"{what}/{kind}", given, build) for what, kind, given, build in files
            if build is not None and ":" not in given and kind != "directory"]


def gui_upload(name: str, build: Callable[[Path, Path], None], folder: Path,
               inputs: Path) -> dict[str, Any]:
    """Upload a crafted file as the page does (stored in the session, then checked); its
    problems: a refusal must be an :class:`UploadError` naming the file, and delete it."""
    from mcrkit.gui.uploads import SessionFiles, UploadError

    build(folder, inputs)
    session = SessionFiles(folder)
    problems: dict[str, Any] = {}
    try:
        upload = session.save(name, (folder / name).read_bytes())
    except UploadError as exc:
        if name not in str(exc) or str(folder) in str(exc):
            problems["message"] = str(exc)
        if any(session.directory.iterdir()):
            problems["partial"] = sorted(p.name for p in session.directory.iterdir())
    except Exception as exc:  # noqa: BLE001 - what the page would show as a failure
        problems["traceback"] = f"{type(exc).__name__}: {exc}"
    else:
        if upload.kind not in ("gray image", "microstructure", "characterization"):
            problems["status"] = upload.kind
    return problems


def gui_form(action: str, given: str, values: dict[str, Any], says: tuple[str, ...], *,
             folder: Path, inputs: Path) -> dict[str, Any]:
    """Submit a form as the page does (the job made from the values, then run); its problems:
    a refusal or a failed job whose message names the value, nothing left in the output."""
    from mcrkit.gui.actions import make_job
    from mcrkit.gui.uploads import SessionFiles

    upload = SessionFiles(folder).save(given, (inputs / given).read_bytes())
    values = {k: [x.replace("{in}", str(inputs)) for x in v] if isinstance(v, list)
              else v.replace("{in}", str(inputs)) if isinstance(v, str) else v
              for k, v in values.items()}
    output = folder / "results"
    output.mkdir()
    problems: dict[str, Any] = {}
    try:
        job = make_job(action, upload, values, output)
    except ValueError as exc:
        message = str(exc)
    else:
        job.run()
        message = job.message
        if job.status != "failed":
            problems["status"] = job.status
        if message.startswith("internal error"):
            problems["traceback"] = message
    if not any(s.lower() in message.lower() for s in says):
        problems["message"] = f"expected {says!r} in {message!r}"
    if any(output.iterdir()):
        problems["partial"] = sorted(str(p.relative_to(output)) for p in output.rglob("*"))
    return problems


def gui_http(work: Path, inputs: Path) -> dict[str, int]:
    """Upload every crafted file to a running ``mcrkit gui`` over HTTP, and one upload that
    declares more than the cap: the server answers, stays up, logs no traceback and keeps
    no refused file."""
    import re
    import socket
    import urllib.error
    import urllib.request
    from http.cookiejar import CookieJar

    counts = {"gui http uploads": 0, "gui http failures": 0}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp = work / "gui-tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]),
           "TMPDIR": str(temp), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    log = open(work / "gui.log", "w+")  # noqa: SIM115 - read back at the end
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from mcrkit.cli import main; sys.exit(main())",
         "gui", "--port", str(port), "-o", str(work / "gui-runs")], env=env, stdout=log,
        stderr=subprocess.STDOUT)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                opener.open(base + "/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        # a good file first: the server keeps it, so uploads do reach its check
        page = opener.open(base + "/", timeout=30).read().decode()
        url = re.search(r"/_nicegui/client/[\w-]+/upload/\d+", page)
        _post_file(opener, base + url.group(0), "good.npy", (inputs / "small.npy").read_bytes())
        for _ in range(300):
            if any(temp.rglob("good.npy")):
                break
            time.sleep(0.1)
        else:
            counts["gui http failures"] += 1
            print("GUI upload of a good file: not kept")
        for name, given, build in gui_upload_files():
            folder = Path(tempfile.mkdtemp(dir=work, prefix="http-"))
            build(folder, inputs)
            page = opener.open(base + "/", timeout=30).read().decode()
            url = re.search(r"/_nicegui/client/[\w-]+/upload/\d+", page)
            status = _post_file(opener, base + url.group(0), given, (folder / given).read_bytes())
            counts["gui http uploads"] += 1
            if status != 200 or server.poll() is not None:
                counts["gui http failures"] += 1
                print(f"GUI upload {name}: HTTP {status}")
            shutil.rmtree(folder)
        page = opener.open(base + "/", timeout=30).read().decode()
        url = re.search(r"/_nicegui/client/[\w-]+/upload/\d+", page)
        request = urllib.request.Request(base + url.group(0), data=b"x" * 100, method="POST",
                                         headers={"Content-Length": str(1 << 40)})
        try:
            opener.open(request, timeout=30)
            declared = 200
        except urllib.error.HTTPError as exc:
            declared = exc.code
        except OSError:  # the server may close the connection at once
            declared = 413
        counts["gui http uploads"] += 1
        if declared != 413:
            counts["gui http failures"] += 1
            print(f"GUI upload declaring 1 TiB: HTTP {declared}")
        time.sleep(2)  # the last upload's check runs after the answer
    finally:
        server.terminate()
        server.wait(timeout=60)
    log.seek(0)
    text = log.read()
    log.close()
    kept = [p for p in temp.rglob("*") if p.is_file()]
    if "Traceback" in text or kept:
        counts["gui http failures"] += 1
        print(f"GUI server log: {text[-3000:]}\nfiles kept: {kept}")
    return counts


def _post_file(opener: Any, url: str, name: str, data: bytes) -> int:
    """POST ``data`` as a multipart file upload named ``name``; the HTTP status."""
    import urllib.error
    import urllib.request

    boundary = "mcrkit-torture-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        return opener.open(request, timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


def gui_cases(work: Path, inputs: Path, *, verbose: bool = False) -> dict[str, int]:
    """Run every upload and form case of the GUI; the counts of :func:`main`."""
    counts = {"cases": 0, "tracebacks": 0, "partial outputs": 0, "wrong status": 0,
              "no message": 0}
    runs: list[tuple[str, Callable[[Path], dict[str, Any]]]] = [
        (f"gui-upload/{name}", functools.partial(_upload_case, given, build, inputs=inputs))
        for name, given, build in gui_upload_files()]
    runs += [(f"gui-form/{action}-{k}", functools.partial(gui_form, action, given, values, says,
                                                          inputs=inputs))
             for k, (action, given, values, says) in enumerate(GUI_FORM_CASES)]
    for name, run in runs:
        folder = Path(tempfile.mkdtemp(dir=work, prefix="gui-"))
        problems = run(folder=folder)
        shutil.rmtree(folder, ignore_errors=True)
        counts["cases"] += 1
        for key, count in (("traceback", "tracebacks"), ("partial", "partial outputs"),
                           ("status", "wrong status"), ("message", "no message")):
            counts[count] += key in problems
        if problems:
            print(f"FAIL {name}")
            if verbose:
                for key, value in problems.items():
                    print(f"    {key}: {value}")
    return counts


def _upload_case(given: str, build: Callable[[Path, Path], None], *, folder: Path,
                 inputs: Path) -> dict[str, Any]:
    return gui_upload(given, build, folder, inputs)


# ---- kills -------------------------------------------------------------------------------
KILLED = """
import os, random, signal, sys, time
import mcrkit
from mcrkit.io import atomic

def kill(*args):
    os.kill(os.getpid(), signal.SIGKILL)

target, run_dir, optimizer, moment = sys.argv[1:5]
if moment.startswith("write:"):  # inside the n-th write of a file: written, not yet renamed
    name, n = moment[6:].rsplit(":", 1)
    seen = [0]
    replace = os.replace
    def replace_or_die(src, dst):
        if os.path.basename(dst) == name:
            seen[0] += 1
            if seen[0] == int(n):
                kill()
        return replace(src, dst)
    atomic.os.replace = replace_or_die
else:  # after a delay in seconds, from a timer thread
    import threading
    threading.Timer(float(moment), kill).start()
mcrkit.reconstruct(target, (16, 16), run_dir=run_dir, **OPTIONS[optimizer])
"""

KILL_OPTIONS = {
    "lbfgs": {"max_iter": 30, "seed": 0, "device": "cpu", "checkpoint_every": 0.0,
              "snapshot_every": 5},
    "annealing": {"optimizer": "annealing", "max_iter": 30, "seed": 0, "device": "cpu",
                  "checkpoint_every": 0.0, "snapshot_every": 5},
}
WRITES = ("checkpoint.pt", "convergence.npz", "run.json", "reconstruction.npy", "report.json")


def kill_run(target: Path, run_dir: Path, optimizer: str, moment: str) -> int:
    """Start a run in a fresh process and kill it at ``moment``; its exit status."""
    script = KILLED.replace("OPTIONS", repr(KILL_OPTIONS))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]),
           "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", script, str(target), str(run_dir), optimizer,
                           moment], env=env, capture_output=True, text=True, timeout=600)
    return done.returncode


def usable(run_dir: Path) -> str:
    """How a killed run's directory can be used: ``resume``, ``restart`` (killed while
    starting: the same command starts again in it), ``absent`` (nothing left) or
    ``unusable``."""
    from mcrkit.io.rundir import RunDirectory, RunDirectoryError

    if not run_dir.exists() or not any(run_dir.iterdir()):
        return "absent"
    if RunDirectory(run_dir).stopped_while_starting():
        return "restart"
    try:
        RunDirectory.open(run_dir).read_metadata()
    except RunDirectoryError:
        return "unusable"
    return "resume"


def kill_sweep(work: Path, inputs: Path, kills: int, rng: np.random.Generator
               ) -> dict[str, int]:
    """Kill gradient and annealing runs at random moments and inside every write; resume
    each; count unusable directories and resumes that differ from the uninterrupted run."""
    import mcrkit

    counts = {"kills": 0, "unusable": 0, "differ": 0, "absent": 0, "restarted": 0}
    target = inputs / "char.npz"
    for optimizer, options in KILL_OPTIONS.items():
        full_dir = work / f"full-{optimizer}"
        start = time.perf_counter()
        full = mcrkit.reconstruct(str(target), (16, 16), run_dir=full_dir, **options)
        seconds = time.perf_counter() - start  # the kill timer starts with the run
        moments = [f"{rng.uniform(0, 1):.3f}" for _ in range(max(kills // 4, 1))]
        moments += [f"{rng.uniform(0, seconds):.3f}" for _ in range(kills - len(moments))]
        moments += [f"write:{name}:{n}" for name in WRITES for n in (1, 2, 3)]
        for moment in moments:
            run_dir = work / f"killed-{optimizer}-{moment.replace(':', '-')}"
            status = kill_run(target, run_dir, optimizer, moment)
            counts["kills"] += status == -signal.SIGKILL
            state = usable(run_dir)
            if state == "unusable":
                counts["unusable"] += 1
                print(f"unusable: {optimizer} killed at {moment}: {run_dir}")
                continue
            if state == "absent":
                counts["absent"] += 1
                continue
            if state == "restart":
                counts["restarted"] += 1
                resumed = mcrkit.reconstruct(str(target), (16, 16), run_dir=run_dir, **options)
            else:
                resumed = mcrkit.resume(run_dir)
            same = (np.array_equal(resumed.labels, full.labels)
                    and np.array_equal(resumed.history["loss"], full.history["loss"]))
            if not same:
                counts["differ"] += 1
                print(f"differs: {optimizer} killed at {moment}: {run_dir}")
            shutil.rmtree(run_dir)
    counts.update(batch_kills(work, inputs, max(kills // 4, 2), rng))
    return counts


BATCH_SPEC = ("characterization: {target}\nshape: [16, 16]\nmax_iter: 20\nseed: 5\n"
              "n_samples: 3\ndevice: cpu\ncheckpoint_every: 0\nreport: false\n")


def batch_kills(work: Path, inputs: Path, kills: int, rng: np.random.Generator
                ) -> dict[str, int]:
    """Kill a local batch (its process group: the batch, its cluster, its workers) at random
    moments, run it again, and compare every job with an uninterrupted batch."""
    counts = {"batch_kills": 0, "batch_differ": 0}
    spec = work / "spec.yaml"
    spec.write_text(BATCH_SPEC.format(target=inputs / "char.npz"))
    argv = ["batch", str(spec), "--quiet", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]),
           "OMP_NUM_THREADS": "1"}
    script = "import sys; from mcrkit.cli import main; sys.exit(main())"
    full = work / "batch-full"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, *argv, "-o", str(full)], env=env,
                   capture_output=True, check=True)
    seconds = time.perf_counter() - start
    for k in range(kills):
        out = work / f"batch-killed-{k}"
        process = subprocess.Popen([sys.executable, "-c", script, *argv, "-o", str(out)],
                                   env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=rng.uniform(0.2, seconds))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        counts["batch_kills"] += 1
        again = subprocess.run([sys.executable, "-c", script, *argv, "-o", str(out)], env=env,
                               capture_output=True, text=True)
        if again.returncode != 0 or not _same_batch(full, out):
            counts["batch_differ"] += 1
            print(f"batch killed once ({out}) differs or failed: {again.stderr[-500:]}")
        shutil.rmtree(out)
    return counts


def _same_batch(a: Path, b: Path) -> bool:
    jobs = sorted(p.name for p in a.iterdir() if (p / "reconstruction.npy").exists())
    return bool(jobs) and all(
        np.array_equal(np.load(a / j / "reconstruction.npy"), np.load(b / j / "reconstruction.npy"))
        for j in jobs)


# ---- main --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in-process", action="store_true",
                        help="call the CLI's main in this process instead of a new process")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--kills", type=int, default=0,
                        help="random kill moments per run kind (0: no kill sweep)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument("--jobs", type=int, default=1,
                        help="cases run side by side (in their own processes)")
    parser.add_argument("--http", action="store_true",
                        help="also upload every crafted file to a running `mcrkit gui`")
    parser.add_argument("--verbose", action="store_true", help="print every failing case")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    work = Path(tempfile.mkdtemp(prefix="mcrkit-torture-"))
    try:
        inputs = build_inputs(work / "inputs")
        cases = [c for c in all_cases() if args.only in c.name]
        counts = {"cases": 0, "tracebacks": 0, "partial outputs": 0, "wrong status": 0,
                  "no message": 0}
        start = time.perf_counter()
        with unwritable_directory(work) as ro:
            seconds = {}

            def timed(case: Case) -> dict[str, Any]:
                begin = time.perf_counter()
                problems = run_case(case, work, inputs, ro, in_process=args.in_process)
                seconds[case.name] = time.perf_counter() - begin
                return problems

            if args.in_process or args.jobs == 1:
                outcomes = map(timed, cases)
            else:  # processes side by side
                from concurrent.futures import ThreadPoolExecutor

                outcomes = ThreadPoolExecutor(args.jobs).map(timed, cases)
            for case, problems in zip(cases, outcomes, strict=True):
                counts["cases"] += 1
                counts["tracebacks"] += "traceback" in problems
                counts["partial outputs"] += "partial" in problems
                counts["wrong status"] += "status" in problems
                counts["no message"] += "message" in problems
                if problems:
                    print(f"FAIL {case.name}: {' '.join(case.args)}")
                    if args.verbose:
                        for key, value in problems.items():
                            print(f"    {key}: {value}")
            if not args.only or args.only.startswith("gui"):
                gui = gui_cases(work, inputs, verbose=args.verbose)
                for key in counts:
                    counts[key] += gui.get(key, 0)
        if args.verbose:
            slowest = sorted(seconds.items(), key=lambda item: -item[1])[:15]
            print("slowest: " + ", ".join(f"{name} {t:.1f} s" for name, t in slowest))
        commands = sorted({c.command for c in cases})
        print(f"{len(cases)} cases over {', '.join(commands)} in "
              f"{time.perf_counter() - start:.0f} s")
        if args.http:
            counts.update(gui_http(work, inputs))
        if args.kills:
            counts.update(kill_sweep(work, inputs, args.kills, np.random.default_rng(args.seed)))
        print(json.dumps(counts))
        bad = sum(v for k, v in counts.items() if k not in (
            "cases", "kills", "absent", "restarted", "batch_kills", "gui http uploads"))
        return 1 if bad else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
