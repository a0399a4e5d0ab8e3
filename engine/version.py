"""The library version, in a module of its own so that any engine module can read it
without importing the `entrec.engine` package (which would make an import circle)."""
from __future__ import annotations

__all__ = ["__version__"]


def _installed_version() -> str:
    # one place for the version: pyproject.toml, read back from the installed metadata
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("entrec")
    except PackageNotFoundError:  # pragma: no cover - a checkout on sys.path, not installed
        return "0.0.0+unknown"


__version__ = _installed_version()
