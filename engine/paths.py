"""Where the embedded package data lives, in a checkout and in an installed wheel."""
from __future__ import annotations

from pathlib import Path

__all__ = ["grammars_dir", "rules_dir", "samples_dir"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    try:
        from importlib.resources import files

        p = Path(str(files(f"entrec_data.{name}")))
        if p.is_dir():
            return p
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - checkout without install
        pass
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
