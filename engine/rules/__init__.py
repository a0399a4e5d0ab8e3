"""The declarative rule layer: load and validate YAML rule files, compile them to a source.

Names are imported on first use: a start-up served from the compiled-pack cache needs
neither the YAML reader nor the validator (`loader`)."""
from __future__ import annotations

from typing import Any

__all__ = ["RulePack", "load_rule_files", "discover_rule_files", "RuleFileModel", "RuleModel",
           "rule_file_json_schema"]

_HOMES = {"RulePack": "pack", "discover_rule_files": "pack", "load_rule_files": "loader",
          "RuleFileModel": "schema", "RuleModel": "schema", "rule_file_json_schema": "schema"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{home}"), name)
