"""pyproject.toml lists every package: a folder with an `__init__.py` under a mapped folder
that is missing from `packages` would be absent from the wheel (and only the editable
install, which finds it anyway, would work)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_python_package_is_listed():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(cfg["packages"])
    expected = set()
    for name, folder in cfg["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            expected.add(".".join([name, *rel.parts]))
    assert expected, "no packages found: the scan is broken"
    assert expected <= listed, f"add to [tool.setuptools] packages: {sorted(expected - listed)}"
