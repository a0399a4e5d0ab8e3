"""The checks every imported record goes through, whatever its format.

Decisions (documented in docs/training-data.md):
- A span whose label is outside the *declared* label set (a typo, an unknown entity type)
  skips the whole record as `undeclared-label`, with a did-you-mean: training on it would
  create a new entity type, and dropping only the span would teach that it is no entity.
- A span whose label is not in the requested label set is dropped (the rest of the record
  is kept): asking for a subset of labels is a deliberate selection.
- Any other bad span (offsets, text mismatch, misalignment, overlap) skips the whole record:
  keeping the text without that span would teach the model that the entity is not one.
- Spans are first trimmed of leading/trailing whitespace (counted as `trimmed-whitespace`);
  a span still not on token boundaries of `entrec.engine.tokenizer.make_nlp(lang)` skips the record
  with `span-not-aligned`.
- Duplicates: the first record with a given text is kept; a later one with the same spans
  is `duplicate`, with different spans `conflicting-duplicate` (the message lists both).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .document import ImportReport, LabeledDocument, RawRecord, RawSpan, Span

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = ["Validator"]


def _as_int(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    return None


def _snippet(text: str, start: int, end: int, ctx: int = 15) -> str:
    a, b = max(0, start - ctx), min(len(text), end + ctx)
    return (("…" if a else "") + text[a:start] + "[" + text[start:end] + "]" + text[end:b]
            + ("…" if b < len(text) else "")).replace("\n", "⏎")


class Validator:
    """Turns RawRecords into LabeledDocuments, reporting everything it refuses or fixes."""

    def __init__(self, report: ImportReport, nlp: "Language", labels: set[str] | None = None,
                 dedupe: bool = True, declared: set[str] | None = None):
        self.report = report
        self.nlp = nlp
        self.labels = set(labels) if labels else None
        self.declared = set(declared) if declared is not None else None
        self.dedupe = dedupe
        self._seen: dict[str, tuple[tuple[Span, ...], str]] = {}

    def _skip(self, rec: RawRecord, reason: str, message: str, scope: str = "record") -> None:
        self.report.skip(rec.file, rec.line, reason, message, scope)

    def validate(self, rec: RawRecord) -> LabeledDocument | None:
        text = rec.text
        if not isinstance(text, str):
            self._skip(rec, "malformed-record", f"text must be a string, got {type(text).__name__}")
            return None
        if not text.strip():
            self._skip(rec, "empty-text", "the text is empty" if not text else
                       "the text is only whitespace")
            return None
        spans: list[Span] = []
        fixes: list[str] = list(rec.fixes)
        for i, rs in enumerate(rec.spans):
            where = rs.where or f"span {i}"
            sp = self._check_span(rec, rs, where, text, fixes)
            if sp is False:
                return None
            if sp is not None:
                spans.append(sp)
        # alignment to tokens
        if spans and not rec.aligned_by_construction:
            doc = self.nlp.make_doc(text)
            starts = {t.idx for t in doc}
            ends = {t.idx + len(t) for t in doc}
            for sp in spans:
                if sp.start not in starts or sp.end not in ends:
                    bad = sp.start if sp.start not in starts else sp.end
                    tok = next((t for t in doc if t.idx < bad < t.idx + len(t)), None)
                    inside = f" (inside token {tok.text!r})" if tok is not None else ""
                    self._skip(rec, "span-not-aligned",
                               f"{sp.label} {_snippet(text, sp.start, sp.end)}: boundary at "
                               f"char {bad} is not a token boundary{inside}")
                    return None
        # same span twice: keep once; then overlaps
        uniq = sorted(set(spans))
        if len(uniq) < len(spans):
            fixes.extend(["duplicate-span"] * (len(spans) - len(uniq)))
        for a, b in zip(uniq, uniq[1:]):
            if a.overlaps(b):
                what = ("the same span has two labels" if (a.start, a.end) == (b.start, b.end)
                        else "spans overlap")
                self._skip(rec, "overlapping-spans",
                           f"{what}: {a.label} {text[a.start:a.end]!r} [{a.start},{a.end}) and "
                           f"{b.label} {text[b.start:b.end]!r} [{b.start},{b.end})")
                return None
        final = tuple(uniq)
        if self.dedupe:
            prev = self._seen.get(text)
            if prev is not None:
                prev_spans, prev_src = prev
                if prev_spans == final:
                    self._skip(rec, "duplicate", f"same text and spans as {prev_src}")
                else:
                    def show(ss: tuple[Span, ...]) -> str:
                        return ", ".join(f"{s.label}:{text[s.start:s.end]!r}" for s in ss) or "none"
                    self._skip(rec, "conflicting-duplicate",
                               f"same text as {prev_src} (kept) with different spans: kept "
                               f"[{show(prev_spans)}], this one [{show(final)}]")
                return None
            self._seen[text] = (final, rec.source)
        for f in fixes:
            self.report.fixes[f] += 1
        for sp in final:
            self.report.labels[sp.label] += 1
        meta = dict(rec.meta)
        if fixes:
            meta["fixes"] = fixes
        return LabeledDocument(text=text, spans=final, id=rec.id, source=rec.source,
                               annotator=rec.annotator, meta=meta)

    def _check_span(self, rec: RawRecord, rs: RawSpan, where: str, text: str,
                    fixes: list[str]) -> Span | None | bool:
        """A Span, None (span dropped and reported), or False (record skipped and reported)."""
        label = rs.label
        if not isinstance(label, str) or not label.strip():
            self._skip(rec, "malformed-record", f"{where}: label must be a non-empty string, got "
                       f"{label!r}")
            return False
        label = label.strip()
        start, end = _as_int(rs.start), _as_int(rs.end)
        if start is None or end is None:
            self._skip(rec, "bad-offsets", f"{where}: offsets must be integers, got "
                       f"start={rs.start!r} end={rs.end!r}")
            return False
        if not (0 <= start < end <= len(text)):
            self._skip(rec, "bad-offsets", f"{where}: [{start},{end}) is empty, reversed or "
                       f"outside the text (length {len(text)})")
            return False
        if rs.text is not None and text[start:end] != rs.text:
            if text[start:end].strip() != str(rs.text).strip():
                self._skip(rec, "text-mismatch", f"{where}: span text {rs.text!r} but the text "
                           f"at [{start},{end}) is {text[start:end]!r}")
                return False
        if self.declared is not None and label not in self.declared:
            from entrec.engine.diagnostics import did_you_mean

            guess = did_you_mean(label, self.declared)
            self._skip(rec, "undeclared-label",
                       f"{where}: label {label!r} ({text[start:end]!r}) is not in the declared "
                       f"label set" + (f"; {guess}" if guess else "")
                       + f" (declared: {', '.join(sorted(self.declared))})")
            return False
        if self.labels is not None and label not in self.labels:
            self.report.skip(rec.file, rec.line, "unknown-label",
                             f"{where}: label {label!r} {text[start:end]!r} not in "
                             f"{sorted(self.labels)}; span dropped", scope="span")
            return None
        s2, e2 = start, end
        while s2 < e2 and text[s2].isspace():
            s2 += 1
        while e2 > s2 and text[e2 - 1].isspace():
            e2 -= 1
        if s2 == e2:
            self._skip(rec, "bad-offsets", f"{where}: span [{start},{end}) is only whitespace")
            return False
        if (s2, e2) != (start, end):
            fixes.append("trimmed-whitespace")
        return Span(s2, e2, label)
