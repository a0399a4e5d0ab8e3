"""`freeze_loaded`: what a process loaded leaves the collector's generations."""
from __future__ import annotations

import gc
import weakref

from entrec.engine.loaded_objects import freeze_loaded


class _Node:
    self: object


def test_freeze_loaded_moves_live_objects_out_of_the_collectors_generations():
    gc.unfreeze()
    kept = [["a tracked container"]]
    garbage = _Node()
    garbage.self = garbage  # a cycle nothing refers to: collected, not frozen
    gone = weakref.ref(garbage)
    del garbage
    freeze_loaded()
    try:
        assert gc.get_freeze_count() > 100
        assert not any(o is kept for o in gc.get_objects())  # in no generation any more
        assert gone() is None  # freed by the collection before the freeze
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())  # unfreeze gives them back
