"""Versions of what computed and drew a report (so a reader can tell whether numbers should match)."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("lmmcore", "numpy", "scipy", "pandas", "statsmodels", "plotly", "shiny")


def package_versions() -> list[tuple[str, str]]:
    """(name, version) of Python and the packages behind the numbers and figures."""
    found = [("Python", platform.python_version())]
    for name in PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = _module_version(name)
        found.append((name, version))
    return found


def _module_version(name: str) -> str:
    """A package run from a source tree (lmmcore in the repository) has no installed metadata."""
    try:
        module = __import__(name)
    except ImportError:
        return "not installed"
    return str(getattr(module, "__version__", "source tree"))
