"""The declared label set of a training run: which entity labels the labeled data may use.

A typo in an annotation tool (`ORGANIZAÇAO` for `ORGANIZACAO`) must not become a new entity
type of the model. The label set is declared once, from the rule packs (the labels their
`labels:` sections declare) and/or by name, and every span outside it is an import error
(`undeclared-label`, with file:line and a did-you-mean) instead of training data.

Spec syntax (`entrec train --label-set`, the retraining job's `--label-set`): comma- or
space-separated items, each `rules` (the packs' labels, INEQUALITY included) or a label
name: `rules`, `PESSOA,ORGANIZACAO`, `rules,PESSOA`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from entrec.engine.errors import EntrecError

__all__ = ["LabelSetError", "RULES_ITEM", "parse_label_set", "rule_pack_labels"]

RULES_ITEM = "rules"
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class LabelSetError(EntrecError):
    code = "bad-label-set"


def rule_pack_labels(lang: str = "pt", rules: Sequence[str | Path] | None = None) -> set[str]:
    """Labels the rule packs declare for `lang` (default: the embedded packs)."""
    from entrec.engine.engine import default_rule_paths
    from entrec.engine.rules.loader import load_rule_files

    packs = load_rule_files(list(rules) if rules else default_rule_paths())
    pack = packs.get(lang)
    if pack is None:
        raise LabelSetError(f"no rule pack for language {lang!r}", code="bad-label-set",
                            hint="packs: " + ", ".join(sorted(packs)) if packs else None)
    return set(pack.labels) | {"INEQUALITY"}


def parse_label_set(spec: str | Iterable[str] | None, *, lang: str = "pt",
                    rules: Sequence[str | Path] | None = None) -> frozenset[str] | None:
    """The declared labels for `spec`, or None when nothing is declared (`spec` empty)."""
    if spec is None:
        return None
    items = re.split(r"[\s,]+", spec) if isinstance(spec, str) else list(spec)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        return None
    out: set[str] = set()
    for item in items:
        if item.lower() == RULES_ITEM:
            out |= rule_pack_labels(lang, rules)
        elif _LABEL.match(item):
            out.add(item)
        else:
            raise LabelSetError(f"bad label {item!r} in the label set {spec!r}",
                                hint="labels are letters, digits, _ and -; use `rules` for "
                                     "the rule packs' labels")
    return frozenset(out)
