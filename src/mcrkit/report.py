"""Old path of :mod:`mcrkit.metrics.report`; see there."""

from mcrkit._moved import moved

moved(__name__, "mcrkit.metrics.report")
