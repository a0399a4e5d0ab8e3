"""The trainable spaCy NER component as a `CandidateSource` (source="model").

The model is a spaCy pipeline saved by `entrec train` (`ner/` in the artifact, DESIGN §7).
It carries its own tokenizer: training builds it with `entrec.engine.tokenizer.make_nlp`, spaCy
serializes the affix regexes with the pipeline, so the model sees exactly the tokens the
rules see and every candidate's char offsets index the input text.

Confidence (`Candidate.score`). spaCy's greedy NER has no probabilities, so the score is
a calibrated proxy: the model's precision for that label on the dev set at the end of
training, smoothed ((tp + 1) / (predicted + 2)), stored in the pipeline's meta
(`nlp.meta["entrec"]["label_precision"]`). It answers "how often is a model prediction
with this label exactly right" -- calibrated by construction, the same for every mention
of a label. Beam marginals were tried and dropped: spaCy's beam over a greedily trained
NER returns parses whose entity ends run to the next entity (see docs/training.md), and
decoding with the beam cost 20+ F1 points on LeNER-Br dev. A model without the meta
(trained elsewhere) scores 1.0.

Rule placement (docs/training.md "Where the rules go"), recorded in the pipeline's meta
(`nlp.meta["entrec"]["rule_placement"]`): `presets` (the default of `entrec train`, best on
LeNER-Br) fixes the rule matches as entities before `ner`, which decodes around them and
returns only its own entities; `features` feeds the matches to the model as a token
feature (the model was trained so); `resolver` lets rules and model meet only in the
resolver. The first two need rule matches (`rule_spans`, texts -> spans); `from_dir` builds
them from the artifact's own rule packs.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterable, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .entity import Candidate
from .errors import ArtifactError
from .text_guard import make_doc as guarded_doc

__all__ = [
    "ModelSource", "RuleSpans", "apply_rule_features", "apply_presets", "RULE_PLACEMENTS",
    "NO_RULE_TAG", "block_line_breaks", "rule_spans_from_packs",
]

log = logging.getLogger(__name__)

#: texts -> per text, (start, end, label) char spans found by the rule layer
RuleSpans = Callable[[Sequence[str]], list[list[tuple[int, int, str]]]]
RULE_PLACEMENTS = ("resolver", "features", "presets")
NO_RULE_TAG = "O"


def _token_spans(doc: Doc, spans: Iterable[tuple[int, int, str]]) -> list[Span]:
    out = []
    for start, end, label in spans:
        sp = doc.char_span(start, end, label=label, alignment_mode="expand")
        if sp is not None and len(sp):
            out.append(sp)
    return filter_spans(out)


def apply_rule_features(doc: Doc, spans: Iterable[tuple[int, int, str]]) -> Doc:
    """Write rule matches into `Token.tag_` as B-LABEL / I-LABEL / O (the model's feature)."""
    for tok in doc:
        tok.tag_ = NO_RULE_TAG
    for sp in _token_spans(doc, spans):
        for i, tok in enumerate(sp):
            tok.tag_ = ("B-" if i == 0 else "I-") + sp.label_
    return doc


def block_line_breaks(doc: Doc) -> Doc:
    """Mark whitespace tokens holding a line break as outside any entity.

    A line break ends a sentence, a table cell or a heading in every format we read
    (CoNLL documents are sentences joined by newlines), and a model trained on single
    sentences has never seen a "\n" token: without this it happily runs an entity from
    one line into the next. Other tokens stay unconstrained.
    """
    outside = [doc[i:i + 1] for i, t in enumerate(doc) if t.is_space and "\n" in t.text]
    if outside:
        doc.set_ents([], outside=outside, default="unmodified")
    return doc


def _first_line(span: Span) -> Span | None:
    """The span cut at its first line break, without edge whitespace (None if empty).

    spaCy's NER may not *start* an entity on a token preset as outside, but it may run an
    open entity through one; this is the second half of `block_line_breaks`.
    """
    toks = [t for t in span]
    while toks and toks[0].is_space:
        toks.pop(0)
    for k, t in enumerate(toks):
        if t.is_space and "\n" in t.text:
            toks = toks[:k]
            break
    while toks and toks[-1].is_space:
        toks.pop()
    if not toks:
        return None
    return span.doc[toks[0].i:toks[-1].i + 1]


def apply_presets(doc: Doc, spans: Iterable[tuple[int, int, str]]) -> list[Span]:
    """Fix rule matches as entities before `ner` (other tokens stay unconstrained)."""
    preset = [sp for sp in _token_spans(doc, spans) if all(t.ent_iob_ != "O" for t in sp)]
    doc.set_ents(preset, default="unmodified")
    return preset


def rule_spans_from_packs(paths: Sequence[str | Path] | None, lang: str = "pt") -> RuleSpans:
    """texts -> resolved rule matches of the packs at `paths` (rules only, no model)."""
    from .engine import Engine

    eng = Engine.load(rules=list(paths) if paths is not None else None, components=("rules",),
                      lang=lang)

    def spans(texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.label) for e in ents] for ents in eng.pipe(list(texts))]

    return spans


class ModelSource:
    """Runs a trained spaCy NER pipeline and returns its entities as model candidates."""

    source = "model"

    def __init__(self, nlp: Language, *, name: str = "model:ner", priority: int = 0,
                 batch_size: int = 64,
                 labels: Iterable[str] | None = None, rule_spans: RuleSpans | None = None,
                 placement: str | None = None):
        self.nlp = nlp
        self.name = name
        self.priority = priority
        self.batch_size = batch_size
        self.only_labels = frozenset(labels) if labels else None
        meta = (nlp.meta.get("entrec") or {}) if isinstance(nlp.meta, dict) else {}
        self.placement = placement or meta.get("rule_placement", "resolver")
        #: label -> smoothed dev precision measured when the model was trained
        self.label_precision: dict[str, float] = {
            str(k): float(v) for k, v in (meta.get("label_precision") or {}).items()}
        self.default_score = float(meta.get("precision", 1.0) or 1.0)
        if self.placement not in RULE_PLACEMENTS:
            raise ValueError(f"unknown rule placement {self.placement!r}")
        self.rule_spans = rule_spans
        #: documents for which the model failed (logged; `find` never raises)
        self.failures = 0
        ner_names = [n for n, p in nlp.pipeline if p.__class__.__name__ == "EntityRecognizer"]
        if not ner_names:
            raise ArtifactError("the model pipeline has no `ner` component",
                                code="model-no-ner")
        self.ner_name = ner_names[-1]

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dir(cls, ner_dir: str | Path, **kwargs) -> "ModelSource":
        """Load `ner/` as saved by `entrec train`; ArtifactError if it is not a pipeline.

        A model trained for the `presets` or `features` placement needs rule matches at
        inference; unless `rule_spans` is passed, they come from the rule packs of the same
        artifact (`ner/../rules`), so `Engine.load(model=...)` needs no extra wiring.
        """
        import spacy

        from .tokenizer import customize_tokenizer

        path = Path(ner_dir)
        if not (path / "config.cfg").is_file() or not (path / "meta.json").is_file():
            raise ArtifactError(f"{path} is not a saved spaCy pipeline (no config.cfg/meta.json)",
                                code="model-missing")
        try:
            nlp = spacy.load(path)
        except Exception as exc:  # spaCy raises many kinds on a corrupt dir
            raise ArtifactError(f"cannot load the NER model in {path}: {exc}",
                                code="model-load-failed") from None
        if not nlp.meta.get("entrec_tokenizer"):
            # a pipeline trained elsewhere: give it our tokenizer rules so offsets agree
            customize_tokenizer(nlp)
        placement = kwargs.get("placement") or (nlp.meta.get("entrec") or {}).get("rule_placement", "resolver")
        if placement != "resolver" and kwargs.get("rule_spans") is None:
            rules = path.parent / "rules"
            if rules.is_dir():
                kwargs["rule_spans"] = rule_spans_from_packs([rules], lang=nlp.lang)
            else:
                log.warning("model in %s expects rule %s but the artifact has no rules/; "
                            "running without them", path, placement)
        return cls(nlp, **kwargs)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.nlp.get_pipe(self.ner_name).labels)

    # ------------------------------------------------------------------ running
    def find(self, doc: Doc) -> list[Candidate]:
        return self.find_many([doc])[0]

    def find_many(self, docs: Sequence[Doc]) -> list[list[Candidate]]:
        texts = [d.text if isinstance(d, Doc) else str(d) for d in docs]
        out: list[list[Candidate]] = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i:i + self.batch_size]
            try:
                out.extend(self._run(chunk))
            except Exception:  # never raise from a source; count and log instead
                log.exception("model:ner failed on a batch of %d text(s)", len(chunk))
                for t in chunk:
                    try:
                        out.extend(self._run([t]))
                    except Exception:
                        self.failures += 1
                        log.exception("model:ner failed on one text (%d chars)", len(t))
                        out.append([])
        return out

    def _prepare(self, texts: Sequence[str]) -> tuple[list[Doc], list[set[tuple[int, int, str]]]]:
        mdocs = [guarded_doc(self.nlp, t) for t in texts]  # long runs cut (text_guard)
        for d in mdocs:
            block_line_breaks(d)
        fixed: list[set[tuple[int, int, str]]] = [set() for _ in texts]
        if self.placement != "resolver" and self.rule_spans is not None and texts:
            matches = self.rule_spans(list(texts))
            for k, (d, spans) in enumerate(zip(mdocs, matches)):
                if self.placement == "features":
                    apply_rule_features(d, spans)
                else:
                    fixed[k] = {(s.start_char, s.end_char, s.label_) for s in apply_presets(d, spans)}
        elif self.placement == "features":
            for d in mdocs:
                apply_rule_features(d, ())
        # components before the NER (a shared tok2vec, for instance) run normally
        for name, proc in self.nlp.pipeline:
            if name == self.ner_name:
                break
            mdocs = list(proc.pipe(mdocs, batch_size=self.batch_size))
        return mdocs, fixed

    def predict_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, label, score) per text, before turning them into Candidates."""
        mdocs, fixed = self._prepare(texts)
        ner = self.nlp.get_pipe(self.ner_name)
        results: list[list[tuple[int, int, str, float]]] = []
        for d, fx in zip(ner.pipe(mdocs, batch_size=self.batch_size), fixed):
            spans = []
            for e in d.ents:
                cut = _first_line(e)
                if cut is None or (cut.start_char, cut.end_char, e.label_) in fx:
                    continue
                spans.append((cut.start_char, cut.end_char, e.label_, self.score_of(e.label_)))
            results.append(spans)
        return results

    def score_of(self, label: str) -> float:
        """Calibrated confidence of a prediction with `label` (see module docstring)."""
        return self.label_precision.get(label, self.default_score)

    def _run(self, texts: Sequence[str]) -> list[list[Candidate]]:
        out = []
        for spans in self.predict_spans(texts):
            cands = []
            for s, e, lab, score in spans:
                if self.only_labels is not None and lab not in self.only_labels:
                    continue
                cands.append(Candidate(start=s, end=e, label=lab, source="model", rule_id=None,
                                       priority=self.priority, score=round(score, 4)))
            out.append(cands)
        return out
