"""`Engine`: load once, extract many times.

Data flows one way: rule files / grammar / model artifact are loaded and compiled in
`Engine.load`; `extract` tokenizes, runs the rules and the grammar once, hands the rule
matches to the model when its placement needs them, and resolves with the engine's own
policy. After load
the engine holds no mutable state that calls depend on, so one instance is safe to share
with forked workers (gunicorn --preload, multiprocessing).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from .entity import Candidate, Entity
from .errors import ArtifactError, EntrecError, InputError
from .lazy_map import LazyMap
from .ml import RULE_PLACEMENTS, ModelSource
from .paths import rules_dir
from .resolver import Policy, Resolution, ResolutionConfig, get_policy, make_policy, resolve
from .rules.pack import RulePack
from .rules.pack_cache import load_rule_files_cached
from .sources import CandidateSource, find_many
from .tokenizer import MAX_TEXT_CHARS, SUPPORTED_LANGS, make_doc, make_nlp
from .version import __version__

__all__ = ["Engine", "COMPONENTS", "default_rule_paths", "ARBITRATION_FILE", "ARBITRATION_FORMAT",
           "read_arbitration"]

COMPONENTS = ("rules", "grammar", "model")
#: what `entrec train` selected on held-out folds, shipped next to the NER model
ARBITRATION_FILE = "arbitration.json"
ARBITRATION_FORMAT = "entrec-arbitration.v1"
#: the learned arbiter of earlier versions, used when the pack selects `learned.v1`
LEGACY_ARBITER_FILE = "arbiter.json"


def default_rule_paths() -> list[Path]:
    """The embedded default packs: one folder per language (not `examples/`)."""
    base = rules_dir()
    return [base / lang for lang in SUPPORTED_LANGS if (base / lang).is_dir()]


@dataclass(frozen=True)
class _LangRuntime:
    nlp: Language
    #: rule and grammar sources (they only read the text)
    sources: tuple[CandidateSource, ...]
    #: the model source, fed with this runtime's own rule matches when its placement needs them
    model: ModelSource | None
    config: ResolutionConfig
    pack: RulePack | None
    #: the policy this engine resolves with (owned by the engine: an arbiter shipped with
    #: the model, or the pack's policy)
    policy: Policy
    #: the pack's own policy: what the rules-only view and the rule matches given to the
    #: model are resolved with
    pack_policy: Policy
    #: sources (by kind) run only to feed the model, their candidates not returned: the
    #: rules of a model-only view of a `features` model
    feed_only: frozenset[str] = frozenset()

    def all_sources(self) -> list[CandidateSource]:
        return [s for s in self.sources if s.source not in self.feed_only] + (
            [self.model] if self.model is not None else [])


@dataclass
class Engine:
    """The entity recognizer. Build it with `Engine.load(...)`.

    An engine owns everything a call reads (sources, resolution config, policy) and never
    changes it after load: views such as `subset`, `with_placement` and `with_policy` are
    new engines sharing the loaded parts, so evaluation never reaches inside one.
    """

    default_lang: str
    #: per-language runtimes, each built on first use (LazyMap). Internal: code outside the
    #: engine uses the public views and accessors, not these
    runtimes: Mapping[str, _LangRuntime]
    manifest: dict | None = None
    model_dir: Path | None = None
    components: tuple[str, ...] = COMPONENTS
    packs: Mapping[str, RulePack] = field(default_factory=dict)
    #: what training selected and shipped (`ner/arbitration.json`), None without one
    arbitration: Mapping[str, Any] | None = None

    @property
    def _runtimes(self) -> Mapping[str, _LangRuntime]:
        return self.runtimes

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, rules: str | Path | Sequence[str | Path] | None = None,
             model: str | Path | None = None, lang: str | None = None, *,
             components: Sequence[str] = COMPONENTS, half_open: bool = False,
             workdir: str | Path | None = None, allow_outside_paths: bool = False) -> "Engine":
        """Build an engine.

        rules: rule files/folders (default: the artifact's rules when `model` is given,
        else the embedded packs). model: a model directory or `model.tar.gz` (DESIGN §7),
        verified before use. lang: default language for texts that don't say.
        components: which sources run ("rules", "grammar", "model").
        half_open: "entre X e Y" as [X, Y) instead of [X, Y].
        allow_outside_paths: let `include:` / `phrases_file:` name files outside the pack
        folder (absolute or `..` paths); off by default, since rule files travel in artifacts.
        Any problem in the rule files raises `RuleFileError` with located diagnostics.

        A model artifact may ship the arbitration its training selected on held-out folds
        (`ner/arbitration.json`: rule placement, policy and its fitted parameters); the
        engine then resolves with its own instance of that policy.
        """
        components = tuple(components)
        unknown = [c for c in components if c not in COMPONENTS]
        if unknown:
            raise EntrecError(f"unknown component(s) {unknown}", code="component-unknown",
                              hint=f"choose from {', '.join(COMPONENTS)}")
        default_lang = lang or "pt"
        if default_lang not in SUPPORTED_LANGS:
            raise InputError(f"unsupported language {default_lang!r}", code="unsupported-language",
                             hint=f"use one of: {', '.join(SUPPORTED_LANGS)}")
        manifest = None
        model_dir = None
        grammars = None
        if model is not None:
            from .artifact import open_model

            model_dir, manifest = open_model(Path(model), workdir=workdir)
            if rules is None and (model_dir / "rules").is_dir():
                rules = [model_dir / "rules"]
            if (model_dir / "grammars").is_dir():
                grammars = model_dir / "grammars"
        if rules is None:
            rule_paths = default_rule_paths()
        elif isinstance(rules, (str, Path)):
            rule_paths = [Path(rules)]
        else:
            rule_paths = [Path(r) for r in rules]
        # packs are loaded even without the "rules" component: they carry `resolution:`
        packs = load_rule_files_cached(rule_paths, allow_outside_paths=allow_outside_paths)

        grammar_source = None
        if "grammar" in components:
            from .inequality import InequalityExtractor, InequalitySource

            # candidates made at the priority the default language's pack gives the grammar
            # need no re-prioritizing copy in `_prioritized` (other packs still get theirs)
            first = packs[default_lang].resolution if default_lang in packs else ResolutionConfig()
            priority = first.priority_of("grammar")
            extractor = InequalityExtractor.load(grammars_dir=grammars, half_open=half_open,
                                                 **({} if priority is None else {"priority": priority}))
            grammar_source = InequalitySource(extractor)
        model_source = None
        arbitration = None
        legacy_arbiter = None
        ner_dir = model_dir / "ner" if model_dir is not None else None
        if "model" in components and ner_dir is not None and ner_dir.is_dir():
            arbitration = read_arbitration(ner_dir)
            model_source = ModelSource.from_dir(
                ner_dir, placement=(arbitration or {}).get("placement"))
            if arbitration is None and (ner_dir / LEGACY_ARBITER_FILE).is_file():
                legacy_arbiter = json.loads((ner_dir / LEGACY_ARBITER_FILE).read_text(encoding="utf-8"))

        for code in SUPPORTED_LANGS:  # fail at load, not per call
            get_policy(packs[code].resolution.policy if code in packs else ResolutionConfig().policy)
        shipped = None
        if model_source is not None and arbitration is not None:
            shipped = make_policy(arbitration["policy"], arbitration.get("params"))
        elif model_source is not None and legacy_arbiter is not None:
            shipped = make_policy("learned.v1", legacy_arbiter)

        def build(code: str) -> _LangRuntime:
            mod = model_source if model_source is not None and _model_applies(manifest, code) else None
            if mod is not None and mod.shares_tokenizer and mod.nlp.lang == code:
                # one tokenization per text: rules, grammar and model read the same Doc
                nlp = mod.nlp
                nlp.max_length = max(nlp.max_length, MAX_TEXT_CHARS)
            else:
                nlp = make_nlp(code)
            pack = packs.get(code)
            config = pack.resolution if pack else ResolutionConfig()
            pack_policy = get_policy(config.policy)
            sources: list[CandidateSource] = []
            if "rules" in components and pack is not None and pack.rules:
                sources.append(pack.source(nlp.vocab))
            if grammar_source is not None:
                sources.append(grammar_source)
            policy = pack_policy
            if mod is not None and shipped is not None and (arbitration is not None or config.policy == "learned.v1"):
                policy = shipped
            return _LangRuntime(nlp, tuple(sources), mod, config, pack, policy, pack_policy)

        # one pipeline per language, built on the first text in that language
        runtimes = LazyMap({code: partial(build, code) for code in SUPPORTED_LANGS})
        return cls(default_lang=default_lang, runtimes=runtimes, manifest=manifest, model_dir=model_dir,
                   components=components, packs=packs, arbitration=arbitration)

    # --------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        return (self.manifest or {}).get("name", "entrec-default")

    @property
    def version(self) -> str:
        if self.manifest and self.manifest.get("version"):
            return str(self.manifest["version"])
        return __version__

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._runtimes)

    def warm(self, langs: Sequence[str] | None = None) -> "Engine":
        """Build the per-language pipelines, and whatever their sources compile on first
        use, now instead of on each language's first text (a server calls this before it
        reports ready, so no request pays for it)."""
        for code in langs or tuple(self._runtimes):
            for source in self._runtime(code).sources:
                warm = getattr(source, "warm", None)
                if warm is not None:
                    warm()  # what a source otherwise compiles on first use
        return self

    def sources(self, lang: str | None = None) -> list[CandidateSource]:
        return self._runtime(lang).all_sources()

    def model_source(self, lang: str | None = None) -> ModelSource | None:
        """The model source of `lang` (None in an engine without a model)."""
        return self._runtime(lang).model

    def resolution_config(self, lang: str | None = None) -> ResolutionConfig:
        """The `resolution:` settings of the pack for `lang` (defaults without a pack)."""
        return self._runtime(lang).config

    def policy(self, lang: str | None = None) -> Policy:
        """The policy this engine resolves `lang` with (its own instance)."""
        return self._runtime(lang).policy

    def make_doc(self, text: str, lang: str | None = None) -> Doc:
        """`text` tokenized exactly as the sources see it."""
        return make_doc(self._runtime(lang).nlp, _check_text(text))

    # -------------------------------------------------------------------- views
    def _view(self, runtimes: Mapping[str, _LangRuntime], **changes: Any) -> "Engine":
        kw: dict[str, Any] = dict(default_lang=self.default_lang, manifest=self.manifest,
                                  model_dir=self.model_dir, components=self.components,
                                  packs=self.packs, arbitration=self.arbitration)
        kw.update(changes)
        return Engine(runtimes=runtimes, **kw)

    def _map(self, fn: Callable[[_LangRuntime], _LangRuntime]) -> LazyMap:
        """The runtimes transformed by `fn`, each built on first use (like the originals)."""
        def view(code: str) -> _LangRuntime:
            return fn(self._runtimes[code])

        return LazyMap({code: partial(view, code) for code in self._runtimes})

    def subset(self, components: Sequence[str]) -> "Engine":
        """A view of this engine running only some sources (shares the loaded parts, so it
        costs no load time or memory): `engine.subset(("grammar",))` is the inequality model.

        A view that leaves out any source resolves with the packs' own policy: a shipped
        arbiter was fitted on the full mix of sources (applied to the model alone it would
        filter the model, and model-only would no longer be the model). A model trained with rule `features` still
        gets its rule matches in a model-only view (the rules run, their candidates are
        not returned); a `presets` model is then the model alone.
        """
        kinds = {"rules": "rule", "grammar": "grammar", "model": "model"}
        unknown = [c for c in components if c not in kinds]
        if unknown:
            raise EntrecError(f"unknown component(s) {unknown}", code="component-unknown",
                              hint=f"choose from {', '.join(COMPONENTS)}")
        keep = {kinds[c] for c in components}

        def view(rt: _LangRuntime) -> _LangRuntime:
            model = rt.model if "model" in keep else None
            feed = frozenset({"rule"} - keep) if model is not None and model.placement == "features" else frozenset()
            had = {s.source for s in rt.all_sources()}
            return replace(rt, sources=tuple(s for s in rt.sources if s.source in keep or s.source in feed),
                           model=model, feed_only=feed, policy=rt.policy if had <= keep else rt.pack_policy)

        return self._view(self._map(view), components=tuple(components))

    def with_placement(self, placement: str) -> "Engine":
        """A view whose model runs under another rule placement ("resolver", "presets",
        "features"): how evaluation compares placements of one trained model."""
        return self._view(self._map(lambda rt: replace(rt, model=rt.model.with_placement(placement))
                                    if rt.model is not None else rt))

    def with_policy(self, policy: Policy | str, params: Mapping[str, Any] | None = None) -> "Engine":
        """A view resolving with another policy (an instance, or a registered name and
        its fitted parameters). The rules-only view of it still uses the pack's policy."""
        pol = make_policy(policy, params) if isinstance(policy, str) else policy
        return self._view(self._map(lambda rt: replace(rt, policy=pol)))

    def with_rule_packs(self, packs: Mapping[str, RulePack]) -> "Engine":
        """A view with other rule packs (an analyst's edited files): tokenizers, grammar and
        model are shared, so only the rule source is new. Each language's resolution
        settings come from its new pack; a policy shipped with the model stays."""
        def view(code: str) -> _LangRuntime:
            rt = self._runtimes[code]
            pack = packs.get(code)
            config = pack.resolution if pack else ResolutionConfig()
            pack_policy = get_policy(config.policy)
            mine = (pack.source(rt.nlp.vocab),) if "rules" in self.components and pack and pack.rules else ()
            policy = rt.policy if rt.policy is not rt.pack_policy else pack_policy
            return replace(rt, sources=mine + tuple(s for s in rt.sources if s.source != "rule"),
                           config=config, pack=pack, pack_policy=pack_policy, policy=policy)

        return self._view(LazyMap({code: partial(view, code) for code in self._runtimes}), packs=dict(packs))

    def with_model(self, model: ModelSource | None) -> "Engine":
        """A view with another model source (e.g. one trained on a cross-validation fold)."""
        return self._view(self._map(lambda rt: replace(rt, model=model)))

    # -------------------------------------------------------------- extraction
    def _runtime(self, lang: str | None) -> _LangRuntime:
        code = lang or self.default_lang
        try:
            return self._runtimes[code]
        except KeyError:
            raise InputError(f"unsupported language {code!r}", code="unsupported-language",
                             hint=f"use one of: {', '.join(self._runtimes)}") from None

    def _candidates_many(self, rt: _LangRuntime, docs: Sequence[Doc],
                         texts: Sequence[str]) -> list[list[Candidate]]:
        """Every source's candidates per doc. Rules run once; when the model's placement
        needs rule matches it gets them from that same pass, resolved by the pack's policy."""
        per_source = [find_many(s, docs) for s in rt.sources]
        out = [[c for lists in per_source for c in lists[j]] for j in range(len(docs))]
        if rt.model is None:
            # the priorities the pack gives grammar candidates, as `extract` applies them
            # (without this, `pipe` resolved grammar candidates at their source's priority)
            return [self._prioritized(cands, rt.config) for cands in out]
        spans = None
        if rt.model.needs_rule_spans:
            spans = []
            for j, text in enumerate(texts):
                rule_cands = [c for c in out[j] if c.source == "rule"]
                kept = resolve(text, rule_cands, rt.config, policy=rt.pack_policy).kept if rule_cands else []
                spans.append([(c.start, c.end, c.label) for c in kept])
        for j, cands in enumerate(rt.model.find_many(docs, rule_spans=spans, texts=texts)):
            out[j].extend(cands)
        if rt.feed_only:
            out = [[c for c in cands if c.source not in rt.feed_only] for cands in out]
        return [self._prioritized(cands, rt.config) for cands in out]

    def candidates(self, text: str, lang: str | None = None) -> list[Candidate]:
        """Every source's candidates, with the priorities the resolver compares."""
        rt = self._runtime(lang)
        return self._candidates_many(rt, [make_doc(rt.nlp, _check_text(text))], [text])[0]

    def candidates_many(self, texts: Sequence[str], lang: str | None = None) -> list[list[Candidate]]:
        """Candidates of every source per text (one batch; what arbitration is fitted on)."""
        rt = self._runtime(lang)
        return self._candidates_many(rt, [make_doc(rt.nlp, _check_text(t)) for t in texts], list(texts))

    def resolve(self, text: str, candidates: Iterable[Candidate], lang: str | None = None) -> Resolution:
        """Resolve ready-made candidates of `text` the way this engine would."""
        rt = self._runtime(lang)
        return resolve(text, self._prioritized(list(candidates), rt.config), rt.config, policy=rt.policy)

    def explain(self, text: str, lang: str | None = None) -> Resolution:
        """Resolve with the full record: kept candidates and why each other one lost."""
        return self.resolve(text, self.candidates(text, lang), lang)

    def extract(self, text: str, lang: str | None = None) -> list[Entity]:
        """The entities of `text` (what `explain` keeps, without recording the losers)."""
        rt = self._runtime(lang)
        cands = self._prioritized(self.candidates(text, lang), rt.config)
        return resolve(text, cands, rt.config, policy=rt.policy, explain=False).entities

    def pipe(self, texts: Iterable[str | tuple[str, str | None]], lang: str | None = None,
             batch_size: int = 64) -> Iterator[list[Entity]]:
        """Stream results in input order; sources that batch (the model) see whole batches."""
        it = iter(texts)
        while True:
            batch = list(itertools.islice(it, max(1, batch_size)))
            if not batch:
                return
            items = [(t, lang) if isinstance(t, str) else (t[0], t[1] or lang) for t in batch]
            results: list[list[Entity] | None] = [None] * len(items)
            by_lang: dict[str, list[int]] = {}
            for i, (_, lg) in enumerate(items):
                by_lang.setdefault(lg or self.default_lang, []).append(i)
            for lg, idxs in by_lang.items():
                rt = self._runtime(lg)
                texts_ = [_check_text(items[i][0]) for i in idxs]
                docs: list[Doc] = [make_doc(rt.nlp, t) for t in texts_]
                for j, cands in enumerate(self._candidates_many(rt, docs, texts_)):
                    res = resolve(texts_[j], cands, rt.config, policy=rt.policy, explain=False)
                    results[idxs[j]] = res.entities
            yield from results  # type: ignore[misc]

    @staticmethod
    def _prioritized(cands: list[Candidate], config: ResolutionConfig) -> list[Candidate]:
        """Grammar and model candidates take the priority the pack configures for them."""
        wanted = dict(config.source_priority)
        out = []
        for c in cands:
            p = wanted.get(c.source) if c.source != "rule" else None
            if p is not None and p != c.priority:
                c = c.with_priority(p)
            out.append(c)
        return out


def read_arbitration(ner_dir: Path) -> dict[str, Any] | None:
    """The arbitration a training run shipped in `ner_dir` (None when there is none)."""
    path = Path(ner_dir) / ARBITRATION_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}", code="arbitration-invalid") from None
    if not isinstance(data, dict) or data.get("format") != ARBITRATION_FORMAT or "policy" not in data:
        raise ArtifactError(f"{path} is not an entrec arbitration file ({ARBITRATION_FORMAT})",
                            code="arbitration-invalid")
    if data.get("placement") is not None and data["placement"] not in RULE_PLACEMENTS:
        raise ArtifactError(f"{path}: unknown rule placement {data['placement']!r}",
                            code="arbitration-invalid", hint=f"one of: {', '.join(RULE_PLACEMENTS)}")
    return data


def _model_applies(manifest: dict | None, lang: str) -> bool:
    model_lang = (manifest or {}).get("language")
    return model_lang in (None, lang)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}", code="text-not-string")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
                         code="text-too-long", hint="split the document into sections")
    return text
