"""Batch specifications: the jobs of an ensemble, with reproducible seeds and names.

A SPEC (a YAML or JSON file, or the same mapping in Python) holds the settings
every job shares, and how the jobs differ:

=================  ========================================================
key                meaning
=================  ========================================================
``seed``           base seed of the batch (default: drawn once, then kept in
                   the output directory's ``batch.json``)
``n_samples``      reconstructions per parameter combination (default 1)
``grid``           mapping ``setting -> list of values``; every combination
                   becomes a job
``jobs``           list of mappings, one job each (settings over the shared
                   ones; an optional ``name`` shortens the directory name)
any other key      a setting shared by every job (see below)
=================  ========================================================

A job's settings are the keyword arguments of :func:`mcrkit.reconstruct` (or
of :func:`mcrkit.match`), spelled as in Python or as on the command line
(``max_iter`` or ``max-iter``), plus exactly one target:

- ``characterization``: a ``.npz`` file to reconstruct (``shape`` required);
- ``microstructure``: an image or array file to match (``add_dimension`` or
  ``shape`` optional, ``limit_to``, ``threshold``, ... as for ``match``);
- ``interpolate: [from.npz, to.npz]`` with ``n_steps``: step ``step`` of
  :func:`mcrkit.interpolate` (every step when ``step`` is not given, so the
  steps form a grid axis).

Relative paths are read relative to the SPEC file. Jobs are numbered sample by
sample (all parameter combinations of sample 0 first), so raising
``n_samples`` adds jobs at the end and keeps every existing job's number,
directory name and seed. A job's seed, unless set explicitly, comes from
``numpy.random.SeedSequence(seed, spawn_key=(combination, sample))``.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Job", "expand_spec", "job_seed", "load_spec"]

RESERVED = ("seed", "n_samples", "grid", "jobs")
"""Top-level SPEC keys that are not job settings."""

TARGETS = ("characterization", "microstructure", "interpolate")
"""Keys naming what a job reconstructs (exactly one per job)."""

PATH_KEYS = ("characterization", "microstructure")

CONTROLLED = ("run_dir", "progress", "threads", "callbacks")
"""reconstruct/match arguments the batch sets itself."""

UNSUPPORTED = ("initial", "start_report")


@dataclass(frozen=True)
class Job:
    """One reconstruction of a batch.

    Attributes
    ----------
    name : str
        Directory name of its run (unique within the batch).
    seed : int
        Seed of the run (recorded in its ``run.json``).
    settings : dict
        Target (``characterization``, ``microstructure`` or ``interpolate``
        with ``n_steps`` and ``step``) and keyword arguments of
        :func:`mcrkit.reconstruct` / :func:`mcrkit.match`.
    parameters : dict
        The settings in which this job differs from others of its batch.
    """

    name: str
    seed: int
    settings: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def workflow(self) -> str:
        """``"match"`` for a microstructure target, else ``"reconstruct"``."""
        return "match" if "microstructure" in self.settings else "reconstruct"

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (what ``batch.json`` records)."""
        return {"name": self.name, "seed": self.seed, "workflow": self.workflow,
                "settings": self.settings, "parameters": self.parameters}


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a SPEC file: ``.json``, or ``.yaml``/``.yml`` (needs PyYAML)."""
    path = Path(path)
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ValueError(f"{path}: a batch SPEC is a .json, .yaml or .yml file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"{path}: cannot read the batch SPEC ({exc.strerror})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(f"{path}: reading YAML needs PyYAML (pip install 'mcrkit[cluster]'); "
                             "or write the SPEC as JSON") from None
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: is not valid YAML ({exc})") from None
    else:
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: is not valid JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: a batch SPEC is a mapping of settings (see mcrkit batch "
                         f"--help), got {type(spec).__name__}")
    return spec


def job_seed(base_seed: int, combination: int, sample: int) -> int:
    """Seed of a job: 63 bits of ``SeedSequence(base_seed, spawn_key=(combination, sample))``,
    the sequence ``SeedSequence(base_seed).spawn(...)[combination].spawn(...)[sample]``.

    Examples
    --------
    >>> job_seed(7, 0, 0) == job_seed(7, 0, 0) != job_seed(7, 0, 1)
    True
    """
    state = np.random.SeedSequence(base_seed, spawn_key=(combination, sample)).generate_state(
        1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def expand_spec(spec: Mapping[str, Any] | str | os.PathLike[str], *,
                base_seed: int | None = None,
                n_samples: int | None = None) -> tuple[list[Job], int]:
    """Jobs of a SPEC mapping (see the module docstring).

    Parameters
    ----------
    spec : mapping or path
        A SPEC file (relative paths count from its folder), or a SPEC mapping
        (relative paths count from the working directory).
    base_seed : int, optional
        Used when the SPEC has no ``seed`` (default: drawn).
    n_samples : int, optional
        Overrides the SPEC's ``n_samples``.

    Returns
    -------
    (list of Job, int)
        The jobs, and the base seed used.

    Examples
    --------
    >>> import mcrkit
    >>> spec = {"microstructure": str(mcrkit.data.path("pymks_ms_64x64_1")), "seed": 1,
    ...         "grid": {"max_iter": [50, 100]}, "n_samples": 2}
    >>> jobs, base_seed = expand_spec(spec)
    >>> for job in jobs:
    ...     print(job.name, job.parameters)
    0000-max_iter=50-sample0 {'max_iter': 50}
    0001-max_iter=100-sample0 {'max_iter': 100}
    0002-max_iter=50-sample1 {'max_iter': 50}
    0003-max_iter=100-sample1 {'max_iter': 100}
    >>> len({job.seed for job in jobs})
    4
    """
    if isinstance(spec, Mapping):
        where, base_dir = "the batch SPEC", Path(".")
    else:
        where, base_dir = str(spec), Path(spec).parent
        spec = load_spec(spec)
    spec = dict(spec)
    seed = spec.pop("seed", None)
    if seed is None:
        seed = secrets.randbits(63) if base_seed is None else base_seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{where}: seed must be a non-negative integer, got {seed!r}")
    samples = spec.pop("n_samples", 1)
    samples = samples if n_samples is None else n_samples
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"{where}: n_samples must be a positive integer, got {samples!r}")
    grid = spec.pop("grid", None) or {}
    entries = spec.pop("jobs", None) or [{}]
    if not isinstance(grid, Mapping):
        raise ValueError(f"{where}: grid must map setting names to lists of values, "
                         f"got {grid!r}")
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ValueError(f"{where}: jobs must be a list of mappings of settings")
    shared = _normalize(spec, where)
    axes = {}
    for key, values in _normalize(grid, where).items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: grid entry {key!r} must be a non-empty list of values, "
                             f"got {values!r}")
        axes[key] = values
    combinations = []
    for entry in entries:
        entry = _normalize(entry, where)
        name = entry.pop("name", None)
        for values in itertools.product(*axes.values()):
            settings = {**shared, **entry, **dict(zip(axes, values, strict=True))}
            combinations.extend((name, s) for s in _interpolation_steps(settings, where))
    combinations = [(name, _resolve(settings, base_dir, where)) for name, settings in combinations]
    varying = _varying(settings for _, settings in combinations)
    jobs = []
    for sample in range(samples):
        for index, (name, settings) in enumerate(combinations):
            number = sample * len(combinations) + index  # 4 digits, more only beyond 9999
            parameters = {key: settings[key] for key in varying if key in settings}
            settings = dict(settings)
            explicit = settings.pop("seed", None)
            if explicit is not None and samples > 1:
                raise ValueError(f"{where}: a job sets seed {explicit!r} but n_samples is "
                                 f"{samples}; every sample would repeat that seed")
            label = _summary(name, parameters)
            jobs.append(Job(
                name=f"{number:04d}{'-' + label if label else ''}-sample{sample}",
                seed=job_seed(seed, index, sample) if explicit is None else explicit,
                settings=settings, parameters=parameters))
    return jobs, seed


@functools.cache
def _allowed_settings() -> dict[str, set[str]]:
    """Settings each workflow accepts (keyword arguments of reconstruct and match)."""
    from mcrkit.workflows import match, reconstruct

    rec = set(inspect.signature(reconstruct).parameters) - {"characterization"}
    mat = (set(inspect.signature(match).parameters) - {"microstructure", "options"}) | rec
    skip = set(CONTROLLED) | set(UNSUPPORTED)
    return {"characterization": rec - skip, "interpolate": (rec - skip) | {"n_steps", "step"},
            "microstructure": mat - skip}


def _normalize(settings: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Settings with command-line spellings (``max-iter``) turned into keyword names."""
    out = {}
    for key, value in settings.items():
        if not isinstance(key, str):
            raise ValueError(f"{where}: setting names are strings, got {key!r}")
        if key in RESERVED[1:]:
            raise ValueError(f"{where}: {key!r} belongs at the top level of the SPEC")
        out[key.replace("-", "_")] = value
    return out


def _interpolation_steps(settings: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """One job per interpolation step when ``step`` is not given."""
    if "interpolate" not in settings or "step" in settings:
        return [settings]
    n_steps = settings.get("n_steps")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 2:
        raise ValueError(f"{where}: interpolate needs n_steps, an integer >= 2 (both ends "
                         f"included), got {n_steps!r}")
    return [{**settings, "step": k} for k in range(n_steps)]


def _resolve(settings: dict[str, Any], base_dir: Path, where: str) -> dict[str, Any]:
    """Check a job's settings and make its file paths absolute."""
    targets = [key for key in TARGETS if key in settings]
    if len(targets) != 1:
        raise ValueError(f"{where}: every job needs exactly one of {', '.join(TARGETS)}; "
                         f"got {', '.join(targets) or 'none'} in {settings}")
    target = targets[0]
    allowed = _allowed_settings()[target]
    unknown = sorted(set(settings) - allowed - {target, "seed"})
    if unknown:
        hint = ("; the batch sets these itself" if set(unknown) & set(CONTROLLED) else
                "; an initial structure per job is not supported" if "initial" in unknown else "")
        raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)} for a job with a "
                         f"{target} target{hint}; valid settings: {', '.join(sorted(allowed))}")
    if target != "microstructure" and "shape" not in settings:
        raise ValueError(f"{where}: a job with a {target} target needs shape, e.g. "
                         "shape: [64, 64, 64]")
    settings = dict(settings)
    if target == "interpolate":
        ends = settings["interpolate"]
        if not isinstance(ends, list) or len(ends) != 2 or not all(isinstance(e, str)
                                                                  for e in ends):
            raise ValueError(f"{where}: interpolate takes two characterization files, "
                             f"[from.npz, to.npz], got {ends!r}")
        settings["interpolate"] = [_existing(base_dir, end, where) for end in ends]
        step, n_steps = settings["step"], settings.get("n_steps")
        if (isinstance(step, bool) or not isinstance(step, int) or not isinstance(n_steps, int)
                or not 0 <= step < n_steps):
            raise ValueError(f"{where}: step must be an integer in 0..n_steps-1 (n_steps "
                             f"{n_steps!r}), got {step!r}")
    else:
        if not isinstance(settings[target], str):
            raise ValueError(f"{where}: {target} must be a file path, got {settings[target]!r}")
        spec, sep, key = settings[target].partition(":")  # file.npz:key, file.h5:/dataset
        if sep and not Path(base_dir, settings[target]).exists():
            settings[target] = _existing(base_dir, spec, where) + sep + key
        else:
            settings[target] = _existing(base_dir, settings[target], where)
    return settings


def _existing(base_dir: Path, name: str, where: str) -> str:
    path = (base_dir / name).resolve()
    if not path.exists():
        raise FileNotFoundError(f"{where}: {name} not found (looked for {path})")
    return str(path)


def _varying(all_settings: Any) -> list[str]:
    """Setting names whose values differ between jobs, in order of first appearance."""
    all_settings = list(all_settings)
    keys = list(dict.fromkeys(k for s in all_settings for k in s))
    missing = object()
    return [k for k in keys
            if len({json.dumps(s.get(k, missing), sort_keys=True, default=repr)
                    for s in all_settings}) > 1]


def _summary(name: str | None, parameters: dict[str, Any]) -> str:
    """Short, file-name-safe description of a job: its name, or its varying settings."""
    if name is not None:
        return _safe(str(name), 40)
    parts = []
    for key, value in parameters.items():
        if key in PATH_KEYS and isinstance(value, str):
            value = Path(value.partition(":")[0]).stem
        elif key == "interpolate":
            continue  # the ends; the step tells the job apart
        elif isinstance(value, Sequence) and not isinstance(value, str):
            value = "x".join(str(v) for v in value)
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{key}={_safe(str(value), 24)}")
    return "-".join(parts)


def _safe(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9._+=]+", "_", text).strip("_")[:limit]
