"""Analysers: one module each, registered with `@analyser(...)`. Every module here is loaded on import."""

from __future__ import annotations

import importlib
import pkgutil

from heard.analysers.registry import REGISTRY, Analyser, Need, NoSettings, Output, analyser

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "Analyser", "Need", "NoSettings", "Output", "analyser"]
