"""Where the embedded package data lives, in a checkout and in an installed wheel."""
from __future__ import annotations

from pathlib import Path

__all__ = ["grammars_dir", "rules_dir", "samples_dir"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    # `entrec_data.grammars` / `.rules` are folders without __init__.py (namespace
    # packages), so ask the import system where they are rather than importlib.resources
    # (which returns a MultiplexedPath for namespaces). Works for wheels and editable installs.
    import importlib.util

    try:
        spec = importlib.util.find_spec(f"entrec_data.{name}")
    except ModuleNotFoundError:  # pragma: no cover - checkout without install
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if Path(loc).is_dir():
                return Path(loc)
    return _CHECKOUT / name


def grammars_dir() -> Path:
    """Folder with `inequality.lark` and `lexicon/*.yaml`."""
    return _data_dir("grammars")


def rules_dir() -> Path:
    """Folder with the default rule packs (`pt/`, `en/`, `examples/`)."""
    return _data_dir("rules")


def samples_dir() -> Path:
    """Bundled sample texts (used by `make run`)."""
    return Path(__file__).resolve().parent / "samples"
