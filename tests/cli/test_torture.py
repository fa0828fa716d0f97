"""A representative set of the fast cases of ``benchmarks/torture.py``: malformed files, bad
values and awkward outputs for each command are refused with a message naming the file, the
value or the fix, with no traceback and nothing left behind. Each problem is tried once, under
the first command it is listed for (a bad file read by the same reader under another command
proves nothing new), and every command keeps at least one case; the benchmark runs every case,
the slow ones each in its own process, and the kill sweep."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_torture():
    spec = importlib.util.spec_from_file_location("torture", BENCHMARKS / "torture.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["torture"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def representative(cases: list) -> list:
    """The first case of each problem (the part of a case's name after the command), in the
    benchmark's order."""
    first = {}
    for case in cases:
        first.setdefault(case.name.split("/", 1)[1], case)
    return list(first.values())


torture = _load_torture()
FAST = torture.fast_cases()
CASES = representative(FAST)


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    work = tmp_path_factory.mktemp("torture")
    inputs = torture.build_inputs(work / "inputs")
    with torture.unwritable_directory(work) as ro:
        yield work, inputs, ro


def test_the_cases_cover_every_command() -> None:
    everything = torture.all_cases()
    commands = {case.command for case in everything}
    assert commands >= {"characterize", "match", "reconstruct", "merge", "interpolate",
                        "smooth", "compare", "export", "view", "batch", "properties", "examples"}
    assert len(everything) >= 300 and len({case.name for case in everything}) == len(everything)
    assert len(FAST) >= 300
    assert {case.command for case in CASES} == {case.command for case in FAST}
    assert {case.name.split("/", 1)[1] for case in CASES} == {
        case.name.split("/", 1)[1] for case in FAST}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_input_is_refused_cleanly(places, case) -> None:
    work, inputs, ro = places
    problems = torture.run_case(case, work, inputs, ro, in_process=True)
    assert not problems, f"{' '.join(case.args)}: {problems}"


def test_the_judge_sees_tracebacks_partial_outputs_and_silence(tmp_path) -> None:
    case = torture.Case("x/y", ("x",), ("needle",))
    ro = tmp_path / "ro"
    ro.mkdir()
    assert torture.judge(case, 1, "error: the needle is missing", set(), set(), ro) == {}
    found = torture.judge(case, 2, "Traceback (most recent call last):", {"a"}, {"a", "b"}, ro)
    assert set(found) == {"traceback", "partial", "status", "message"}
    assert found["partial"] == ["b"]


UPLOADS = torture.gui_upload_files()
FORMS = torture.GUI_FORM_CASES


@pytest.mark.parametrize(("given", "build"), [u[1:] for u in UPLOADS],
                         ids=[u[0] for u in UPLOADS])
def test_a_bad_upload_is_refused_by_name_and_deleted(places, tmp_path, given, build) -> None:
    pytest.importorskip("nicegui", reason="the gui extra is not installed")
    problems = torture.gui_upload(given, build, tmp_path, places[1])
    assert not problems, problems


@pytest.mark.parametrize(("action", "given", "values", "says"), FORMS,
                         ids=[f"{f[0]}-{k}" for k, f in enumerate(FORMS)])
def test_a_bad_form_value_is_refused_by_name(places, tmp_path, action, given, values,
                                             says) -> None:
    pytest.importorskip("nicegui", reason="the gui extra is not installed")
    problems = torture.gui_form(action, given, values, says, folder=tmp_path, inputs=places[1])
    assert not problems, problems
