"""The `training_load` tag library, `{% load training_load %}`: Django looks for tag libraries in an app's
`templatetags` package, the library itself is the load feature's (training.load.panel)."""

from training.load.panel import register

__all__ = ["register"]
