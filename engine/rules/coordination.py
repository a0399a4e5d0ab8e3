"""Coordinated lists after a plural trigger: "subestações de Canoinhas e Mafra",
"Resoluções Normativas nº 395/2009, nº 414/2010 e nº 506/2012".

Why a separate step and not more patterns: a list can have any length, and one pattern per
length would both miss longer lists and multiply the rules. A rule that matches the trigger
with its first item declares `coordinate:` (schema: `CoordinationModel`); after it matches,
this step walks right over "separator item" pairs and emits each bare item with the rule's
label, priority and id normalisation. The annotation convention this follows: the first item
carries the trigger, the rest are bare (`subestações de Canoinhas` + `Mafra`).

Items are RE2 regexes (analyst input, linear time) matched anchored at the position after
a separator; separators are words ("e", "and", "ou") or punctuation (",", ";", "/").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..entity import Candidate
from ..textfold import slug

__all__ = ["Coordinator", "compile_coordinators", "extend_coordinated"]


@dataclass(frozen=True)
class Coordinator:
    """The compiled `coordinate:` option of one rule."""

    rule_id: str
    item: Any  # re2 compiled pattern
    separator: re.Pattern
    max_items: int

    def items_after(self, text: str, end: int) -> list[tuple[int, int]]:
        """(start, end) of each coordinated item right after a match ending at `end`."""
        out: list[tuple[int, int]] = []
        pos = end
        while len(out) < self.max_items:
            sep = self.separator.match(text, pos)
            if sep is None or sep.end() == pos:
                break
            m = self.item.match(text, sep.end())
            if m is None or m.end() <= m.start():
                break
            s, e = m.start(), m.end()
            while e > s and text[e - 1].isspace():
                e -= 1
            out.append((s, e))
            pos = e
        return out


def _separator_rx(separators: Iterable[str]) -> re.Pattern:
    alts = []
    for s in separators:
        if s[:1].isalnum():
            alts.append(rf"(?<!\w){re.escape(s)}(?!\w)")
        else:
            alts.append(re.escape(s))
    one = "|".join(sorted(alts, key=len, reverse=True))
    # one or two separators: ", e", "; e", "e"
    return re.compile(rf"\s*(?:{one})(?:\s*(?:{one}))?\s*")


def compile_coordinators(rules: Iterable[Any]) -> dict[str, Coordinator]:
    """Coordinators of the rules (`CompiledRule`s) that declare `coordinate:`."""
    import re2

    opts = re2.Options()
    opts.log_errors = False
    out: dict[str, Coordinator] = {}
    for r in rules:
        spec = getattr(r.model, "coordinate", None)
        if spec is None:
            continue
        out[r.id] = Coordinator(rule_id=r.id, item=re2.compile(spec.item, opts),
                                separator=_separator_rx(spec.separators), max_items=spec.max_items)
    return out


def extend_coordinated(text: str, cands: list[Candidate], coordinators: dict[str, Coordinator],
                       normalize: dict[str, str | None] | None = None) -> list[Candidate]:
    """`cands` plus one candidate per coordinated item after each coordinating match."""
    if not coordinators:
        return cands
    longest: dict[tuple[str, int], Candidate] = {}
    for c in cands:
        if c.rule_id in coordinators:
            k = (c.rule_id, c.start)
            if k not in longest or c.end > longest[k].end:
                longest[k] = c
    if not longest:
        return cands
    seen = {(c.start, c.end, c.rule_id) for c in cands}
    extra: list[Candidate] = []
    for (rid, _), c in sorted(longest.items(), key=lambda kv: kv[1].start):
        norm = (normalize or {}).get(rid)
        for s, e in coordinators[rid].items_after(text, c.end):
            if (s, e, rid) in seen:
                continue
            seen.add((s, e, rid))
            cid = slug(text[s:e]) if norm == "slug" else text[s:e].upper() if norm == "upper" else None
            extra.append(Candidate(start=s, end=e, label=c.label, source="rule", rule_id=rid,
                                   priority=c.priority, score=c.score, id=cid))
    return cands + extra
