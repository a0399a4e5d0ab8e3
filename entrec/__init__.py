"""entrec: entity recognition for operational documents of the Brazilian grid.

    from entrec import Engine
    eng = Engine.load()                      # embedded rule packs + inequality grammar
    for ent in eng.extract("Manter a tensão na SE Xingu entre 525 kV e 550 kV"):
        print(ent.to_dict())

One import root over the checkout's top-level folders (pyproject.toml maps them):
`entrec.engine` (the library), `entrec.grammars` / `entrec.rules` (package data),
`entrec.training`, `entrec.serving`, `entrec.cli`, `entrec.pipeline`, `entrec.keyset`.
Layers import downward only: engine < training < serving < cli (tests/test_layers.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from entrec import engine as _engine
from entrec.engine import (ArtifactError, Candidate, DataImportError, Discarded, Entity,
                           EntrecError, InputError, LexiconError, Resolution, ResolutionConfig,
                           RuleFileError, __version__, register_policy)

if TYPE_CHECKING:  # pragma: no cover
    from entrec.engine.engine import Engine

#: the root re-exports the library's public names, nothing more
__all__ = list(_engine.__all__)


def __getattr__(name: str):
    # Engine pulls in spaCy; import it lazily so `import entrec` and the error tree stay cheap.
    if name == "Engine":
        return _engine.Engine
    raise AttributeError(f"module 'entrec' has no attribute {name!r}")
