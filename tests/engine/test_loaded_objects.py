"""`freeze_loaded`: what a process loaded leaves the collector's generations."""
from __future__ import annotations

import gc

from entrec.engine.loaded_objects import freeze_loaded


def test_freeze_loaded_moves_live_objects_out_of_the_collectors_generations():
    gc.unfreeze()
    kept = [["a tracked container"]]
    garbage = []
    garbage.append(garbage)  # a cycle nothing refers to: collected, not frozen
    marker = id(garbage)
    del garbage
    freeze_loaded()
    try:
        assert gc.get_freeze_count() > 100
        assert not any(o is kept for o in gc.get_objects())  # in no generation any more
        assert not any(id(o) == marker and isinstance(o, list) and o and o[0] is o
                       for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())  # unfreeze gives them back
