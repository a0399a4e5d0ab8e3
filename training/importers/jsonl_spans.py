"""JSONL span files: Prodigy (`spans`, `answer`) and doccano (`labels`/`label`/`entities`).

One importer serves both because a record says which it is by its keys, and teams mix them:
- Prodigy: `{"text", "spans": [{"start", "end", "label", "token_start", "token_end"}],
  "tokens"?, "answer"?: accept|reject|ignore, "_annotator_id"?, "meta"?}`. `token_end` is
  INCLUSIVE; when `tokens` are present the token indices are checked against the offsets.
  `reject`/`ignore` answers are skipped as `rejected-answer`; a missing answer means accept.
- doccano ≥1.0: `{"text", "label": [[start, end, "LABEL"], ...]}`; doccano 1.x with relations:
  `{"text", "entities": [{"start_offset", "end_offset", "label"}]}`; older exports:
  `"labels"` instead of `"label"`, `"data"` instead of `"text"`, and doccano 0.x
  `"annotations": [{"start_offset", "end_offset", "label", "user"}]`.
A file holding one JSON array of such records is read too (records located as `#index`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .base import ImportContext, ImportOptions, read_text
from .document import RawRecord, RawSpan

__all__ = ["JsonlSpansImporter", "record_from_json"]

_SPAN_KEYS = ("spans", "label", "labels", "entities", "annotations")


class _Malformed(Exception):
    pass


def _span_from_triple(item: Any, where: str) -> RawSpan:
    if isinstance(item, (list, tuple)) and len(item) == 3:
        return RawSpan(item[0], item[1], item[2], where=where)
    if isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
        return RawSpan(item["start_offset"], item["end_offset"], item["label"],
                       where=where)
    if isinstance(item, str):
        raise _Malformed(f"{where} is a string ({item!r}): this looks like a text-classification "
                         "export, not span labels")
    raise _Malformed(f"{where} must be [start, end, label], got {json.dumps(item)[:80]}")


def _prodigy_spans(rec: dict, text: str) -> list[RawSpan]:
    spans = rec.get("spans")
    if spans is None:
        return []
    if not isinstance(spans, list):
        raise _Malformed("`spans` must be a list")
    tokens = rec.get("tokens")
    out = []
    for i, sp in enumerate(spans):
        where = f"spans[{i}]"
        if not isinstance(sp, dict) or "label" not in sp:
            raise _Malformed(f"{where} must be an object with `label`")
        start, end = sp.get("start"), sp.get("end")
        ts, te = sp.get("token_start"), sp.get("token_end")
        tok_ok = (isinstance(tokens, list) and isinstance(ts, int) and isinstance(te, int)
                  and not isinstance(ts, bool) and not isinstance(te, bool))
        if tok_ok and not (0 <= ts <= te < len(tokens)):
            raise _Malformed(f"{where}: token_start/token_end {ts}..{te} outside the "
                             f"{len(tokens)} tokens (token_end is inclusive)")
        if tok_ok:
            t0, t1 = tokens[ts], tokens[te]
            if not (isinstance(t0, dict) and isinstance(t1, dict)):
                raise _Malformed("`tokens` must be a list of objects with start/end")
            if start is None and end is None:
                start, end = t0.get("start"), t1.get("end")
            elif (t0.get("start"), t1.get("end")) != (start, end):
                raise _BadOffsets(f"{where}: offsets [{start},{end}) disagree with tokens "
                                  f"{ts}..{te} which cover [{t0.get('start')},{t1.get('end')}) "
                                  "(Prodigy's token_end is inclusive)")
        if start is None or end is None:
            raise _Malformed(f"{where} needs `start` and `end` (or token_start/token_end with "
                             "`tokens`)")
        out.append(RawSpan(start, end, sp["label"], text=sp.get("text"), where=where))
    return out


class _BadOffsets(Exception):
    pass


def record_from_json(rec: Any, file: str, line: int | str) -> RawRecord:
    """Build a RawRecord from one decoded JSON record (raises _Malformed / _BadOffsets)."""
    if not isinstance(rec, dict):
        raise _Malformed(f"a record must be a JSON object, got {type(rec).__name__}")
    text = rec.get("text")
    if text is None and isinstance(rec.get("data"), str):
        text = rec["data"]
    if text is None:
        raise _Malformed("missing `text` (or doccano's `data`) key; keys are "
                         + ", ".join(sorted(rec)[:10]))
    if not isinstance(text, str):
        raise _Malformed(f"`text` must be a string, got {type(text).__name__}")
    meta: dict[str, Any] = {}
    annotator = None
    if "spans" in rec:
        flavor = "prodigy"
        spans = _prodigy_spans(rec, text)
        annotator = rec.get("_annotator_id") or rec.get("_session_id")
        if isinstance(rec.get("meta"), dict):
            meta.update(rec["meta"])
    else:
        flavor = "doccano"
        key = next((k for k in ("label", "labels", "entities", "annotations") if k in rec), None)
        items = rec.get(key) if key else []
        if items is None:
            items = []
        if not isinstance(items, list):
            raise _Malformed(f"`{key}` must be a list")
        spans = [_span_from_triple(it, f"{key}[{i}]") for i, it in enumerate(items)]
        users = sorted({str(it["user"]) for it in items if isinstance(it, dict) and "user" in it})
        annotator = rec.get("annotator") or rec.get("user") or (",".join(users) if users else None)
        if isinstance(rec.get("meta"), dict):
            meta.update(rec["meta"])
    meta["format"] = flavor
    rid = rec.get("id", meta.get("id"))
    return RawRecord(text=text, spans=spans, file=file, line=line,
                     id=None if rid is None else str(rid),
                     annotator=None if annotator is None else str(annotator), meta=meta)


class JsonlSpansImporter:
    name = "jsonl"
    aliases = ("prodigy", "doccano", "json-spans")
    extensions = (".jsonl", ".ndjson")
    description = "JSONL span records: Prodigy (spans/answer) and doccano (label/labels/entities)"

    def sniff(self, path: Path, head: str) -> bool:
        s = head.lstrip()
        if s.startswith("{"):
            first = s.split("\n", 1)[0]
            try:
                rec = json.loads(first)
            except ValueError:
                return False
            return isinstance(rec, dict) and ("text" in rec or "data" in rec)
        if s.startswith("["):
            # a JSON array of span records (not Label Studio tasks, whose `data` is an object)
            return '"text"' in s[:4000] and '"annotations"' not in s[:4000] or (
                '"spans"' in s[:4000])
        return False

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        return set()

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        content = read_text(ctx)
        if content is None:
            return
        if content.lstrip().startswith("["):
            try:
                arr = json.loads(content)
            except ValueError as e:
                ctx.skip(getattr(e, "lineno", 0), "malformed-record", f"bad JSON array: {e}",
                         scope="file")
                return
            items = enumerate(arr if isinstance(arr, list) else [arr])
            yield from self._records(ctx, ((f"#{i}", rec, None) for i, rec in items))
            return

        def lines() -> Iterator[tuple[int, Any, str | None]]:
            for n, line in enumerate(content.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    yield n, json.loads(line), None
                except ValueError as e:
                    yield n, None, f"bad JSON: {e}"
        yield from self._records(ctx, lines())

    def _records(self, ctx: ImportContext, items) -> Iterator[RawRecord]:
        for where, rec, err in items:
            if err is not None:
                ctx.skip(where, "malformed-record", err)
                continue
            if isinstance(rec, dict):
                answer = rec.get("answer")
                if answer in ("reject", "ignore"):
                    ctx.skip(where, "rejected-answer", f"Prodigy answer is {answer!r}")
                    continue
                if answer is not None and answer != "accept":
                    ctx.skip(where, "malformed-record", f"unknown Prodigy answer {answer!r} "
                             "(expected accept, reject or ignore)")
                    continue
            try:
                yield record_from_json(rec, ctx.display, where)
            except _Malformed as e:
                ctx.skip(where, "malformed-record", str(e))
            except _BadOffsets as e:
                ctx.skip(where, "bad-offsets", str(e))
