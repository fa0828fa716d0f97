"""Every shell command in README.md and docs/*.md runs as written.

What counts as a command: each line of a fenced ``bash``, ``sh`` or ``shell``
block, the ``$ `` lines of a ``console`` block, and any ``mcrkit ...`` line in
another code block (indented or fenced), so a command cannot hide in an
untagged block. Continued lines (``\\``) are joined, ``# comments`` dropped,
``NAME=VALUE`` lines set shell variables for the lines after them.

A block that cannot run here (GPU, SLURM, installs, long benchmarks, a window
on a display) carries ``<!-- not run: REASON -->`` on the line before it; a
block whose one runnable part sits among setup steps carries
``<!-- run only: COMMAND; REASON -->`` and COMMAND (text of the block) is run
alone. Every other command must succeed, and every mark must name a reason.

How they run: each document's blocks in order, in one new directory, so later
commands use what earlier ones wrote. ``mcrkit`` lines run in this process
through the console script's entry point (:func:`mcrkit.cli.main`; a process
each would cost seconds of start-up), other lines through ``bash``. A
``yaml``/``json``/``python`` block whose first line is a comment naming a
file (``# study.yaml``) is written to that file. The directory holds, under the
names the pages use, small stand-ins made from the bundled examples
(:func:`stand_ins`). Sizes are scaled down by rewriting the command line, never
by a switch in mcrkit: ``--max-iter N`` becomes ``ceil(N / 100)`` (a run given
no ``--max-iter`` gets 5, an annealing run 1), ``--add-dimension N`` and every ``--shape`` value
become ``max(17, N // 8)`` (17: room for the default correlation length 8), and
in SPEC files ``shape`` and ``max_iter`` likewise, ``n_samples`` becomes 1.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"bash", "sh", "shell", "console"}
MARK = re.compile(r"<!--\s*(not run|run only):\s*(.*?)\s*-->")
VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
RUNS = ("match", "reconstruct")


@dataclass
class Block:
    page: Path
    line: int            # 1-based line of the block's first line of code
    lang: str            # info string of a fence; "" for indented blocks
    lines: list[str]
    mark: tuple[str, str] | None  # ("not run" | "run only", text)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The code blocks of a Markdown page (fenced and indented), with the mark before each."""
    text = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(text):
        fence = re.match(r"^\s*(```|~~~)\s*([\w+-]*)", text[i])
        indented = (text[i].startswith("    ") and text[i].strip()
                    and (i == 0 or not text[i - 1].strip()))
        if not fence and not indented:
            i += 1
            continue
        previous = next((t for t in reversed(text[:i]) if t.strip()), "")
        mark = MARK.search(previous)
        start = i
        if fence:
            end = i + 1
            while end < len(text) and not text[end].strip().startswith(fence.group(1)):
                end += 1
            code, lang, i = text[start + 1:end], fence.group(2).lower(), end + 1
        else:
            end = i
            while end < len(text) and (text[end].startswith("    ") or not text[end].strip()):
                end += 1
            code, lang, i = [t[4:] for t in text[start:end]], "", end
        found.append(Block(page, start + 1 + bool(fence), lang, code,
                           (mark.group(1), mark.group(2)) if mark else None))
    return found


def commands(block: Block) -> list[str]:
    """The commands of a block (see the module docstring), continuation lines joined."""
    joined: list[str] = []
    for line in block.lines:
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line)
    if block.lang in SHELL - {"console"}:
        return [c.strip() for c in joined if c.strip() and not c.strip().startswith("#")]
    if block.lang == "console":
        return [c.strip()[2:] for c in joined if c.strip().startswith("$ ")]
    return [c.strip().removeprefix("$ ") for c in joined
            if re.match(r"^(\$ )?mcrkit\s", c.strip())]


# ---- stand-ins ----------------------------------------------------------------------
def _gray(labels: np.ndarray, seed: int) -> np.ndarray:
    """A noisy gray image of two-phase labels, which needs a threshold to segment."""
    noise = np.random.default_rng(seed).normal(0, 12, labels.shape)
    return np.clip(70 + 110 * labels + noise, 0, 255).astype(np.uint8)


def stand_ins(folder: Path) -> None:
    """Files under the names the pages use, made from the bundled examples."""
    import h5py
    import imageio.v3 as iio
    import tifffile

    import mcrkit
    from mcrkit.generators import gaussian_random_field

    pymks, alloy = mcrkit.data.load("pymks_ms_64x64_1"), mcrkit.data.load("alloy_resized_s")
    iio.imwrite(folder / "micrograph.png", _gray(pymks[:36, :36], 0))  # small: quick runs
    iio.imwrite(folder / "img.png", (255 * pymks).astype(np.uint8))
    for name in ("alloy.npy", "alloy_resized_s.npy"):
        np.save(folder / name, alloy)
    volume = gaussian_random_field((24, 24, 24), 2.0, volume_fraction=0.4, seed=0)
    tifffile.imwrite(folder / "volume.tif", volume.transpose(2, 0, 1).astype(np.uint8))
    tifffile.imwrite(folder / "real3d.tif", volume.transpose(2, 0, 1).astype(np.uint8))
    np.save(folder / "volume.npy", volume[:16, :16, :16])
    with h5py.File(folder / "data.h5", "w") as fh:
        fh["scan/labels"] = volume
    # fibres along z seen from the side (rows along z) and isotropic from the top
    iio.imwrite(folder / "side.png", _gray(gaussian_random_field(
        (96, 96), (4.5, 1.5), volume_fraction=0.4, seed=1), 1))
    iio.imwrite(folder / "top.png", _gray(gaussian_random_field(
        (96, 96), 1.5, volume_fraction=0.4, seed=2), 2))
    for name, labels in (("alloy_a.npz", alloy), ("alloy_b.npz", pymks)):  # docs/cluster.md
        mcrkit.characterize(labels, ["volume_fractions", "two_point"]).save(folder / name)
    (folder / "src").symlink_to(ROOT / "src")  # README's first line names bundled data by path


# ---- scaling --------------------------------------------------------------------------
def _iterations(n: int) -> int:
    return max(1, math.ceil(n / 100))


def _side(n: int) -> int:
    return max(17, n // 8)


def scaled(argv: list[str]) -> list[str]:
    """The argument list with sizes scaled down (see the module docstring)."""
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        out.append(word)
        if word == "--max-iter":
            out.append(str(_iterations(int(argv[i + 1]))))
            i += 1
        elif word == "--add-dimension":
            out.append(str(_side(int(argv[i + 1]))))
            i += 1
        elif word == "--shape":
            while i + 1 < len(argv) and argv[i + 1].isdigit():
                out.append(str(_side(int(argv[i + 1]))))
                i += 1
        i += 1
    if argv[0] in RUNS and "--max-iter" not in argv and "--resume" not in argv:
        out += ["--max-iter", "1" if "annealing" in argv else "5"]
    return out


def scaled_spec(text: str) -> str:
    """A SPEC file's text with shape, max_iter and n_samples scaled down."""
    text = re.sub(r"^(\s*max_iter:\s*)(\d+)", lambda m: m[1] + str(_iterations(int(m[2]))),
                  text, flags=re.M)
    text = re.sub(r"^(\s*n_samples:\s*)\d+", r"\g<1>1", text, flags=re.M)
    return re.sub(r"^(\s*shape:\s*)\[([\d,\s]+)\]", lambda m: m[1] + str(
        [_side(int(v)) for v in m[2].split(",")]), text, flags=re.M)


# ---- running --------------------------------------------------------------------------
def run_mcrkit(argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the console script's entry point, in this process."""
    from click.testing import CliRunner

    from mcrkit.cli import main

    with CliRunner().isolation() as (out, err, _):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return code, out.getvalue().decode(), err.getvalue().decode()


def run(command: str, variables: dict[str, str], where: str) -> None:
    """Run one command line; fail with its output unless it succeeds."""
    assignment = re.fullmatch(r"(\w+)=(\S*)", command)
    if assignment:
        variables[assignment[1]] = assignment[2]
        return
    command = VARIABLE.sub(lambda m: variables.get(m[1] or m[2], m[0]), command)
    argv = shlex.split(command, comments=True)
    if argv and argv[0] == "mcrkit" and not set(argv) & {"&&", "||", "|", ";", ">", "<"}:
        code, out, err = run_mcrkit(scaled(argv[1:]))
        assert "\r" not in err, f"{where}: `{command}` drew progress with \\r into a pipe"
    else:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PATH": path})
        code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 0, (f"{where}: `{command}` failed (exit {code}); mark the block "
                       f"`<!-- not run: reason -->` if it cannot run here\n{out}\n{err}")


def _named_file(block: Block) -> str | None:
    """The file a yaml/json/python block stands for, named in its first line
    (``# study.yaml``, ``# script.py``)."""
    if block.lang not in ("yaml", "yml", "json", "python") or not block.lines:
        return None
    named = re.match(r"#\s*([\w.-]+\.(?:ya?ml|json|py))\b", block.lines[0].strip())
    return named[1] if named else None


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stand-ins")
    stand_ins(folder)
    return folder


@pytest.mark.early
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_commands_of_the_page_run(page, files, tmp_path, monkeypatch) -> None:
    shutil.copytree(files, tmp_path, symlinks=True, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    variables: dict[str, str] = {}
    ran = 0
    for block in blocks(page):
        named = _named_file(block)
        if named is not None:
            text = "\n".join(block.lines) + "\n"
            (tmp_path / named).write_text(text if named.endswith(".py") else scaled_spec(text))
            continue
        lines = commands(block)
        if not lines:
            continue
        if block.mark is not None:
            kind, text = block.mark
            assert text, f"{block.where}: the mark needs a reason"
            if kind == "not run":
                continue
            part, _, reason = text.partition(";")
            assert reason.strip() and part.strip() in "\n".join(block.lines), (
                f"{block.where}: `run only: COMMAND; REASON` needs a COMMAND of the block "
                "and a reason")
            lines = [part.strip()]
        for command in lines:
            run(command, variables, block.where)
            ran += 1
    assert ran or not any(commands(b) for b in blocks(page) if b.mark is None)


def test_blocks_and_marks_are_found() -> None:
    page = ROOT / "README.md"
    found = blocks(page)
    assert found[0].mark is not None and found[0].mark[0] == "run only"
    assert any(b.lang == "bash" and any(c.startswith("mcrkit characterize")
                                        for c in commands(b)) for b in found)


def test_scaling_keeps_the_order_of_iteration_budgets() -> None:
    assert scaled(["reconstruct", "m.npz", "--shape", "256", "128", "64", "--max-iter", "500"]
                  ) == ["reconstruct", "m.npz", "--shape", "32", "17", "17", "--max-iter", "5"]
    assert scaled(["reconstruct", "--resume", "run2", "--max-iter", "800"])[-1] == "8"
    assert scaled(["match", "a.png", "--add-dimension", "64"])[-3:] == ["17", "--max-iter", "5"]
    assert scaled_spec("shape: [64, 64, 64]\nmax_iter: 300\nn_samples: 9\n") == (
        "shape: [17, 17, 17]\nmax_iter: 3\nn_samples: 1\n")


if __name__ == "__main__":  # list the commands the test runs
    for p in PAGES:
        for b in blocks(p):
            for c in commands(b):
                print(f"{b.where:<24} {b.mark[0] if b.mark else 'run':<8} {c}")
    sys.exit(0)
