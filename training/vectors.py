"""Static subword vectors trained on the training run's own text (floret), shipped in `ner/`.

Why: LeNER-Br-sized data (~8k sentences) leave most word forms seen once or never; a
static embedding learned from the raw text gives the NER tokens' distributional
neighbours and, through floret's hashed character n-grams, a vector for every unseen
form too (a misspelt court name, an inflected verb). No pretrained vectors are
downloaded: the vectors come from the texts the user trains on (the training documents'
text, not dev: dev F1 stays a measure on unseen text), so `entrec train` works the same on any data and the artifact is self-contained.

floret (rather than plain fastText vectors) because spaCy stores it as one compact hash
table (`bucket` rows x `dim`) and computes a vector for any token at run time; with
`hash_count` 2 that table is small enough to ship (default 20k x 64 floats = 5 MB).

Config (`[training.static_vectors]`, training/config.py): `enabled`, `dim`, `bucket`,
`minn`, `maxn`, `hash_count`, `epochs`, `min_count`, `model` ("cbow" | "skipgram").
The tokens fed to floret are the pipeline's own tokens (entrec's tokenizer), so
the vectors are trained on exactly the strings the model looks up.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from spacy.language import Language

from entrec.engine.errors import EntrecError

__all__ = ["VectorSettings", "VectorsError", "settings_from", "train_static_vectors"]


class VectorsError(EntrecError):
    """Static vectors could not be trained (floret missing, a bad setting)."""

    code = "training-failed"


@dataclass(frozen=True)
class VectorSettings:
    enabled: bool = False
    dim: int = 64
    bucket: int = 20000
    minn: int = 3
    maxn: int = 5
    hash_count: int = 2
    epochs: int = 10
    min_count: int = 2
    model: str = "cbow"


def settings_from(cfg: Mapping | None) -> VectorSettings:
    """`[training.static_vectors]` of a config (missing keys take the defaults)."""
    cfg = dict(cfg or {})
    known = VectorSettings.__dataclass_fields__
    unknown = sorted(set(cfg) - set(known))
    if unknown:
        raise VectorsError(f"unknown key(s) in [training.static_vectors]: {', '.join(unknown)}",
                           code="train-config-invalid")
    return VectorSettings(**{k: type(getattr(VectorSettings, k))(v) for k, v in cfg.items()})


def _corpus_lines(nlp: Language, texts: Sequence[str]) -> list[str]:
    lines = []
    for doc in nlp.tokenizer.pipe(texts, batch_size=256):
        toks = [t.text for t in doc if not t.is_space]
        if toks:
            lines.append(" ".join(toks))
    return lines


def train_static_vectors(nlp: Language, texts: Sequence[str], settings: VectorSettings) -> dict:
    """Train floret vectors on `texts` (tokenized by `nlp`) and load them into `nlp.vocab`.

    Returns a summary (tokens, seconds, table shape) for the training report.
    """
    try:
        import floret
    except ImportError:  # pragma: no cover - floret is in the `train` extra
        raise VectorsError("static vectors need floret",
                           hint="pip install 'entrec[train]', or set [training.static_vectors] "
                                "enabled = false") from None
    from spacy.training.initialize import convert_vectors

    t0 = time.perf_counter()
    lines = _corpus_lines(nlp, texts)
    n_tokens = sum(line.count(" ") + 1 for line in lines)
    # a tiny corpus (a test, a first labeling round) keeps every word: floret refuses an
    # empty vocabulary, and the subword table is what matters there anyway
    min_count = settings.min_count if n_tokens >= 10000 else 1
    with tempfile.TemporaryDirectory(prefix="entrec-vectors-") as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = floret.train_unsupervised(
            str(corpus), model=settings.model, mode="floret", dim=settings.dim,
            bucket=settings.bucket, minn=settings.minn, maxn=settings.maxn,
            hashCount=settings.hash_count, epoch=settings.epochs, minCount=min_count,
            thread=1, verbose=0)
        vec_file = Path(tmp) / "vectors.floret"
        model.save_floret_vectors(str(vec_file))
        del model
        convert_vectors(nlp, vec_file, truncate=0, prune=-1, mode="floret")
    return {"tokens": n_tokens, "lines": len(lines), "dim": settings.dim, "bucket": settings.bucket,
            "minn": settings.minn, "maxn": settings.maxn, "hash_count": settings.hash_count,
            "epochs": settings.epochs, "seconds": round(time.perf_counter() - t0, 1)}
