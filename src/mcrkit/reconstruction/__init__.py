"""Old name of :mod:`mcrkit.engine` (and :mod:`mcrkit.io.rundir`); see there."""

from mcrkit._moved import moved

moved(__name__, "mcrkit.engine", {
    **{name: f"mcrkit.engine.{name}"
       for name in ("callbacks", "field", "memory", "objective", "optimizers")},
    "engine": "mcrkit.engine.loop",
    **{f"optimizers.{name}": f"mcrkit.engine.optimizers.{name}"
       for name in ("annealing", "base", "lbfgs", "line_search", "scipy_optimize",
                    "torch_optim")},
    "rundir": "mcrkit.io.rundir",
})
