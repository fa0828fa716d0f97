"""The descriptors :func:`~mcrkit.workflows.match` chooses when the user names none.

The choice is made from the original and explained in one line that the run
prints and records (``settings["defaults"]``):

* ``two_point`` and ``lineal_path`` (x and y) over the correlation window
  (8 pixels unless ``limit_to`` is given) carry the short-range statistics;
* ``local_patterns`` (histogram of 2x2 quads at strides 1 to 4; 1 and 2 in 3D
  and for three or more phases, for cost) carries the
  Euler characteristic and the perimeter of every phase at four scales,
  which S2 and the lineal path leave free. At 256^2 (seeds 0 and 1) they alone
  left the alloy's grain-boundary phase at Euler number +251 and +257
  (original -42) and the copolymer's phase 0 at -217 and -191 (original -135);
  with the quads: +33 and +26, -136 and -145, and the composite's three phases
  came within 7, 26 and 2 of the original's +43, +534 and +287. It costs about
  as much per evaluation as S2 and lineal path together (14 ms at 256^2 on one
  core against 12 ms), and does not join a fragmented network: the alloy's
  boundary phase stays at a largest cluster of 0.07-0.09 (original 1.00). It
  is added for gradient optimizers only (annealing has no incremental update
  for it).
* a *network* phase of a 2D original (thin walls in one spanning cluster
  around cells, :func:`~mcrkit.morphology.networks.find_networks`: grain
  boundaries, cell walls) is repaired after the gradient run and kept: its
  fragments are joined and its loose ends closed until it encloses the
  original's number of cells, at its own volume fraction
  (:mod:`mcrkit.morphology.network_repair`), then a polishing stage anneals
  S2, the lineal path and the chord lengths (:data:`NETWORK_POLISH`: the
  repair shortens the cells' chords) with swaps that change no phase's topology
  (:data:`REPAIR_SWEEPS` moves per pixel), and the dead-end branches the
  polish leaves beyond the original's number (and its counting noise) are
  eroded back to their junctions. Without the repair the alloy's
  grain-boundary phase kept a largest cluster of 0.07-0.09 at 256^2
  (original 1.00) whatever the descriptors; without the last step the
  Voronoi benchmark's boundaries kept 7 dead ends (original none).
* a *particle* phase of a 2D original (many compact clusters, none holding
  much of the phase, :func:`~mcrkit.morphology.particles.find_particles`:
  discs, powder grains, coated particles) is repaired after the gradient run
  (:mod:`mcrkit.morphology.particle_repair`): specks removed, fused particles
  cut at their narrowest necks until there are as many as in the original and
  none is larger than its largest, gaps in a coat closed. Without it the
  overlapping discs of the fidelity benchmark at 256^2 fused into a largest
  cluster of 10 % of the phase (original 3 %), and the binder around coated
  particles kept an Euler characteristic of -4 (original -103: one ring around
  every particle). The repaired result is then annealed keeping its topology,
  matching the exact :data:`PARTICLE_POLISH` descriptors instead of the
  gradient run's (the quads have no annealing update): the cuts and the coat
  change the chords of the particles and of the phase around them.

For a 3D volume from a 2D input the run ends by removing the clusters of each
phase smaller than a ball of the input's median feature radius of that phase
(:func:`cleanup_sizes`, :mod:`mcrkit.morphology.cleanup`, at most 5 % of a
phase): isolated specks that the slices' statistics leave free and that add
to the 3D Euler characteristic. At 64^3 from one slice of the overlapping
balls it took the Euler characteristic of the matrix from +21 to -2 and of
the balls from +13 to -8 (truth -5 and -30). It cannot remove the surplus of
tunnels that the gradient result has on the bicontinuous and coated
structures (there the Euler characteristic stays 2-4 times the truth's, and
on the coated structure it moves further off once the specks that offset
the tunnels are gone). A single slice does not determine the 3D Euler
characteristic at all (sections fix the volume fraction, surface density
and integral of mean curvature), and the verdict on such a volume says that
it judged the slices only (:data:`mcrkit.metrics.report.SLICES_ONLY`).

A 3D volume from an isotropic 2D input starts from the random-set model that
fits the input best (:func:`choose_start`,
:func:`mcrkit.morphology.section_models.section_model`: a level-cut Gaussian
field or overlapping balls, coated or not, fitted to its S2 and chosen by its
sections' Euler characteristic), and no gradient run follows
(:data:`MODEL_START_ITER`) when the model's slices pass the validation report's
fidelity statistics against the input; otherwise the default gradient run
continues from it, and the printed defaults name the statistic that failed.
At 128^3 from one slice of the benchmark's truths
the 3D Euler density came within 22 % of the truth's on the bicontinuous
structure (from the noise start: 121 %), within 21-27 % on the three phases of
the coated particles (69-390 %) and within 37-40 % on the overlapping balls
(80-311 %), every 2D statistic of the slices "good", in 56-144 s instead of
817-1243 s; the 3D connectivity is the model's, which one slice cannot
confirm (docs/fidelity.md).

For a 3D volume from a 2D input, :func:`choose_symmetry` decides what the
third direction looks like: the input's statistics along x and y are compared
against their natural spread (:func:`mcrkit.metrics.anisotropy.detect_anisotropy`);
an isotropic input is imposed on the slices normal to x, y and z, an
anisotropic one under transverse isotropy about its long axis
(:mod:`mcrkit.metrics.transverse`). ``symmetry`` overrides the detection.

The feature sizes (mean chord length per phase) are printed with the choice
so that a window shorter than the features is visible. Longer windows were
measured and not made the default: on the alloy, S2 and lineal path over
16, 24 or 32 pixels, multigrid and an annealing polish left the boundary
network as fragmented as the 8-pixel window (largest cluster 0.2-0.5 of the
phase, original 0.97) at up to several times the cost
(``benchmarks/morphology_defaults.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mcrkit.descriptors.chord_length import mean_chord_length
from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import AXIS_NAMES, Microstructure
from mcrkit.morphology.networks import NetworkSpec, find_networks
from mcrkit.morphology.particles import ParticleSpec, find_particles
from mcrkit.runtime import format_bytes, memory_limits

if TYPE_CHECKING:
    from mcrkit.metrics.transverse import TransverseIsotropy

__all__ = ["CLEANUP_RADIUS", "DEFAULT_WINDOW", "JUDGE_AFTER", "JUDGE_AFTER_2D",
           "MODEL_BYTES_PER_VOXEL", "MODEL_START_ITER", "NETWORK_POLISH", "PARTICLE_POLISH",
           "PATTERN_STRIDES", "PATTERN_STRIDES_COSTLY", "PATTERN_WEIGHT", "STARTS", "SYMMETRIES",
           "DefaultChoice", "choose_defaults", "choose_start", "choose_symmetry", "cleanup_sizes",
           "feature_sizes"]

DEFAULT_WINDOW = 8
"""Correlation window (pixels) of ``two_point`` and ``lineal_path`` unless ``limit_to`` is given."""

PATTERN_STRIDES = (1, 2, 3, 4)
"""Quad strides of the ``local_patterns`` term for two-phase 2D structures (clipped to the
image)."""

PATTERN_STRIDES_COSTLY = (1, 2)
"""Quad strides in 3D and for three or more phases, where four strides would cost most of
the run: on the slices of three orientations they take 2.3 s per evaluation at 128^3 on one
core, against 1.0 s for S2 and lineal path; with three phases the 256^2 composite ran three
times as long as without quads."""

SYMMETRIES = ("auto", "isotropic", "x", "y")
"""Values of ``symmetry``: detect; the input on every slice; transversely isotropic about x
or y."""

STARTS = ("model", "noise")
"""Values of ``start``: a random-set model fitted to the 2D input where one fits
(:func:`choose_start`); the noisy uniform field of any reconstruction."""

MODEL_START_ITER = 0
"""Gradient iterations after a model start unless ``max_iter`` is given: none. From the
model start the gradient run only removed 3D tunnels (64^3, one slice of the truth: the
balls' Euler characteristic went from -39 to -12 in 10 iterations and to +3 in 150, truth
-30; the bicontinuous structure's from -50 to -40 and -30, truth -46), while the model
alone already passed every 2D statistic on the slices. Used only when the model's slices
pass them (:func:`mcrkit.match` checks); otherwise the default budget runs."""

JUDGE_AFTER = 25
"""A gradient run of a volume from a 2D original with the default budget judges its discrete
state after this many iterations, and after twice and four times as many, with the report's
statistics against the original and stops once no row fails (``reconstruct(judge_after=...)``;
three judgements at most in 150 iterations: one costs about as much as ten evaluations). The
loss of such runs keeps falling by 15-20 % per 10 iterations long after the slices pass, so
the flattened-loss stop (:data:`~mcrkit.workflows.reconstruct.DEFAULT_TOLERANCE_CHANGE`) never
fired: from the three-phase composite-half input (64^3, transverse isotropy) the slices of
the state had no failing row after 20 and from 40 of its 150 iterations on (judged every 10;
after 30 one percolation row failed), grf-x2 from noise from 100 on."""

JUDGE_AFTER_2D = 100
"""A gradient run of a 2D image from a 2D original with the default budget judges its
discrete state once, after this many of its 150 iterations, and stops there if no row
fails. Not :data:`JUDGE_AFTER`: a 64^2 image passes the report after 25 iterations while
its statistics are still well off the full run's (pymks_ms_64x64_1, seeds 0-2: S2 RMSE
0.0034-0.0068 after 25 iterations, 0.0011-0.0014 after 50, 0.0007-0.0008 after 100,
0.0007-0.0012 after 150; lineal path 0.0058-0.0109, 0.0020-0.0029, 0.0006-0.0010,
0.0010-0.0017); after 100 they are those of 150 (copolymer_resized_s likewise). Not where a
particle or network repair or a polish follows the gradient run: a stop ends the run, and
without those stages the balls, dispersion and composite structures of
``benchmarks/fidelity.py`` (128^2) kept their verdicts, but their chord length distributions
moved away from the originals' (dispersion phase 1: 0.57 px from the original's in the
Wasserstein distance, against 0.05 px with them)."""

MODEL_BYTES_PER_VOXEL = 40
"""Memory a model start takes per voxel while it is drawn (measured: about 34 bytes, float64
fields and their spectra); a volume whose model would not fit in the free memory starts from
noise."""

CLEANUP_RADIUS = 1.0
"""A 3D result's clusters smaller than a ball of this many times the median opening radius
of their phase in the 2D input are removed."""

REPAIR_SWEEPS = 16
"""Moves per pixel of the topology-preserving polish after a network repair."""

PATTERN_WEIGHT = 10.0
"""Weight of the ``local_patterns`` term (the S2 and lineal-path terms weigh 1)."""

NETWORK_POLISH: dict[str, float] = {"two_point": 1.0, "lineal_path": 1.0, "chord_length": 1.0}
"""Descriptors and weights of the topology-preserving polish after a network repair. The
repair joins the gradient result's fragments and closes its loose ends, which shortens the
chords of the cells (alloy at 256^2, seeds 0-2: the grains' chord-length CDF 11.6-11.8
natural spreads off after the repair); with S2 and the lineal path alone the polish brought
them back to 2.8-3.0 spreads (pass line 3; seed 0 failed), with ``chord_length`` added to
0.2-0.4."""

PARTICLE_POLISH: dict[str, float] = {"two_point": 1.0, "lineal_path": 1.0,
                                     "chord_length": 1.0, "variation": 10.0}
"""Descriptors and weights of the topology-preserving polish after a particle repair
(:data:`REPAIR_SWEEPS` moves per pixel). At 256^2 (seeds 0-2) the coated particles' chords
were already 3.9-4.2 natural spreads off after the gradient run (pass line 3) and 4.2-4.4
after the repair; this polish brought them to 1.7-2.0. The dispersion's matrix chords went
from 2.6 spreads after the gradient run to 3.0 after the repair (seed 0: "not good") and
to 2.3 after the polish. Without ``variation`` (the interface density of every phase) the
coated binder's mean chord fell to about 2.0 px (original 2.08; 1.1-1.5 times its pass
line); without ``chord_length`` its chord CDF failed."""


@dataclass(frozen=True)
class DefaultChoice:
    """Descriptors, their characterization settings and weights chosen for a structure.

    Attributes
    ----------
    request : dict
        Descriptor id -> settings to characterize the original with.
    descriptors : list of str
        Descriptors the reconstruction matches.
    weights : dict of str to float
        Weights other than the descriptors' default of 1.
    note : str
        One line saying what was chosen and why.
    networks : tuple of NetworkSpec
        Network phases to repair and keep in a polishing stage (2D gradient runs).
    particles : tuple of ParticleSpec
        Particle phases to repair after the gradient run (2D).
    polish_descriptors : dict of str to float
        Descriptors and weights of the polishing stage where they differ from
        ``descriptors`` (empty: the same).
    polish : int
        Moves of that polishing stage (0: none).
    cleanup : tuple of float
        Smallest feature (voxels) per phase of a 3D result from a 2D original
        (:func:`cleanup_sizes`; empty: no cleanup).
    """

    request: dict[str, dict[str, Any]]
    descriptors: list[str]
    weights: dict[str, float] = field(default_factory=dict)
    note: str = ""
    networks: tuple[NetworkSpec, ...] = ()
    polish: int = 0
    cleanup: tuple[float, ...] = ()
    particles: tuple[ParticleSpec, ...] = ()
    polish_descriptors: dict[str, float] = field(default_factory=dict)


def feature_sizes(original: Microstructure | np.ndarray) -> list[float]:
    """Mean chord length (pixels) of every phase over the axes of a 2D or 3D structure.

    Examples
    --------
    >>> from mcrkit.microstructure import from_array
    >>> blocks = np.kron(np.indices((4, 4)).sum(axis=0) % 2, np.ones((2, 3), dtype=int))
    >>> feature_sizes(from_array(blocks))   # 2 pixels along x, 3 along y
    [2.5, 2.5]
    """
    original = as_microstructure(original)
    sizes = []
    for phase in range(original.n_phases):
        mask = original.labels == phase
        per_axis = [mean_chord_length(mask, axis) for axis in range(mask.ndim)]
        sizes.append(float(np.nanmean(per_axis)) if np.isfinite(per_axis).any()
                     else float("nan"))
    return sizes


def cleanup_sizes(original: Microstructure | np.ndarray) -> tuple[float, ...]:
    """Smallest feature (voxels) of each phase that a volume reconstructed from the 2D
    ``original`` keeps: a ball of :data:`CLEANUP_RADIUS` times the phase's median opening
    radius in the original (:func:`mcrkit.morphology.feature_size_distribution`).

    Examples
    --------
    >>> from mcrkit.microstructure import from_array
    >>> stripes = np.kron(np.arange(8) % 2, np.ones((32, 5), dtype=int))  # 5 px wide
    >>> [round(size) for size in cleanup_sizes(from_array(stripes))]   # balls of radius 2
    [34, 34]
    """
    from mcrkit.morphology import feature_size_distribution

    original = as_microstructure(original)
    sizes = []
    for phase in range(original.n_phases):
        radius = feature_size_distribution(original.labels == phase).median_radius
        radius = CLEANUP_RADIUS * (radius if math.isfinite(radius) else 0.0)
        sizes.append(4.0 / 3.0 * math.pi * radius**3)
    return tuple(sizes)


def choose_defaults(original: Microstructure | np.ndarray, shape: tuple[int, ...], *,
                    limit_to: int | None = None, gradient: bool = True,
                    repair: bool | None = None) -> DefaultChoice:
    """Default descriptors for reconstructing ``original`` at ``shape``.

    Parameters
    ----------
    original : Microstructure or array
        The structure to match (2D, or 3D).
    shape : tuple of int
        Shape of the reconstruction.
    limit_to : int, optional
        Correlation window given by the user (default :data:`DEFAULT_WINDOW`).
    gradient : bool, optional
        Whether a gradient optimizer runs without an annealing stage; only then
        is ``local_patterns`` added.
    repair : bool, optional
        Whether a network phase may be repaired in a polishing stage after a
        gradient run (default: ``gradient``; ``match`` also repairs when the user
        gives the polish).

    Returns
    -------
    DefaultChoice

    Examples
    --------
    >>> import mcrkit
    >>> choice = choose_defaults(mcrkit.data.load("pymks_ms_64x64_1"), (64, 64))
    >>> choice.descriptors
    ['two_point', 'lineal_path', 'local_patterns']
    >>> choice.request["local_patterns"]
    {'strides': (1, 2, 3, 4)}
    >>> network = choose_defaults(mcrkit.data.load("alloy_resized_s"), (64, 64))
    >>> network.descriptors, [spec.phase for spec in network.networks], network.polish
    (['two_point', 'lineal_path'], [0], 65536)
    """
    original = as_microstructure(original)
    window = DEFAULT_WINDOW if limit_to is None else int(limit_to)
    request: dict[str, dict[str, Any]] = {
        "volume_fractions": {},  # for the random start
        "two_point": {"limit_to": window},
        "lineal_path": {"limit_to": window, "directions": ((1, 0), (0, 1))},
    }
    descriptors = ["two_point", "lineal_path"]
    weights: dict[str, float] = {}
    sizes = ", ".join(f"{size:.1f} px in phase {phase}"
                      for phase, size in enumerate(feature_sizes(original)))
    note = (f"two_point and lineal_path over {window} px (mean chord {sizes}"
            + ("" if limit_to is None else "; window from limit_to") + ")")
    smallest = min([*original.shape[-2:], *shape[-2:]] if len(shape) == 2 else
                   [*original.shape, *shape])
    cheap = len(shape) == 2 and original.n_phases == 2
    strides = tuple(s for s in (PATTERN_STRIDES if cheap else PATTERN_STRIDES_COSTLY)
                    if s < smallest)
    repair = gradient if repair is None else repair
    networks = tuple(find_networks(original.labels)) if repair and len(shape) == 2 else ()
    if networks:
        moves = REPAIR_SWEEPS * math.prod(shape)
        walls = "; ".join(f"phase {spec.phase}: walls {spec.width} px, "
                          f"{spec.cell_density * math.prod(shape):.0f} cells"
                          for spec in networks)
        note += (f"; a network ({walls}): after the gradient run its fragments are joined "
                 f"and its loose ends closed, then it is annealed keeping that topology "
                 f"(polish: {REPAIR_SWEEPS} moves per pixel unless given; no local_patterns "
                 "term, which has no annealing update), and the dead ends it leaves beyond the "
                 "original's are eroded")
        polish_descriptors = dict(NETWORK_POLISH) if gradient else {}
        if polish_descriptors:
            request["chord_length"] = {}
            note += "; the polish also matches chord_length"
        return DefaultChoice(request, descriptors, weights, note, networks, moves,
                             polish_descriptors=polish_descriptors)
    particles = tuple(find_particles(original.labels)) if repair and len(shape) == 2 else ()
    if particles:
        note += ("; particles (" + "; ".join(spec.describe() for spec in particles)
                 + "): after the gradient run specks are removed and fused particles cut at "
                 "their narrowest necks to the original's number and largest size"
                 + (", and gaps in their coat closed" if any(spec.coat is not None
                                                              for spec in particles) else ""))
    polish, polish_descriptors = 0, {}
    if gradient and particles:
        polish, polish_descriptors = REPAIR_SWEEPS * math.prod(shape), dict(PARTICLE_POLISH)
        request |= {"chord_length": {}, "variation": {}}
        note += (f"; then annealed keeping that topology ({REPAIR_SWEEPS} moves per pixel) "
                 "with " + ", ".join(f"{name} (weight {weight:g})"
                                     for name, weight in PARTICLE_POLISH.items())
                 + " for the chords the repair changed")
    if gradient and strides:
        request["local_patterns"] = {"strides": strides}
        descriptors.append("local_patterns")
        weights["local_patterns"] = PATTERN_WEIGHT
        note += (f"; local_patterns (2x2 quads at strides {strides[0]}-{strides[-1]} px, "
                 f"weight {PATTERN_WEIGHT:g}) for the Euler characteristic and perimeter "
                 "of every phase at each scale")
    elif not gradient:
        note += "; no local_patterns term: it has no annealing update"
    cleanup: tuple[float, ...] = ()
    if original.ndim == 2 and len(shape) == 3:
        cleanup = cleanup_sizes(original)
        note += ("; at the end, clusters of the volume smaller than a ball of "
                 "the input's median feature radius are removed ("
                 + ", ".join(f"< {size:.0f} voxels in phase {phase}"
                             for phase, size in enumerate(cleanup)) + ")")
    return DefaultChoice(request, descriptors, weights, note, polish=polish, cleanup=cleanup,
                         particles=particles, polish_descriptors=polish_descriptors)


def choose_symmetry(original: Microstructure | np.ndarray, *, symmetry: str = "auto",
                    limit_to: int | None = None) -> tuple[TransverseIsotropy | None, str]:
    """What a 3D volume from the 2D ``original`` looks like along the third direction.

    Parameters
    ----------
    original : Microstructure or array
        The 2D input.
    symmetry : {"auto", "isotropic", "x", "y"}, optional
        ``"auto"``: transversely isotropic about the long axis when
        :func:`~mcrkit.metrics.anisotropy.detect_anisotropy` finds the input
        anisotropic, else isotropic; ``"isotropic"``: the input on the slices
        normal to x, y and z; ``"x"``, ``"y"``: transversely isotropic about
        that axis.
    limit_to : int, optional
        Largest lag of the detection (default :data:`DEFAULT_WINDOW`).

    Returns
    -------
    assumption : TransverseIsotropy or None
        None: the input on every slice.
    note : str
        One line saying what was found and assumed.

    Examples
    --------
    >>> from mcrkit.generators import gaussian_random_field
    >>> long_grains = gaussian_random_field((96, 96), (5.0, 2.0), volume_fraction=0.4, seed=1)
    >>> assumption, note = choose_symmetry(long_grains)
    >>> assumption.axis
    0
    >>> choose_symmetry(long_grains, symmetry="isotropic")[1]
    'isotropy assumed (symmetry="isotropic"): the input on the slices normal to x, y and z'
    """
    from mcrkit.metrics.anisotropy import detect_anisotropy
    from mcrkit.metrics.transverse import TransverseIsotropy

    if symmetry not in SYMMETRIES:
        raise ValueError(f"symmetry must be one of {', '.join(SYMMETRIES)}, got {symmetry!r}")
    if symmetry == "isotropic":
        return None, ('isotropy assumed (symmetry="isotropic"): the input on the slices '
                      "normal to x, y and z")
    if symmetry != "auto":
        axis = AXIS_NAMES.index(symmetry)
        return TransverseIsotropy(axis), (f'symmetry="{symmetry}" given: ' +
                                          TransverseIsotropy(axis).describe())
    found = detect_anisotropy(original, limit_to=DEFAULT_WINDOW if limit_to is None
                              else int(limit_to))
    if found.isotropic:
        return None, ("isotropic input (its statistics along x and y agree within their "
                      "natural spread): the input on the slices normal to x, y and z")
    assumption = TransverseIsotropy(found.axis or 0, found.factor)
    return assumption, assumption.describe()


def choose_start(original: Microstructure | np.ndarray, shape: tuple[int, ...], *,
                 start: str = "model", seed: int = 0) -> tuple[np.ndarray | None, str]:
    """The start of a 3D volume of ``shape`` from the isotropic 2D ``original``.

    Parameters
    ----------
    original : Microstructure or array
        The 2D input.
    shape : tuple of int
        The volume's shape.
    start : {"model", "noise"}, optional
        ``"model"``: the random-set model that fits the input best
        (:func:`mcrkit.morphology.section_models.section_model`: a level-cut
        Gaussian field, or overlapping balls, coated or not), drawn with ``seed``;
        ``"noise"``, or no model fits: None (the noisy uniform field).
    seed : int, optional
        Random source of the model.

    Returns
    -------
    labels : ndarray or None
        The start volume.
    note : str
        One line saying what was assumed.

    Examples
    --------
    >>> from mcrkit.synthetic import bicontinuous
    >>> labels, note = choose_start(bicontinuous((64, 64), rng=0), (16, 16, 16))
    >>> labels.shape, note.split(":")[0]
    ((16, 16, 16), '3D start')
    >>> choose_start(bicontinuous((64, 64), rng=0), (16, 16, 16), start="noise")
    (None, '3D start: noise (start="noise")')
    """
    from mcrkit.morphology.section_models import section_model

    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}, got {start!r}")
    if start == "noise":
        return None, '3D start: noise (start="noise")'
    needed = math.prod(shape) * MODEL_BYTES_PER_VOXEL
    free = memory_limits().reachable
    if free is not None and needed > free:  # the run's own memory check then speaks
        return None, (f"3D start: noise (a model of this volume would need about "
                      f"{format_bytes(needed)}, more than the {format_bytes(free)} free)")
    model = section_model(as_microstructure(original).labels, tuple(shape), rng=seed)
    return model.labels, model.note
