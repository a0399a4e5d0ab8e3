"""Package discovery only (metadata lives in pyproject.toml).

`grammars/` and `rules/` sit at the top of the checkout (DESIGN §1) but ship inside the
wheel as `entrec_data.grammars` / `entrec_data.rules`, so an installed engine finds them
with importlib.resources and never needs the checkout.
"""
from setuptools import find_packages, setup

packages = find_packages(include=["engine", "engine.*", "training", "training.*", "serving", "serving.*",
                                        "pipeline", "pipeline.*"])
packages += ["entrec_data", "entrec_data.grammars", "entrec_data.rules"]
setup(packages=packages)
