"""The declarative rule layer: load and validate YAML rule files, compile them to a source."""
from .loader import RulePack, load_rule_files, discover_rule_files
from .schema import RuleFileModel, RuleModel, rule_file_json_schema

__all__ = ["RulePack", "load_rule_files", "discover_rule_files", "RuleFileModel", "RuleModel",
           "rule_file_json_schema"]
