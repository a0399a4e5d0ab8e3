"""The library version, in a module of its own so that any engine module can read it
without importing the `entrec.engine` package (which would make an import circle)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
