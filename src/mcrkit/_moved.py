"""Old import paths of modules that moved, kept working with a :class:`FutureWarning`."""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType

__all__ = ["moved"]

REMOVAL = "0.3"
"""The release that drops the old paths."""


def moved(old: str, new: str, submodules: dict[str, str] | None = None) -> None:
    """Let the module ``old`` stand for ``new``, and ``old.<sub>`` for each of ``submodules``.

    Called by the module left at the old path: warns once, at its import, naming
    the new path; its attributes are then those of ``new``.
    """
    warnings.warn(f"{old} moved to {new} in mcrkit 0.2 and will be removed in {REMOVAL}; "
                  f"import from {new}", FutureWarning, stacklevel=3)
    shim: ModuleType = sys.modules[old]
    target = importlib.import_module(new)
    shim.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]
    for sub, path in (submodules or {}).items():
        module = importlib.import_module(path)
        sys.modules[f"{old}.{sub}"] = module
        if "." not in sub:
            setattr(shim, sub, module)
