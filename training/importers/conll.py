"""CoNLL / IOB / BIO / BILOU token-per-line files (LeNER-Br style).

One `token ... TAG` per line (space or tab separated: the first field is the token, the last
the tag), a blank line between sentences, optional `-DOCSTART-` lines between documents.
Tags: `O`, `B-X`, `I-X`, and `E-X`/`L-X`, `S-X`/`U-X` (BIOES/BILOU). An `I-X` that does not
continue an `X` entity starts a new one (IOB1), so IOB1, IOB2/BIO and BILOU all decode.

The text is rebuilt by joining tokens with one space and sentences with a newline, so every
entity boundary is a whitespace boundary (always a token boundary for entrec's tokenizer).
Documents: each `-DOCSTART-` block; without those, `sentences_per_doc` consecutive sentences
(default 10; 0 = the whole file). A malformed line skips its sentence (`malformed-record`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from .base import ImportContext, ImportOptions, read_text
from .document import RawRecord, RawSpan

__all__ = ["ConllImporter", "decode_tags"]

_TAG_RE = re.compile(r"^(?:O|([BIESLU])[-_](\S+))$")


def decode_tags(tags: list[str]) -> list[tuple[int, int, str]]:
    """[(first token, last token exclusive, label)] from IOB1/IOB2/BIOES/BILOU tags."""
    out: list[tuple[int, int, str]] = []
    cur: list | None = None  # [start, end, label]
    for i, tag in enumerate(tags):
        m = _TAG_RE.match(tag)
        if m is None or tag == "O":
            if cur:
                out.append(tuple(cur))
            cur = None
            continue
        kind, label = m.group(1), m.group(2)
        if kind in ("I", "E", "L") and cur is not None and cur[2] == label:
            cur[1] = i + 1
        else:
            if cur:
                out.append(tuple(cur))
            cur = [i, i + 1, label]
        if kind in ("E", "L", "S", "U"):
            out.append(tuple(cur))
            cur = None
    if cur:
        out.append(tuple(cur))
    return out  # type: ignore[return-value]


class ConllImporter:
    name = "conll"
    aliases = ("iob", "bio", "bilou", "lener")
    extensions = (".conll", ".iob", ".bio", ".iob2", ".bilou", ".conll03")
    description = "CoNLL token-per-line with IOB1/IOB2/BIO/BILOU tags (LeNER-Br)"

    def sniff(self, path: Path, head: str) -> bool:
        lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith("-DOCSTART-")]
        if len(lines) < 2 and not head.strip().startswith("-DOCSTART-"):
            return False
        if len(lines) > 1:
            lines = lines[:-1]  # the head may end mid-line
        ok = sum(1 for ln in lines if len(ln.split()) >= 2 and _TAG_RE.match(ln.split()[-1]))
        return ok >= max(1, int(0.9 * len(lines)))

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        return set()

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        content = read_text(ctx)
        if content is None:
            return
        per_doc = max(0, int(ctx.options.sentences_per_doc))
        # sentences: (first line no, [(token, tag)]) ; None marks a -DOCSTART- boundary
        doc_sents: list[tuple[int, list[tuple[str, str]]]] = []
        sent: list[tuple[str, str]] = []
        sent_line = 0
        bad: str | None = None
        ndoc = 0

        def flush_sentence() -> None:
            nonlocal sent, bad, sent_line
            if sent or bad:
                if bad:
                    ctx.skip(sent_line, "malformed-record", f"sentence skipped: {bad}")
                else:
                    doc_sents.append((sent_line, sent))
            sent, bad = [], None

        def make_doc() -> RawRecord | None:
            nonlocal ndoc
            if not doc_sents:
                return None
            parts, spans = [], []
            offset = 0
            ntok = 0
            for sline, toks in doc_sents:
                starts = []
                for tok, _ in toks:
                    starts.append(offset)
                    offset += len(tok) + 1
                ntok += len(toks)
                for a, b, label in decode_tags([t for _, t in toks]):
                    s = starts[a]
                    e = starts[b - 1] + len(toks[b - 1][0])
                    spans.append(RawSpan(s, e, label, where=f"line {sline + a}"))
                parts.append(" ".join(t for t, _ in toks))
                # sentences are joined by "\n" instead of " ": same length, offsets unchanged
            text = "\n".join(parts)
            first = doc_sents[0][0]
            rec = RawRecord(text=text, spans=spans, file=ctx.display, line=first,
                            id=f"{ctx.path.stem}-{ndoc:05d}",
                            meta={"format": "conll", "sentences": len(doc_sents), "tokens": ntok},
                            aligned_by_construction=True)
            ndoc += 1
            doc_sents.clear()
            return rec

        for n, raw in enumerate(content.splitlines(), 1):
            line = raw.rstrip("\r")
            if not line.strip():
                flush_sentence()
                if per_doc and len(doc_sents) >= per_doc:
                    rec = make_doc()
                    if rec:
                        yield rec
                continue
            if line.startswith("-DOCSTART-"):
                flush_sentence()
                rec = make_doc()
                if rec:
                    yield rec
                continue
            if not sent and not bad:
                sent_line = n
            fields = line.split("\t") if "\t" in line else line.split()
            fields = [f for f in fields if f.strip()]
            if len(fields) < 2:
                bad = bad or f"line {n}: expected `token TAG`, got {line.strip()!r}"
                continue
            tag = fields[-1].strip()
            if not _TAG_RE.match(tag):
                bad = bad or (f"line {n}: tag {tag!r} is not O, B-X, I-X, E-X, L-X, S-X or U-X")
                continue
            tok = fields[0].strip()
            sent.append((tok, tag[0] + "-" + tag[2:] if tag[1:2] == "_" else tag))
        flush_sentence()
        rec = make_doc()
        if rec:
            yield rec
