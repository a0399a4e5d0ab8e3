"""Reproducible train/dev split, stratified by label presence (scikit-learn).

Why stratify: grid-operation data is skewed (many SUBESTACAO, few CENTRO_OPERACAO); a
random 10% can leave a rare label out of dev, and early stopping would then ignore it.
Each document gets one stratum: the rarest label it contains (corpus-wide frequency), or
`"-"` when it has no span. Strata with a single document are merged into `"*rare*"`, since
scikit-learn needs two members per class. When stratification is impossible even then
(dev smaller than the number of strata), the split falls back to a plain seeded shuffle
and says so in `SplitReport.stratified`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence, TypeVar

from entrec.engine.errors import EntrecError

__all__ = ["SplitReport", "split_documents", "strata_of"]

T = TypeVar("T")


@dataclass(frozen=True)
class SplitReport:
    n_train: int
    n_dev: int
    stratified: bool
    seed: int
    dev_fraction: float
    #: documents per stratum in dev (label -> count), for the report
    dev_strata: dict[str, int] = field(default_factory=dict)


def _labels_of(doc) -> set[str]:
    return {s.label for s in getattr(doc, "spans", ())}


def strata_of(docs: Sequence) -> list[str]:
    """One stratum key per document: its rarest label, "-" for no span."""
    freq = Counter(lab for d in docs for lab in _labels_of(d))
    keys = []
    for d in docs:
        labs = _labels_of(d)
        keys.append(min(labs, key=lambda lab: (freq[lab], lab)) if labs else "-")
    counts = Counter(keys)
    return [k if counts[k] >= 2 else "*rare*" for k in keys]


def split_documents(docs: Sequence[T], *, dev_fraction: float = 0.1,
                    seed: int = 0) -> tuple[list[T], list[T], SplitReport]:
    """Split `docs` into (train, dev); the same input and seed always give the same split."""
    from sklearn.model_selection import train_test_split

    docs = list(docs)
    if len(docs) < 2:
        raise EntrecError(f"need at least 2 labeled documents to make a dev split, got {len(docs)}",
                          code="too-few-documents",
                          hint="add data or pass a dev set with --dev")
    if not 0.0 < dev_fraction < 1.0:
        raise EntrecError(f"dev fraction must be in (0, 1), got {dev_fraction}",
                          code="bad-dev-fraction")
    n_dev = min(len(docs) - 1, max(1, round(len(docs) * dev_fraction)))
    idx = list(range(len(docs)))
    keys = strata_of(docs)
    stratified = True
    try:
        if len(set(keys)) < 2 or n_dev < len(set(keys)) or len(docs) - n_dev < len(set(keys)):
            raise ValueError("too few documents per stratum")
        tr, dv = train_test_split(idx, test_size=n_dev, random_state=seed, stratify=keys)
    except ValueError:
        stratified = False
        tr, dv = train_test_split(idx, test_size=n_dev, random_state=seed, shuffle=True)
    tr, dv = sorted(tr), sorted(dv)
    report = SplitReport(n_train=len(tr), n_dev=len(dv), stratified=stratified, seed=seed,
                         dev_fraction=dev_fraction,
                         dev_strata=dict(sorted(Counter(keys[i] for i in dv).items())))
    return [docs[i] for i in tr], [docs[i] for i in dv], report
