"""The fast paths agree with their references.

- The table-driven parser (trees memoized per token-type sequence, bound plans cached on
  the nodes) gives exactly the matches of Lark's own parser (`reference_parser=True`) on the
  conformance sentences and on seeded generated text.
- refine's context checks are compiled differently from how they read ("the 40 characters
  before the number END with a month name" is matched at the start of the reversed window;
  word lists are character-trie regexes): they agree with the plain forms on generated
  contexts.
"""
from __future__ import annotations

import json
import pathlib
import random
import re

import pytest

from entrec.engine.inequality import InequalityExtractor
from entrec.engine.inequality.refine import Refiner, _ORD_MARK, _words_rx

ROOT = pathlib.Path(__file__).resolve().parents[3]
CONF = ROOT.parent / "shared" / "conformance"

_PT = ["Manter a tensão entre {a} kV e {b} kV.", "O fluxo deve ser menor ou igual a {c} MW.",
       "não deve ultrapassar {a} MW por mais de {d} minutos", "de {a} a {b} kV", "{a}-{b} MW",
       "no mínimo {d}% e no máximo {b}%", "até 15 de março de {y}", "a partir de {y}",
       "itens {d} a {b}", "passar de {a} para {b} MW", "das {d} às {e} horas", "{a} (oitenta) horas",
       "{a} MW ({a} MW) ou menos", "{d} dias ({d} dias), no mínimo",
       "trinta segundos, no mínimo", "cerca de {a} a {b} MW", "mil e quinhentos MW ou mais",
       "R$ {a} ou menos", "igual ou superior a uma", "superior a {a},5 kV ou igual"]
_EN = ["between {a} and {b} kV", "at least {d} MW and at most {b} MW", "more than {c} in {y}",
       "up to {a} dollars and {d} cents", "from {a} to {b} kV", "about ${a}-${b}", "{a} or more",
       "no less than {d} percent", "January {d}, {y}", "not exceeding {a} degrees",
       "three point five to four MW", "one-fourth of the load", "less than a dollar"]
_SALAD = ["maior", "que", "menos", "de", "entre", "e", "a", "até", "ou", "mais", "não", "between",
          "and", "or", "at", "least", "not", "than", "mil", "dez", "kV", "MW", "10", "4.000", "1,5",
          "-", "~", ">=", "no", "mínimo", "igual", "dollars", "cents", "1/2", "12/03/2024", "the",
          "half", "(", ")", "oitenta", "80", "março", "itens", "para", "às", "horas", ",", "2019",
          "%", "°C", "R$", "$", "uma", "one", "hundred", "cem", "≤", "<", "in", "superior",
          "abaixo", "above", "below", "up", "to", "from", "52-12", "AT-03", "500MW", "5k"]


def _generated(n: int, seed: int = 15) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        vals = dict(a=rnd.choice([1, 20, 138, 500, 4000]), b=rnd.choice([30, 550, 1200]),
                    c=rnd.choice(["1.800", "30000", "2,5"]), d=rnd.randint(1, 60),
                    e=rnd.randint(1, 23), y=rnd.choice([1999, 2024, 2030]))
        lang = rnd.choice(["pt", "en"])
        tpl = rnd.choice(_PT if lang == "pt" else _EN)
        salad = " ".join(rnd.choice(_SALAD) for _ in range(rnd.randint(0, 8)))
        out.append((f"{salad} {tpl.format(**vals)} {salad[:20]}".strip(), lang))
    return out


def _conformance() -> list[tuple[str, str]]:
    if not CONF.is_dir():
        return []
    out = []
    for name in ("recognizers-text-pt.jsonl", "recognizers-text-en.jsonl", "duckling-en.jsonl"):
        path = CONF / name
        if path.exists():
            out += [(r["text"], r["lang"]) for r in map(json.loads, path.open(encoding="utf-8"))]
    return out


@pytest.fixture(scope="module")
def reference() -> InequalityExtractor:
    return InequalityExtractor.load(reference_parser=True)


def test_fast_parser_equals_lark_on_generated_text(ext, reference):
    texts = _generated(600)
    found = 0
    for text, lang in texts:
        fast = ext.matches(text, lang)
        assert fast == reference.matches(text, lang), text
        found += len(fast)
    assert found > 300  # the generated text does exercise the parser


@pytest.mark.skipif(not CONF.is_dir(), reason=f"{CONF} not present (../shared absent)")
def test_fast_parser_equals_lark_on_conformance_sentences(ext, reference):
    texts = _conformance()
    assert len(texts) > 250
    for text, lang in texts:
        assert ext.matches(text, lang) == reference.matches(text, lang), text


def test_half_open_fast_parser_equals_lark(ext_half):
    reference = InequalityExtractor.load(half_open=True, reference_parser=True)
    for text, lang in _generated(150, seed=3):
        assert ext_half.matches(text, lang) == reference.matches(text, lang), text


# -- refine: compiled context checks vs their plain reading --------------------------------

def _plain_alternation(words) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len,
                           reverse=True))


def _plain_before(lex):
    """The 'before' checks as first written: searched at the end of the window."""
    ctx = lex.context_words
    months, ids = ctx.get("months"), ctx.get("identifier_nouns")
    clock, years = ctx.get("clock_words"), ctx.get("year_lead")
    return {
        "before_date": re.compile(rf"\b(?:{_plain_alternation(months)})\.?\s*(?:de\s+|of\s+)?"
                                  rf"(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s*)?$"),
        "before_id": re.compile(rf"\b(?:{_plain_alternation(ids)})\s*(?:n[ºo°]\.?\s*|nos?\.?\s*)?"
                                rf"(?:de\s+|entre\s+|from\s+|between\s+)?$"),
        "before_clock": re.compile(rf"\b(?:{_plain_alternation(clock)})\s*$"),
        "before_year": re.compile(rf"\b(?:{_plain_alternation(years)})\s*$"),
    }


def _contexts(lex, n: int, seed: int) -> list[str]:
    """Windows ending where a number would start: context words, separators and noise."""
    rnd = random.Random(seed)
    ctx = lex.context_words
    words = [w for k in ("months", "identifier_nouns", "clock_words", "year_lead") for w in ctx[k]]
    bits = words + ["de", "of", "entre", "between", "nº", "no.", "nos", "n°", "15", "1st", ",",
                    ".", " ", "  ", "\n", "x", "ab", "_", "2", "o", "º", "-"]
    out = []
    for _ in range(n):
        s = "".join(rnd.choice(bits) + rnd.choice(["", " ", " ", "  "])
                    for _ in range(rnd.randint(0, 6)))
        out.append(s[-40:])
    return out


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_reversed_before_checks_equal_plain_search(ext, lang):
    lex = ext.lexicons[lang]
    rf, plain = Refiner(lex), _plain_before(lex)
    hits = 0
    for before in _contexts(lex, 4000, seed=len(lang)):
        rev = before[::-1]
        any_hit = False
        for name, rx in plain.items():
            expected = bool(rx.search(before))
            assert bool(getattr(rf, name).match(rev)) == expected, (name, before)
            # before_any: the union of the date and identifier patterns
            any_hit |= expected and name in ("before_date", "before_id")
        assert bool(rf.before_any.match(rev)) == any_hit, before
        hits += any_hit
    assert hits > 400  # the generated windows do hit the patterns


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_possessive_spaces_only_where_exact(ext, lang):
    """The context patterns' runs of spaces are possessive for the loaded lexicons (their
    words never start or end with a space) and plain for a lexicon whose words might."""
    import dataclasses

    lex = ext.lexicons[lang]
    rf = Refiner(lex)
    assert all("\\s*+" in getattr(rf, name).pattern
               for name in ("after_date", "before_date", "before_id", "before_clock", "before_year"))
    odd = dataclasses.replace(lex, context_words={**lex.context_words,
                                                  "months": lex.context_words["months"] | {""}})
    plain = Refiner(odd)
    assert not any("*+" in getattr(plain, name).pattern or "++" in getattr(plain, name).pattern
                   for name in ("after_date", "before_date", "before_id", "before_clock", "before_year"))


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_after_date_trie_equals_plain_alternation(ext, lang):
    months = ext.lexicons[lang].context_words["months"]
    plain = re.compile(rf"^{_ORD_MARK}\s*(?:de\s+|of\s+)?(?:{_plain_alternation(months)})\b")
    compiled = Refiner(ext.lexicons[lang]).after_date
    rnd = random.Random(7)
    bits = sorted(months) + ["º", " ", "de ", "of ", "x", "o", ".", "15"]
    for _ in range(3000):
        after = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 4)))
        assert bool(compiled.match(after)) == bool(plain.match(after)), after


def test_words_rx_is_exactly_the_word_list():
    words = frozenset({"a partir de", "até", "ate", "a", "em", "ao longo de", "p", "pp", "n.", "x+y"})
    rx = re.compile(rf"(?:{_words_rx(words)})\Z")
    for w in words:
        assert rx.match(w) and rx.match(w.replace(" ", " \t ")), w
    for w in ["", "a partir", "at", "ao longo", "ppp", "n", "xy", "x+yy", "aa"]:
        assert not rx.match(w), w


def test_last_word_before_span_equals_plain_search():
    """InequalitySource's range lead-in reads the word before a span backwards, in a window
    widened when the word or the whitespace reaches its edge."""
    from entrec.engine.inequality.source import _last_word_start

    plain = re.compile(r"([^\W\d_]+)\s+$")
    rnd = random.Random(5)
    bits = ["varia", "de", " ", "  ", "\n", "24", "x" * 70, " " * 70, "é", "_", "-", "a"]
    for _ in range(3000):
        text = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 8)))
        end = rnd.randint(0, len(text))
        m = plain.search(text, 0, end)
        assert _last_word_start(text, end) == (m.start(1) if m else None), (text, end)


def test_lead_in_precheck_keeps_every_lead_in(ext):
    """`InequalitySource._lead_in` tests the folded text before the whitespace with
    `endswith` before searching for the word: on generated texts (lead-in verbs cased,
    accented, glued, after long whitespace runs, at the text start) it moves exactly the
    spans the plain rule (the word before the span, folded, is a lead-in verb) moves."""
    from dataclasses import replace

    from entrec.engine.entity import Candidate
    from entrec.engine.inequality import InequalitySource
    from entrec.engine.inequality.source import _last_word_start
    from entrec.engine.textfold import fold

    src = InequalitySource(ext)
    rnd = random.Random(11)
    bits = ["varia", "VARIA", "Variará", "oscila", "vão", "vao", "ranges", "varying", "xvaria",
            "de", "é", "_", "-", "2", "\n", " ", "  ", "\t", " " * 40, "a" * 30, "ção"]
    moved = 0
    for _ in range(6000):
        lang = rnd.choice(["pt", "en"])
        words = src._lead_in_words[lang]
        head = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 6)))
        if rnd.random() < 0.5:  # most spans follow a word and a space
            head += rnd.choice(bits[:9]) + rnd.choice([" ", "  ", "\n", " " * 40])
        text = head + "10 a 20"
        c = Candidate(len(head), len(text), "INEQUALITY", "grammar", "inequality.bare_range", 7,
                      value={"op": "between"})
        start = _last_word_start(text, c.start)
        want = (replace(c, start=start) if start is not None
                and fold(text[start:c.start].rstrip()) in words else c)
        for folded in (fold(text), None):
            assert src._lead_in(text, c, lang, folded) == want, (text, lang)
        moved += want is not c
    assert moved > 300  # the generated texts do exercise the lead-in


def test_find_many_hands_every_lead_in_to_lead_in(ext):
    """`find_many` calls `_lead_in` only on ranges with whitespace right before them: on
    generated texts (verbs before ranges, after every kind of whitespace or none, at the
    text start) its candidates equal `extract`'s with `_lead_in` applied to every range,
    for Docs from `make_doc` (text and fold read from the Doc's data) and bare spaCy Docs
    (read from the tokens), and `find` of one Doc equals its row."""
    from entrec.engine.inequality import InequalitySource
    from entrec.engine.tokenizer import doc_folded, make_doc, make_nlp

    src = InequalitySource(ext)
    nlp = make_nlp("pt")
    rnd = random.Random(17)
    verbs = ["varia", "Variam", "OSCILA", "vão", "vai", "xvaria", "variação", "de", "", "2"]
    spaces = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "", " \u00a0"]
    ranges = ["de 24 a 43 meses", "entre 10 e 20 kV", "10 a 20 kV", "20-30%", "superior a 5 MW"]
    texts = []
    for _ in range(1500):
        parts = [rnd.choice(["", "A tensão ", "x", "("])]
        for _ in range(rnd.randint(1, 3)):
            parts += [rnd.choice(verbs), rnd.choice(spaces), rnd.choice(ranges), rnd.choice([" e ", "; ", ""])]
        texts.append("".join(parts))
    raw = [ext.extract(t, "pt", exclude_ops=src.exclude_ops) for t in texts]
    want = [[src._lead_in(t, c, "pt") if c.value["op"] == "between" else c for c in cands]
            for t, cands in zip(texts, raw)]
    made = [make_doc(nlp, t) for t in texts]
    for d in made[::2]:
        doc_folded(d)  # half the Docs carry their fold, as after the rule source
    assert src.find_many(made) == want
    assert src.find_many([nlp.make_doc(t) for t in texts]) == want
    assert [src.find(d) for d in made[:300]] == want[:300]
    moved = sum(a.start != b.start for r, w in zip(raw, want) for a, b in zip(r, w))
    assert moved > 200  # the lead-in does move spans here


# -- parser: window plans vs the step-by-step search ----------------------------------------

def test_type_codes_are_one_character_per_terminal_of_the_grammar(ext):
    """The plan key (one character per token type) is exact only if every terminal the LALR
    tables know has its own character; start types are what the start search finds."""
    from entrec.engine.inequality import parser
    from entrec.engine.paths import grammars_dir

    grammar = (grammars_dir() / "inequality.lark").read_text(encoding="utf-8")
    declared = set(re.search(r"^%declare (.*)$", grammar, re.M).group(1).split())
    codes = ext._parser._codes
    assert set(codes) == declared | {"OTHER"}
    assert len(set(codes.values())) == len(codes) and "x" not in codes.values()
    assert codes["NUMBER"] == "n" and codes["OTHER"] == "o"
    assert {t for t, c in codes.items() if c in ext._parser._start_codes} == \
        parser.START_TYPES & declared
    # grammars with more terminals than letters still get distinct characters
    many = parser._type_codes({f"T{k}" for k in range(100)} | parser.START_TYPES)
    assert len(set(many.values())) == len(many) == 111 and "x" not in many.values()


def _planned_vs_steps(ext, toks, code) -> int:
    """Every start the search would try, through the plan and step by step; returns hits."""
    p = ext._parser
    hits = 0
    for i in range(len(toks)):
        if code[i] == "o":
            continue
        we = code.find("o", i)
        we = len(toks) if we < 0 else we
        steps = p._longest(toks, i)
        assert p._longest_planned(toks, i, code[i:we]) == steps
        assert p._longest_planned(toks, i, code[i:we]) == steps  # the stored plan too
        hits += steps is not None
    return hits


def test_window_plans_equal_step_by_step_search(ext):
    hits = 0
    for text, lang in _generated(400, seed=21) + [
            (" e ".join(str(k) for k in range(1, 60)) + " kV", "pt"),  # a window longer than a plan's
            ("entre 10 e 20 kV ou " * 12 + "acima de 5", "pt")]:
        toks = ext._refiners[lang](text, ext._scanners[lang].scan(text))
        code = "".join(ext._parser._codes[t.type] for t in toks)
        hits += _planned_vs_steps(ext, toks, code)
    assert hits > 300


def test_extract_with_a_given_fold_equals_the_general_path(ext):
    # `extract(..., folded=)` skips `_bounds` when the language is known and the fold fits:
    # the same candidates as without a fold, and as `matches`, on every kind of input
    from entrec.engine.textfold import fold

    class Text(str):
        pass

    texts = [t for t, _ in _generated(600)] + ["", "x", "entre 10 e 20 kV, acima de 5 MW e abaixo de 3 MW"]
    exclude = frozenset({"eq"})
    checked = 0
    for text in texts:
        for lang in ("pt", "en", "xx"):
            want = [m.to_candidate(ext.priority) for m in ext.matches(text, lang) if m.value["op"] not in exclude]
            assert ext.extract(text, lang, exclude_ops=exclude) == want, (text, lang)
            assert ext.extract(text, lang, exclude_ops=exclude, folded=fold(text)) == want, (text, lang)
            assert ext.extract(Text(text), lang, exclude_ops=exclude, folded=fold(text)) == want
            assert ext.extract(text, lang, exclude_ops=exclude, folded=fold(text) + "!") == want  # ignored
            checked += bool(want)
    assert checked > 300
