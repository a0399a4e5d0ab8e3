"""A small reproducible model trained from the bundled sample (a demo of `entrec train`).

Not part of the default engine nor of `make run`: on real operator text
(`../shared/data/real-dev`) the hybrid with it keeps the rules' recall and drops precision
from 0.99 to 0.63, so `Engine.load()` stays rules + grammar (docs/real-text.md).

Trained from the bundled sample (`engine/samples/labeled_pt.jsonl`, 144 hand-written
grid-operation sentences with the DESIGN §9 labels) with a fixed seed and a fixed epoch
budget, so the same checkout always builds the same model; cached in `cache_dir` and
rebuilt only when the sample, the default pack or the training code's settings change
(a fingerprint file records them). Building takes ~20-60 s on a laptop core.

Why not ship trained weights: a binary blob in the repo would silently drift from the code
and the sample that made it; training here is the honest, reproducible path.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from entrec.engine.paths import samples_dir

__all__ = ["ensure_default_model", "main", "SAMPLE_NAME", "DEFAULT_EPOCHS"]

SAMPLE_NAME = "labeled_pt.jsonl"
DEFAULT_EPOCHS = 15
DEFAULT_SEED = 0
_STAMP = "default-model.json"


def _fingerprint(sample: Path, epochs: int, seed: int) -> str:
    from entrec.engine.engine import default_rule_paths
    from entrec.training.config import DEFAULT_CONFIG

    h = hashlib.sha256()
    h.update(sample.read_bytes())
    h.update(DEFAULT_CONFIG.encode())
    h.update(f"{epochs}:{seed}".encode())
    for base in default_rule_paths():
        for p in sorted(base.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(base).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def ensure_default_model(cache_dir: str | Path, *, epochs: int = DEFAULT_EPOCHS,
                         seed: int = DEFAULT_SEED, progress=None, log=None) -> Path:
    """Return the unpacked artifact folder (`cache_dir/model`) for `Engine.load(model=...)`,
    training it first when the cache is missing or stale."""
    from entrec.training.pipeline import run_training

    cache = Path(cache_dir)
    sample = samples_dir() / SAMPLE_NAME
    fp = _fingerprint(sample, epochs, seed)
    stamp = cache / _STAMP
    model_dir = cache / "model"
    if stamp.is_file() and model_dir.is_dir():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint") == fp:
                return model_dir
        except ValueError:
            pass
    if cache.exists():
        shutil.rmtree(cache)
    run = run_training([sample], out_dir=cache, epochs=epochs, seed=seed, patience=epochs,
                       name="entrec-default", version=f"sample-{fp[:12]}", progress=progress,
                       log=log)
    stamp.write_text(json.dumps({"fingerprint": fp, "artifact": str(run.artifact)}) + "\n",
                     encoding="utf-8")
    return model_dir


def main(argv: list[str] | None = None) -> int:
    """`python -m entrec.training.default_model [CACHE_DIR]`: build (or reuse) the default model and
    print the folder to pass to `entrec extract --model` (what `make run` calls)."""
    import sys

    from entrec.engine.errors import EntrecError

    args = sys.argv[1:] if argv is None else argv
    cache = Path(args[0]) if args else Path(".cache") / "default-model"
    try:
        path = ensure_default_model(cache, log=lambda m: print(m, file=sys.stderr, flush=True))
    except EntrecError as exc:
        print(f"default model: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
