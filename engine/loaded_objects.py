"""Keep the cyclic garbage collector off what a process loads once (spaCy, an engine, a model).

A full collection walks every tracked object alive. After `Engine.load` that is ~100,000
objects (most of them spaCy's and its dependencies'), 40-50 ms per full collection on the
2-core bench machine. A long extraction promotes enough short-lived objects to run one
every few thousand texts: `pipe` over 19,950 texts spent ~9 µs per text in the collector,
~1.5 µs after `freeze_loaded` (docs/performance.md, "stop 33").

Shells that own their process call it once, after loading and before the work: the CLI's
`extract`, the batch runners' `load_engine`, the predictor's gunicorn master (where it also
keeps forked workers from copying the shared pages by writing to object headers). The
library never calls it inside `Engine` itself: it freezes the caller's objects too.
"""
from __future__ import annotations

import gc

__all__ = ["freeze_loaded"]


def freeze_loaded() -> None:
    """Collect once, then move every object alive into the collector's permanent generation
    (`gc.freeze`): later collections neither walk nor free them. What was garbage is freed
    first; objects alive now stay alive until `gc.unfreeze()`."""
    gc.collect()
    gc.freeze()
