"""The default spaCy training config (CPU, CNN tok2vec) and how a user file overrides it.

Why in code and not a `.cfg` data file: the config is small, it changes with one switch
(`rule_features`, see docs/training.md "Where the rules go"), and code is always shipped
with the wheel while package data needs a manifest entry. `entrec train --config FILE`
merges FILE over these defaults, so a user file can hold only the keys it changes (e.g.
`[components.ner.model.tok2vec.encode] width = 128`), or a whole spaCy config.

The `[training]` block is read by entrec's own loop (training/train.py), not by
`spacy train`: `seed`, `dropout`, `max_epochs`, `patience` (epochs without a dev-F1 gain
before stopping), `max_seconds` (wall-clock cap, 0 = none), `rule_placement` ("presets" | "resolver";
"features" when `rule_features` is on), `[training.optimizer]` and
`[training.batcher]` (resolved through spaCy's registry, so any registered optimizer or
batcher works).
"""
from __future__ import annotations

from pathlib import Path

from thinc.api import Config

from entrec.engine.errors import EntrecError

__all__ = ["DEFAULT_CONFIG", "RULE_FEATURE_ATTR", "default_config", "load_config", "ConfigError"]

#: Token attribute that carries the rule-match feature when `rule_features` is on. The NER
#: pipeline has no tagger, so `Token.tag_` is free; MultiHashEmbed can only embed built-in
#: token attributes (it reads `Doc.to_array`), which is why we borrow TAG instead of a
#: custom extension.
RULE_FEATURE_ATTR = "TAG"

DEFAULT_CONFIG = """
[paths]
vectors = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "pt"
pipeline = ["ner"]
batch_size = 256
tokenizer = {"@tokenizers":"spacy.Tokenizer.v1"}

[components]

[components.ner]
factory = "ner"
incorrect_spans_key = null
moves = null
scorer = {"@scorers":"spacy.ner_scorer.v1"}
update_with_oracle_cut_size = 100

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 64
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[components.ner.model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 96
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = [20000,5000,10000,10000]
include_static_vectors = true

[components.ner.model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 96
depth = 4
window_size = 1
maxout_pieces = 3

[training]
seed = ${system.seed}
dropout = 0.1
max_epochs = 30
patience = 4
max_seconds = 0
rule_placement = "presets"
rule_features = false

[training.static_vectors]
enabled = true
dim = 64
bucket = 20000
minn = 3
maxn = 5
hash_count = 2
epochs = 10
min_count = 2
model = "cbow"

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001
"""


class ConfigError(EntrecError):
    """A training config file is unreadable or inconsistent."""

    code = "train-config-invalid"


def default_config(*, lang: str = "pt", rule_features: bool = False) -> Config:
    """The built-in config; `rule_features` adds the rule-match attribute to the embedding
    (and switches the placement to "features")."""
    # not interpolated yet: `${system.seed}` must follow a user's `[system] seed`
    cfg = Config().from_str(DEFAULT_CONFIG, interpolate=False)
    cfg["nlp"]["lang"] = lang
    if rule_features:
        _enable_rule_features(cfg)
    _sync_static_vectors(cfg)
    return cfg


def _enable_rule_features(cfg: Config) -> None:
    embed = cfg["components"]["ner"]["model"]["tok2vec"]["embed"]
    attrs = list(embed["attrs"])
    if RULE_FEATURE_ATTR not in attrs:
        embed["attrs"] = attrs + [RULE_FEATURE_ATTR]
        embed["rows"] = list(embed["rows"]) + [64]
    cfg["training"]["rule_features"] = True
    cfg["training"]["rule_placement"] = "features"


def _sync_static_vectors(cfg: Config) -> None:
    """`[training.static_vectors] enabled` decides whether the embedding reads them."""
    enabled = bool((cfg["training"].get("static_vectors") or {}).get("enabled", False))
    for comp in cfg["components"].values():
        embed = (((comp or {}).get("model") or {}).get("tok2vec") or {}).get("embed")
        if isinstance(embed, dict) and "include_static_vectors" in embed:
            embed["include_static_vectors"] = enabled


def _with_parent_sections(text: str) -> str:
    """Declare missing parent sections so a partial file (`[a.b.c]` alone) parses:
    thinc refuses a section whose parents are not defined."""
    import re

    present = set(re.findall(r"^\[([^\]\n]+)\]\s*$", text, flags=re.M))
    missing: list[str] = []
    for sec in re.findall(r"^\[([^\]\n]+)\]\s*$", text, flags=re.M):
        parts = sec.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in present and parent not in missing:
                missing.append(parent)
    return "".join(f"[{m}]\n\n" for m in missing) + text


def load_config(path: str | Path | None = None, *, lang: str = "pt",
                overrides: dict | None = None) -> Config:
    """Defaults, then `path` merged over them, then dotted `overrides` ("training.seed": 3).

    Raises ConfigError (`train-config-invalid`) with the file name on a syntax error or
    when the result has no `ner` component: entrec's model source needs one.
    """
    cfg = default_config(lang=lang)
    if path is not None:
        p = Path(path)
        try:
            user = Config().from_str(_with_parent_sections(p.read_text(encoding="utf-8")),
                                     interpolate=False)
        except OSError as exc:
            raise ConfigError(f"cannot read config {p}: {exc.strerror or exc}",
                              code="train-config-missing") from None
        except Exception as exc:  # thinc raises ConfigValidationError / configparser errors
            raise ConfigError(f"{p}: {exc}".strip()) from None
        if "nlp" in user and "pipeline" in user["nlp"]:
            # a full pipeline definition replaces our components instead of mixing with them
            cfg["components"] = Config()
        cfg = Config(cfg).merge(user)
    for dotted, value in (overrides or {}).items():
        node = cfg
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    if cfg["training"].get("rule_features"):
        _enable_rule_features(cfg)
    _sync_static_vectors(cfg)
    if cfg["training"].get("rule_placement", "presets") not in ("presets", "resolver", "features"):
        raise ConfigError(f"training.rule_placement must be presets, resolver or features, "
                          f"got {cfg['training'].get('rule_placement')!r}")
    pipeline = cfg["nlp"].get("pipeline", [])
    ner_names = [n for n in pipeline
                 if cfg["components"].get(n, {}).get("factory") in ("ner", "beam_ner")]
    if not ner_names:
        raise ConfigError("the config's pipeline has no `ner` component",
                          hint="add a component with factory = \"ner\" to [nlp] pipeline")
    try:
        return cfg.interpolate()
    except Exception as exc:
        raise ConfigError(f"config does not resolve: {exc}") from None
