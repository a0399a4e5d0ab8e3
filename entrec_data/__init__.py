"""Package data of entrec: `entrec_data.grammars` and `entrec_data.rules` map to the
top-level `grammars/` and `rules/` folders of the checkout (see setup.py)."""
