"""The scanner's bulk tokenization agrees with what it replaced.

- `raw_tokens` (one `findall` of (whitespace, token) tuples, offsets summed, tuples built in
  C) gives the tokens of the per-match reference below (the scanner's code before) on
  generated text full of marks, odd letters and digits.
- `Scanner.scan` gives, on seeded generated text, exactly the token streams the scanner
  produced before the change (stored in `data/scan_expected.jsonl`, written by the scanner
  at commit 1addd5e from `_texts()` below; regenerate only from a scanner known to be right).
  Regenerated since for deliberate changes only, each time checking that every stream that
  moved holds what changed: "+" glued to digits signs the number ("+100 Mvar": 14 streams);
  bare "mínimo"/"máximo"/"máx." are comparators (43 streams, all with one of those words).
"""
from __future__ import annotations

import json
import pathlib
import random
import re

import pytest

from entrec.engine.inequality.scanner import raw_tokens
from entrec.engine.textfold import fold

EXPECTED = pathlib.Path(__file__).parent / "data" / "scan_expected.jsonl"

# the raw-token regex and loop as they were (one match object per token)
_REF_RE = re.compile(
    r"(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
    r"|(?P<num>\d+(?:[.,]\d+)*)"
    r"|(?P<sym><=|>=|=<|=>|<>|!=|==|''|[^\w\s])"
    r"|(?P<other>_+)")
_REF_KIND = (None, "word", "num", "sym", "sym")


def _ref_raw(text: str) -> list[tuple]:
    folded = fold(text)
    return [(_REF_KIND[m.lastindex], m.start(), m.end(), m.group(),
             folded[m.start():m.end()] if m.lastindex == 1 else m.group())
            for m in _REF_RE.finditer(text)]


_BITS = ["maior", "que", "menos", "de", "entre", "e", "a", "até", "ou", "mais", "não", "between",
         "and", "or", "at", "least", "than", "mil", "dez", "kV", "MW", "mHz", "A", "V", "10",
         "4.000", "1,5", "1.000,5", "-", "−", "–", "~", ">=", "<=", "==", "<>", "''", "'", "no",
         "mínimo", "máximo", "igual", "dollars", "cents", "1/2", "12/03/2024", "10h15", "03/2024",
         "+55-11-2222", "the", "half", "quarto", "three", "point", "five", "(", ")", "oitenta",
         "80", "março", "itens", "para", "às", "horas", ",", ";", "2019", "%", "°C", "º", "ª",
         "R$", "$", "uma", "an", "one", "hundred", "cem", "≤", "≥", "<", "in", "superior",
         "abaixo", "above", "up", "to", "52-12", "AT-03", "IO-ON.NE.2NE", "500MW", "5k", "10mil",
         "x'y", "x'y'de", "d'água", "_", "__", "a_1", "Ⓐ", "²", "٣", "İ", "ſ", "e\u0301", "Ω",
         "ⅰ", "\t", "\n", "  ", "0976", "hrs", "o'clock", "janeiro", "of", "kW", "Hz", "graus"]


def _texts(n: int = 500, seed: int = 1528) -> list[tuple[str, str]]:
    """Word salads: lexicon words, numbers, codes, marks and odd characters, glued or apart."""
    rnd = random.Random(seed)
    seps = [" ", " ", " ", "", ", ", "-", "/", ".", "\n"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(0, 20)):
            w = rnd.choice(_BITS)
            r = rnd.random()
            w = w.upper() if r < 0.08 else w.title() if r < 0.16 else w
            parts += [w, rnd.choice(seps)]
        out.append(("".join(parts), rnd.choice(["pt", "en"])))
    return out


def _stream(toks) -> str:
    """One line per token stream: every field of every token."""
    return " ".join(f"{t.type}:{t.start}:{t.end}:{t.op}:{t.value}:{t.unit}:{t.digits:d}"
                    for t in toks)


def test_raw_tokens_equal_per_match_reference():
    texts = [t for t, _ in _texts(3000, seed=5)] + ["", " ", "\n\t ", "a", "x'y'de", "Ⓐ²٣İſ",
                                                    "__a_1", "''de", "1.2.3,4", "a'"]
    for text in texts:
        assert [tuple(r) for r in raw_tokens(text)] == _ref_raw(text), text
        assert all(not r.blocked for r in raw_tokens(text))


def test_raw_token_is_a_tuple_with_a_settable_blocked_flag():
    r = raw_tokens("AT-03")[2]
    assert (r.kind, r.start, r.end, r.text, r.f, r.blocked) == ("num", 3, 5, "03", "03", False)
    r.blocked = True
    assert r.blocked and not raw_tokens("AT-03")[2].blocked


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_scan_equals_stored_streams_of_the_previous_scanner(ext, lang):
    expected = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    texts = _texts()
    assert [e[0] for e in expected] == [t for t, _ in texts]  # the generator is unchanged
    scanner = ext._scanners[lang]
    numbers = 0
    for (text, _), e in zip(texts, expected):
        got = _stream(scanner.scan(text))
        assert got == e[1][lang], text
        numbers += got.count("NUMBER:")
    assert numbers > 400  # the generated text does produce numbers


def test_the_table_path_of_one_word_phrases_equals_the_trie_walk(ext):
    """`Scanner._fast_words` / `_fast_unless`: a one-word phrase takes its token from a table,
    unless the next word continues a longer phrase ("e" of "e acima", "a" of "a partir de");
    the same tokens as walking the trie at every word."""
    from entrec.engine.inequality.scanner import Scanner

    rnd = random.Random(2026)
    extra = ["230 kV e acima", "10 MW e abaixo de 5", "10 ou mais", "a partir de 5", "mínimo de 10",
             "mínimo 10", "ou menos de 3 e acima de 4", "at least 5 or more", "up to 10 and above",
             "no más de 10", "a lo sumo 3 o más"]
    words = [w for t in extra for w in t.split()]
    texts = [t for t, _ in _texts(1500, seed=2026)] + extra
    texts += [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 12))) for _ in range(1500)]
    for lang, lex in ext.lexicons.items():
        table, walk = Scanner(lex), Scanner(lex)
        table._raw = walk._raw = None  # both run the reference pass 3 (`_pass3_py`)
        walk._fast_words, walk._fast_unless = {}, {}
        assert table._fast_unless  # every shipped lexicon has such words
        for text in texts:
            assert _stream(table.scan(text)) == _stream(walk.scan(text)), (lang, text)


def test_post_sees_the_same_with_only_the_units_it_may_change():
    # pass 3 hands `_post` only the UNITs followed by a NUMBER or an AND: `_post` gives the
    # same tokens as with every UNIT, on texts with merges ("1 dollar and 42 cents"),
    # prefix units ("$ 10", "R$ 5") and units everywhere else
    import dataclasses

    from entrec.engine.inequality import InequalityExtractor
    from entrec.engine.inequality.scanner import _post_units

    from .test_compiled import _reference_raws

    ext = InequalityExtractor.load()
    rnd = random.Random(71)
    pieces = ["1 dollar and 42 cents", "2 reais e 50 centavos", "$ 10", "R$ 5", "US$ 3,5", "10 kV", "kV",
              "e", "and", "5", "MW", "acima de", "between", "to", "-", "%", "horas", "R$", "$"]
    texts = [" ".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8))) for _ in range(3000)]
    texts += [t for t, _ in _texts(1500, seed=72)]
    changed = kept_any = 0
    for lang, lex in ext.lexicons.items():
        sc = ext._scanners[lang]
        for text in texts:
            raws, nums, anchors, known = _reference_raws(sc, text)
            if not raws:
                continue
            toks, kept = sc._pass3_py(text, raws, nums, anchors, bytearray(known))
            every = [i for i, t in enumerate(toks) if t.type == "UNIT"]
            assert kept == _post_units(toks, every) and set(kept) <= set(every)
            want = sc._post([dataclasses.replace(t) for t in toks], every)
            got = sc._post([dataclasses.replace(t) for t in toks], kept)
            assert got == want, (lang, text)
            changed += want != toks
            kept_any += bool(kept)
    assert changed > 300 and kept_any > 1000
