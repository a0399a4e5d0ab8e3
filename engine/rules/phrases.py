"""Phrase lists compiled to a word-sequence index, cached on disk by content hash.

Matching runs on folded text split by `textfold.words`, not on spaCy tokens, so "SE XINGU",
"Se Xingu" and "se xingu" match the same entry however the tokenizer would split them, and
"Tucuruí/Marabá" equals "Tucuruí / Marabá". Lookup is a dict probe per word position and
phrase length, so 100k+ phrases cost memory, not time. The compiled index is cached with
`marshal` (plain dicts and strings only: loading it cannot run code) under
`$ENTREC_CACHE_DIR` (default `~/.cache/entrec`), keyed by the sha256 of its inputs.
"""
from __future__ import annotations

import csv
import hashlib
import io
import marshal
import re
from dataclasses import dataclass
from itertools import accumulate, compress, count
from pathlib import Path

from ..cache_store import cache_dir, store_entry
from ..errors import EntrecError
from ..textfold import fold, words

__all__ = ["PhraseRow", "PhraseIndex", "MergedPhrases", "read_phrases_file", "PhrasesFileError", "cache_dir"]

_SEP = "\x1f"
#: the words of `textfold.words` with the gaps between them: [gap, word, gap, ..., gap]
_SPLIT = re.compile(r"(\w+|[^\w\s])", re.UNICODE).split
_CACHE_FORMAT = 1


@dataclass(frozen=True)
class PhraseRow:
    text: str
    id: str | None = None
    line: int = 0


class PhrasesFileError(EntrecError, ValueError):
    """A phrases file cannot be used; `line` is 1-based (0 = the whole file)."""

    code = "phrases-file-invalid"

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


def read_phrases_file(path: Path) -> list[PhraseRow]:
    """txt: one phrase per line. csv: phrase[,id[,aliases separated by |]]. '#' lines are
    comments; a header row `phrase,id,aliases` is skipped."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PhrasesFileError(f"phrases file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise PhrasesFileError(f"phrases file is not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise PhrasesFileError(f"cannot read phrases file: {exc.strerror or exc}") from None
    return _parse_rows(raw, path.suffix.lower() == ".csv")


def _records(reader):  # noqa: ANN001, ANN202 - csv reader in, rows out
    """csv rows, with a csv.Error (a NUL byte, an oversized field) as a located error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PhrasesFileError(f"invalid CSV: {exc}", reader.line_num or 1) from None


def _parse_rows(raw: str, is_csv: bool) -> list[PhraseRow]:
    rows: list[PhraseRow] = []
    if is_csv:
        reader = csv.reader(io.StringIO(raw))
        header_seen = False
        for rec in _records(reader):
            lineno = reader.line_num
            if not rec or not any(c.strip() for c in rec) or rec[0].lstrip().startswith("#"):
                continue
            first_row, header_seen = not header_seen, True
            if first_row and rec[0].strip().lower() == "phrase":
                continue
            if len(rec) > 3:
                raise PhrasesFileError(f"expected at most 3 columns (phrase,id,aliases), got {len(rec)}", lineno)
            phrase = rec[0].strip()
            cid = rec[1].strip() if len(rec) > 1 and rec[1].strip() else None
            if not phrase:
                raise PhrasesFileError("empty phrase in first column", lineno)
            rows.append(PhraseRow(phrase, cid, lineno))
            if len(rec) > 2 and rec[2].strip():
                for alias in rec[2].split("|"):
                    if alias.strip():
                        rows.append(PhraseRow(alias.strip(), cid or phrase, lineno))
    else:
        for lineno, line in enumerate(raw.splitlines(), start=1):
            s = line.strip()
            if s and not s.startswith("#"):
                rows.append(PhraseRow(s, None, lineno))
    return rows


class PhraseIndex:
    """Folded word-sequence -> canonical id ('' when none) for one rule."""

    __slots__ = ("lower", "strip_accents", "table", "first")

    def __init__(self, lower: bool, strip_accents: bool, table: dict[str, str],
                 first: dict[str, tuple[int, ...]]):
        self.lower = lower
        self.strip_accents = strip_accents
        self.table = table
        self.first = first

    @classmethod
    def build(cls, rows: list[PhraseRow], *, case_sensitive: bool, accent_sensitive: bool,
              use_cache: bool = True) -> "PhraseIndex":
        lower, strip = not case_sensitive, not accent_sensitive
        h = hashlib.sha256(f"{_CACHE_FORMAT}|{lower}|{strip}".encode())
        for r in rows:
            h.update(r.text.encode())
            h.update(b"\x1e")
            h.update((r.id or "").encode())
            h.update(b"\x1d")
        digest = h.hexdigest()
        path = cache_dir() / "phrases" / f"{digest}.marshal"
        if use_cache and path.is_file():
            try:
                table, first = marshal.loads(path.read_bytes())
                return cls(lower, strip, table, {k: tuple(v) for k, v in first.items()})
            except (ValueError, EOFError, TypeError):
                pass  # corrupt cache: rebuild
        table: dict[str, str] = {}
        lens: dict[str, set[int]] = {}
        for r in rows:
            ws = [w for _, _, w in words(fold(r.text, lower, strip))]
            if not ws:
                continue
            key = _SEP.join(ws)
            if key not in table or (not table[key] and r.id):
                table[key] = r.id or ""
            lens.setdefault(ws[0], set()).add(len(ws))
        first = {k: tuple(sorted(v, reverse=True)) for k, v in lens.items()}
        if use_cache:
            store_entry(path, marshal.dumps((table, first)))  # read-only home: no cache
        return cls(lower, strip, table, first)

    def __len__(self) -> int:
        return len(self.table)

    def match(self, ws: list[tuple[int, int, str]]) -> list[tuple[int, int, str | None]]:
        """All (start, end, id) occurrences in the pre-split folded text `ws`."""
        out = []
        table, first = self.table, self.first
        n = len(ws)
        for i in range(n):
            lens = first.get(ws[i][2])
            if not lens:
                continue
            for L in lens:
                if i + L > n:
                    continue
                key = ws[i][2] if L == 1 else _SEP.join(w for _, _, w in ws[i:i + L])
                cid = table.get(key)
                if cid is not None:
                    out.append((ws[i][0], ws[i + L - 1][1], cid or None))
        return out


class MergedPhrases:
    """Every phrase rule of a pack on one folded-word table per folding mode, so a text is
    split and scanned once per mode however many phrase rules (and phrases) there are.

    `match(text)` yields (char start, char end, owner, id) exactly as running each rule's
    `PhraseIndex.match` would, in one pass; `owners` are what the hits report (the rules,
    or whatever the caller passed in their place).

    Per mode: `table` maps a joined key to its hits, flat: (owner position, id, owner
    position, id, ...);
    `singles` holds the one-word keys; `pairs` maps the first two words of every longer key
    to its lengths (longest first), so a position costs one probe unless its first two
    words begin some phrase. The merged tables are plain data (`state()`), so the
    compiled-pack cache keeps them and a cached start-up skips the merge.
    """

    __slots__ = ("_modes", "_owners")

    def __init__(self, modes: tuple, owners: list):
        self._modes = modes
        self._owners = list(owners)

    @classmethod
    def build(cls, indexes: list[PhraseIndex], owners: list) -> "MergedPhrases":
        modes: dict[tuple[bool, bool], tuple[dict, dict]] = {}
        for pos, idx in enumerate(indexes):
            table, pairs = modes.setdefault((idx.lower, idx.strip_accents), ({}, {}))
            for key, cid in idx.table.items():
                hit = (pos, cid or None)
                prev = table.get(key)
                table[key] = hit if prev is None else prev + hit
        out = []
        for (lower, strip), (table, pairs) in sorted(modes.items()):
            singles = set()
            lens: dict[str, set[int]] = {}
            for key in table:
                parts = key.split(_SEP, 2)
                if len(parts) == 1:
                    singles.add(key)
                else:
                    lens.setdefault(parts[0] + _SEP + parts[1], set()).add(key.count(_SEP) + 1)
            firsts = {k.split(_SEP, 1)[0] for k in lens} | singles
            pairs = {k: tuple(sorted(v, reverse=True)) for k, v in lens.items()}
            out.append((lower, strip, table, frozenset(firsts), frozenset(singles), pairs))
        return cls(tuple(out), owners)


    @property
    def owners(self) -> list:
        return list(self._owners)

    def with_owners(self, owners: list) -> "MergedPhrases":
        """The same tables reporting other owners (position for position)."""
        return MergedPhrases(self._modes, owners)

    def state(self) -> tuple:
        """The merged tables as plain data (marshal-able), without the owners."""
        return self._modes

    @classmethod
    def from_state(cls, state: tuple, owners: list) -> "MergedPhrases":
        """Tables from `state()` (for example read back from the pack cache) with `owners`."""
        if len(state) and not all(len(mode) == 6 for mode in state):
            raise ValueError("not a MergedPhrases state")
        return cls(tuple(state), owners)

    @property
    def folds_default(self) -> bool:
        """Does a mode read the default fold (lower case, no accents) of the text?"""
        return any(lower and strip for lower, strip, *_ in self._modes)

    def match(self, text: str, folded: str | None = None) -> list[tuple[int, int, object, str | None]]:
        """`folded`: `fold(text)` (the default mode) when the caller has it already."""
        out: list[tuple[int, int, object, str | None]] = []
        owners = self._owners
        for lower, strip, table, firsts, singles, pairs in self._modes:
            mode_text = folded if lower and strip and folded is not None else fold(text, lower, strip)
            parts = _SPLIT(mode_text)  # [gap, word, gap, word, ..., gap]
            ws = parts[1::2]
            starts = list(compress(count(), map(firsts.__contains__, ws)))
            if not starts:
                continue
            ends: list[int] | None = None  # cumulative part lengths, on the first hit
            n = len(ws)
            for i in starts:
                w = ws[i]
                found = []
                if i + 1 < n:
                    pair = w + _SEP + ws[i + 1]
                    lens = pairs.get(pair)
                    if lens is not None:
                        for L in lens:
                            if i + L <= n:
                                hits = table.get(pair if L == 2 else _SEP.join(ws[i:i + L]))
                                if hits is not None:
                                    found.append((L, hits))
                if w in singles:
                    found.append((1, table[w]))
                if not found:
                    continue
                if ends is None:
                    ends = list(accumulate(map(len, parts)))
                s = ends[2 * i]
                for L, hits in found:
                    e = ends[2 * (i + L) - 1]
                    for k in range(0, len(hits), 2):
                        out.append((s, e, owners[hits[k]], hits[k + 1]))
        return out
