"""Old path of :mod:`mcrkit.metrics.validation`; see there."""

from mcrkit._moved import moved

moved(__name__, "mcrkit.metrics.validation")
