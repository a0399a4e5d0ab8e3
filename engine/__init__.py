"""The entrec library (`entrec.engine`): rule files, inequality grammar, ML source, resolver.

    from entrec import Engine
    eng = Engine.load()                      # embedded rule packs + inequality grammar
    for ent in eng.extract("Manter a tensão na SE Xingu entre 525 kV e 550 kV"):
        print(ent.to_dict())
"""
from .entity import Candidate, Entity
from .errors import (ArtifactError, DataImportError, EntrecError, InputError, LexiconError,
                     RuleFileError)
from .resolver import Discarded, Resolution, ResolutionConfig, register_policy

def _installed_version() -> str:
    # one place for the version: pyproject.toml, read back from the installed metadata
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("entrec")
    except PackageNotFoundError:  # pragma: no cover - a checkout on sys.path, not installed
        return "0.0.0+unknown"


__version__ = _installed_version()

__all__ = [
    "Engine", "Entity", "Candidate", "Resolution", "Discarded", "ResolutionConfig",
    "register_policy", "EntrecError", "RuleFileError", "LexiconError", "ArtifactError",
    "InputError", "DataImportError", "__version__",
]


def __getattr__(name: str):
    # Engine pulls in spaCy; import it lazily so `import entrec.engine.errors` stays cheap.
    if name == "Engine":
        from .engine import Engine

        return Engine
    raise AttributeError(name)
