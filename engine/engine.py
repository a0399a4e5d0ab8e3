"""`Engine`: load once, extract many times.

Data flows one way: rule files / grammar / model artifact are loaded and compiled in
`Engine.load`; `extract` tokenizes, asks every candidate source, and resolves. After load
the engine holds no mutable state that calls depend on, so one instance is safe to share
with forked workers (gunicorn --preload, multiprocessing).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from .entity import Candidate, Entity
from .errors import EntrecError, InputError
from .paths import rules_dir
from .resolver import Resolution, ResolutionConfig, get_policy, resolve
from .rules.loader import RulePack, load_rule_files
from .sources import CandidateSource, find_many
from .text_guard import make_doc as guarded_doc
from .tokenizer import SUPPORTED_LANGS, make_nlp

__all__ = ["Engine", "COMPONENTS", "default_rule_paths"]

COMPONENTS = ("rules", "grammar", "model")


def default_rule_paths() -> list[Path]:
    """The embedded default packs: one folder per language (not `examples/`)."""
    base = rules_dir()
    return [base / lang for lang in SUPPORTED_LANGS if (base / lang).is_dir()]


@dataclass
class _LangRuntime:
    nlp: Language
    sources: list[CandidateSource]
    config: ResolutionConfig
    pack: RulePack | None


@dataclass
class Engine:
    """The entity recognizer. Build it with `Engine.load(...)`."""

    default_lang: str
    runtimes: dict[str, _LangRuntime]
    manifest: dict | None = None
    model_dir: Path | None = None
    components: tuple[str, ...] = COMPONENTS
    packs: dict[str, RulePack] = field(default_factory=dict)

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
        packs = load_rule_files(rule_paths, allow_outside_paths=allow_outside_paths)

        grammar_source = None
        if "grammar" in components:
            from .inequality import InequalityExtractor, InequalitySource

            grammar_source = InequalitySource(InequalityExtractor.load(grammars_dir=grammars, half_open=half_open))
        model_source = None
        if "model" in components and model_dir is not None and (model_dir / "ner").is_dir():
            from .ml import ModelSource

            model_source = ModelSource.from_dir(model_dir / "ner")

        if any(p.resolution.policy == "learned.v1" for p in packs.values()):
            # the learned arbitration policy lives with the training code and its weights
            # with the model; registering it is an explicit opt-in of the rule pack
            from entrec.training import arbitration

            arbiter = model_dir / "ner" / "arbiter.json" if model_dir else None
            if arbiter is not None and arbiter.is_file() and hasattr(arbitration, "use_arbiter"):
                arbitration.use_arbiter(arbiter)

        runtimes: dict[str, _LangRuntime] = {}
        for code in SUPPORTED_LANGS:
            nlp = make_nlp(code)
            pack = packs.get(code)
            config = pack.resolution if pack else ResolutionConfig()
            get_policy(config.policy)  # fail at load, not per call
            sources: list[CandidateSource] = []
            if "rules" in components and pack is not None and pack.rules:
                sources.append(pack.source(nlp.vocab))
            if grammar_source is not None:
                sources.append(grammar_source)
            if model_source is not None and _model_applies(manifest, code):
                sources.append(model_source)
            runtimes[code] = _LangRuntime(nlp, sources, config, pack)
        return cls(default_lang=default_lang, runtimes=runtimes, manifest=manifest, model_dir=model_dir,
                   components=components, packs=packs)

    # --------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        return (self.manifest or {}).get("name", "entrec-default")

    @property
    def version(self) -> str:
        if self.manifest and self.manifest.get("version"):
            return str(self.manifest["version"])
        from . import __version__

        return __version__

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.runtimes)

    def sources(self, lang: str | None = None) -> list[CandidateSource]:
        return list(self._runtime(lang).sources)

    def subset(self, components: Sequence[str]) -> "Engine":
        """A view of this engine running only some sources (shares the loaded parts, so it
        costs no load time or memory): `engine.subset(("grammar",))` is the inequality model."""
        kinds = {"rules": "rule", "grammar": "grammar", "model": "model"}
        unknown = [c for c in components if c not in kinds]
        if unknown:
            raise EntrecError(f"unknown component(s) {unknown}", code="component-unknown",
                              hint=f"choose from {', '.join(COMPONENTS)}")
        keep = {kinds[c] for c in components}
        runtimes = {code: _LangRuntime(rt.nlp, [s for s in rt.sources if s.source in keep], rt.config, rt.pack)
                    for code, rt in self.runtimes.items()}
        return Engine(default_lang=self.default_lang, runtimes=runtimes, manifest=self.manifest,
                      model_dir=self.model_dir, components=tuple(components), packs=self.packs)

    # -------------------------------------------------------------- extraction
    def _runtime(self, lang: str | None) -> _LangRuntime:
        code = lang or self.default_lang
        try:
            return self.runtimes[code]
        except KeyError:
            raise InputError(f"unsupported language {code!r}", code="unsupported-language",
                             hint=f"use one of: {', '.join(self.runtimes)}") from None

    def candidates(self, text: str, lang: str | None = None) -> list[Candidate]:
        rt = self._runtime(lang)
        doc = guarded_doc(rt.nlp, _check_text(text))
        return [c for s in rt.sources for c in s.find(doc)]

    def explain(self, text: str, lang: str | None = None) -> Resolution:
        """Resolve with the full record: kept candidates and why each other one lost."""
        rt = self._runtime(lang)
        cands = self.candidates(text, lang)
        return resolve(text, self._prioritized(cands, rt.config), rt.config)

    def extract(self, text: str, lang: str | None = None) -> list[Entity]:
        return self.explain(text, lang).entities

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
                docs: list[Doc] = [guarded_doc(rt.nlp, _check_text(items[i][0])) for i in idxs]
                per_source = [find_many(s, docs) for s in rt.sources]
                for j, i in enumerate(idxs):
                    cands = [c for lists in per_source for c in lists[j]]
                    res = resolve(docs[j].text, self._prioritized(cands, rt.config), rt.config)
                    results[i] = res.entities
            yield from results  # type: ignore[misc]

    @staticmethod
    def _prioritized(cands: list[Candidate], config: ResolutionConfig) -> list[Candidate]:
        """Grammar and model candidates take the priority the pack configures for them."""
        out = []
        for c in cands:
            p = config.priority_of(c.source) if c.source != "rule" else None
            if p is not None and p != c.priority:
                c = replace(c, priority=p)
            out.append(c)
        return out


def _model_applies(manifest: dict | None, lang: str) -> bool:
    model_lang = (manifest or {}).get("language")
    return model_lang in (None, lang)


def _check_text(text: object) -> str:
    from .tokenizer import MAX_TEXT_CHARS

    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}", code="text-not-string")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
                         code="text-too-long", hint="split the document into sections")
    return text
