"""The optional compiled grammar build (setup.py, `ENTREC_COMPILE=1`).

- `check_build` trusts compiled files only with a source record that matches every `.py`.
- `install_guard` makes a stale build import from source (a package whose compiled file is
  junk still imports, from its `.py`).
- Compiled and pure Python give the same matches on generated and conformance sentences
  (runs only where a current compiled build exists, as in `make test` on a machine with a C
  compiler; the pure side runs in a subprocess with ENTREC_PURE_PYTHON=1).
- The compiled-only C loops of the scanner's passes 1 and 2 (`_rawscan.RawScanner`, records
  and `RawTok`s made when read), pass 3 (`_scanloop.Pass3`), of refine
  (`_refineloop.RefineLoop`) and the parser's windows (`_parsewin.windows`) give exactly what
  the Python loops give, on Unicode salads built to separate the token classes, glued codes,
  numbers among context words, word salads and generated grammar sentences.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.machinery
import json
import os
import subprocess
import sys
import textwrap
import types
from decimal import Decimal
from pathlib import Path

import pytest

from entrec.engine.inequality import InequalityExtractor, compiled_status
from entrec.engine.inequality._compiled import (COMPILED_MODULES, FORCED_HEADER, MANIFEST, NATIVE_INCLUDES, NATIVE_MODULES,
                                                PURE_ENV, check_build, module_digest, source_digest)

from .test_fast_paths import _conformance, _generated

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _build(folder: Path, modules=("scanner", "parser"), record: bool = True) -> None:
    manifest = {}
    (folder / FORCED_HEADER).write_text("/* forced */\n", encoding="utf-8")
    for m in modules:
        (folder / f"{m}.py").write_text(f"NAME = {m!r}\n", encoding="utf-8")
        (folder / f"{m}{SUFFIX}").write_bytes(b"not really a shared object")
        manifest[m] = hashlib.sha256((folder / f"{m}.py").read_bytes()
                                     + b"\0" + FORCED_HEADER.encode() + b"\0"
                                     + (folder / FORCED_HEADER).read_bytes()).hexdigest()
    if record:
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_no_compiled_files_means_pure_python(tmp_path):
    (tmp_path / "scanner.py").write_text("x = 1\n", encoding="utf-8")
    status = check_build(tmp_path, environ={})
    assert not status.compiled and status.reason == "no compiled build"
    assert status.describe() == "pure Python (no compiled build)"


def test_current_build_is_used(tmp_path):
    _build(tmp_path)
    status = check_build(tmp_path, environ={})
    assert status.modules == ("scanner", "parser")
    assert status.describe() == f"compiled (2/{len(COMPILED_MODULES) + len(NATIVE_MODULES)} grammar modules)"


def test_an_edited_source_makes_the_whole_build_stale(tmp_path):
    _build(tmp_path)
    (tmp_path / "parser.py").write_text("NAME = 'edited'\n", encoding="utf-8")
    status = check_build(tmp_path, environ={})
    assert status.modules == ()
    assert status.reason == "parser.py or _streq.h changed since it was compiled (rebuild: make compile)"


def test_an_edited_or_missing_forced_header_makes_the_whole_build_stale(tmp_path):
    # setup.py compiles every module with `-include _streq.h`: it is hashed with each source
    _build(tmp_path)
    assert module_digest(tmp_path, "parser") != source_digest(tmp_path / "parser.py")
    (tmp_path / FORCED_HEADER).write_text("/* edited */\n", encoding="utf-8")
    status = check_build(tmp_path, environ={})
    assert status.modules == ()
    assert status.reason == "scanner.py or _streq.h changed since it was compiled (rebuild: make compile)"
    (tmp_path / FORCED_HEADER).unlink()
    assert check_build(tmp_path, environ={}).reason == "_streq.h is missing"


def test_an_edited_or_missing_include_makes_the_build_stale(tmp_path):
    # `_rawscan` and `_scanloop` both include `_rawview.pxi`: it is hashed with each of them
    _build(tmp_path)
    includers = [m for m in NATIVE_MODULES if NATIVE_INCLUDES.get(m)]
    assert includers == ["_rawscan", "_scanloop"]
    for m in includers:
        (tmp_path / NATIVE_MODULES[m]).write_text(f"# {m}\n", encoding="utf-8")
        (tmp_path / f"{m}{SUFFIX}").write_bytes(b"not really a shared object")
    (tmp_path / "_rawview.pxi").write_text("# shared\n", encoding="utf-8")
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    manifest.update({m: module_digest(tmp_path, m) for m in includers})
    (tmp_path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert check_build(tmp_path, environ={}).modules == ("scanner", "parser", *includers)
    assert module_digest(tmp_path, "_rawscan") != source_digest(tmp_path / "_rawscan.pyx")
    (tmp_path / "_rawview.pxi").write_text("# edited\n", encoding="utf-8")
    status = check_build(tmp_path, environ={})
    assert status.modules == ()
    assert status.reason == ("_rawscan.pyx or _rawview.pxi or _streq.h changed since it was compiled "
                             "(rebuild: make compile)")
    (tmp_path / "_rawview.pxi").unlink()
    assert check_build(tmp_path, environ={}).reason == "_rawview.pxi is missing"


def test_no_record_or_pure_env_means_pure_python(tmp_path):
    _build(tmp_path, record=False)
    assert check_build(tmp_path, environ={}).reason == f"no readable {MANIFEST} beside the compiled files"
    _build(tmp_path)
    assert check_build(tmp_path, environ={PURE_ENV: "1"}).reason == f"{PURE_ENV} is set"
    assert check_build(tmp_path, environ={PURE_ENV: "0"}).compiled


def test_guard_imports_a_stale_module_from_its_source(tmp_path):
    """Without the guard Python would load `scanner<SUFFIX>` (junk here: ImportError)."""
    pkg = tmp_path / "stalepkg"
    pkg.mkdir()
    _build(pkg, modules=("scanner",))
    (pkg / "scanner.py").write_text("NAME = 'from source'\n", encoding="utf-8")
    (pkg / "__init__.py").write_text(textwrap.dedent("""\
        from pathlib import Path
        from entrec.engine.inequality._compiled import install_guard
        STATUS = install_guard(__name__, Path(__file__).parent)
        """), encoding="utf-8")
    code = ("import stalepkg, stalepkg.scanner as s; "
            "print(s.NAME, s.__file__.endswith('.py'), stalepkg.STATUS.reason)")
    env = {k: v for k, v in os.environ.items() if k != PURE_ENV}  # (a pure run's env says so first)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**env, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ("from source True scanner.py or _streq.h changed since it was compiled "
                                  "(rebuild: make compile)")


def test_guard_imports_a_compiled_module_the_build_does_not_list_from_its_source(tmp_path):
    """A compiled file of a module outside COMPILED_MODULES (left by a build with another
    module list) would shadow its `.py` even in a current build: the guard skips it."""
    pkg = tmp_path / "leftpkg"
    pkg.mkdir()
    (pkg / "extractor.py").write_text("NAME = 'from source'\n", encoding="utf-8")
    (pkg / f"extractor{SUFFIX}").write_bytes(b"an old build's compiled file")
    (pkg / "__init__.py").write_text(textwrap.dedent("""\
        from pathlib import Path
        from entrec.engine.inequality._compiled import install_guard
        STATUS = install_guard(__name__, Path(__file__).parent)
        """), encoding="utf-8")
    code = "import leftpkg.extractor as e; print(e.NAME, e.__file__.endswith('.py'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "from source True"


_PURE_RUN = """
import json, sys
from entrec.engine.inequality import InequalityExtractor, compiled_status
assert not compiled_status().compiled, compiled_status()
texts = json.load(sys.stdin)
out = {}
for half_open in (False, True):
    ext = InequalityExtractor.load(half_open=half_open)
    out[str(half_open)] = [[[m.start, m.end, m.core_end, m.rule_id, m.value] for m in ext.matches(t, lg)]
                           for t, lg in texts]
print(json.dumps(out))
"""


@pytest.mark.skipif(not compiled_status().compiled,
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_and_pure_python_give_the_same_matches():
    texts = _generated(600) + _conformance()
    pure = subprocess.run([sys.executable, "-c", _PURE_RUN], input=json.dumps(texts), capture_output=True,
                          text=True, env={**os.environ, PURE_ENV: "1"}, check=True)
    expected = json.loads(pure.stdout)
    found = 0
    for half_open in (False, True):
        ext = InequalityExtractor.load(half_open=half_open)
        got = [[[m.start, m.end, m.core_end, m.rule_id, m.value] for m in ext.matches(t, lg)]
               for t, lg in texts]
        got = json.loads(json.dumps(got))  # the same JSON round trip as the pure side's
        for (text, _), a, b in zip(texts, got, expected[str(half_open)]):
            assert a == b, (half_open, text)
        found += sum(map(len, got))
    assert found > 1000  # the texts do exercise the grammar


def _unicode_salad(n: int = 3000, seed: int = 29) -> list[str]:
    """Texts from characters whose classes differ between the regex's token kinds: other
    scripts' decimal digits, digits that are not decimal, letters with marks, every kind of
    space, the marks that form pairs, underscores and apostrophes."""
    import random

    pool = list("aZé É ß ı İ ſ ǅ Ω ж 字 ٣ ९ ² ½ Ⅳ ⓐ \u0301 _ ' '' < > = ! . , - − / ( ) % ° º ª $ R 0 7 9")
    pool += [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\u200b", "\x1c", "\x85", "<=", ">=", "=>",
             "==", "<>", "!=", "1.000", "2,5", "1.", ",3", "x'y", "d'água", "__", "a_1", "\U0001d7d8"]
    rnd = random.Random(seed)
    return ["".join(rnd.choice(pool) for _ in range(rnd.randint(0, 40))) for _ in range(n)]


def _reference_raws(sc, text: str):
    """Passes 1 and 2 as the Python loops run them: (raws, nums, anchors, known)."""
    from entrec.engine.inequality.numbers import RawTok
    from entrec.engine.inequality.scanner import _raw_pass_py
    from entrec.engine.textfold import fold

    raws, nums, anchors, known = _raw_pass_py(text, fold(text), sc.interesting, sc.anchors,
                                              sc._known_syms, RawTok)
    if nums:
        sc._block(text, raws, nums)
    return raws, nums, anchors, known


@pytest.mark.skipif(not compiled_status().uses("_rawscan"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_raw_scanner_equals_the_python_loops():
    import random

    from entrec.engine.inequality.numbers import RawTok
    from entrec.engine.inequality.scanner import Scanner
    from entrec.engine.textfold import fold

    from .test_scanner_fast_path import _texts as salads

    ext = InequalityExtractor.load()
    texts = _unicode_salad() + [t for t, _ in salads()] + [t for t, _ in _generated(600) + _conformance()]
    texts += _glued_codes(2000)
    rnd = random.Random(71)
    checked = tokens = blocked = 0
    for lang, lex in ext.lexicons.items():
        sc = Scanner(lex)
        assert sc._raw is not None  # the compiled loops run
        for text in texts:
            want, nums, anchors, known = _reference_raws(sc, text)
            seq = sc._raw(text, fold(text))
            flags = seq.flags()  # (known, anchor, blocked) per token
            assert (len(seq), seq.nums) == (len(want), len(nums)), (lang, text)
            assert flags[0] == bytes(known), (lang, text)
            assert flags[1] == bytes(k in anchors for k in range(len(want))), (lang, text)
            assert flags[2] == bytes(r.blocked for r in want), (lang, text)
            # tokens made in any order are the reference's, fields and `blocked`
            order = list(range(len(want)))
            rnd.shuffle(order)
            got = {k: seq[k] for k in order}
            assert [tuple(got[k]) for k in range(len(want))] == [tuple(r) for r in want], (lang, text)
            assert [got[k].blocked for k in range(len(want))] == [r.blocked for r in want], (lang, text)
            assert all(type(r) is RawTok and seq[k] is r for k, r in got.items())
            checked += 1
            tokens += len(want)
            blocked += sum(flags[2])
    assert checked > 10_000 and tokens > 100_000 and blocked > 5_000


@pytest.mark.skipif(not compiled_status().uses("_rawscan"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_raw_scanner_table_holds_the_scanner_sets():
    # a word's flags are its membership in each set pass 1 and pass 2 ask; a word in none
    # of them (or a word spelled in no phrase) is absent
    from entrec.engine.inequality.scanner import Scanner

    for lex in InequalityExtractor.load().lexicons.values():
        sc = Scanner(lex)
        sets = (sc.interesting, sc.anchors, sc._known_syms, sc.glue_ok, lex.numbers.cardinals)
        words = set().union(*sets) - {""}
        for w in words:
            want = sum(1 << k for k, group in enumerate(sets) if w in group)
            assert sc._raw.table_flags(w) == want, w
        assert sc._raw.table_flags("palavraquenaoexiste") == 0
        assert sc._raw.table_flags("") == 0


@pytest.mark.skipif(not compiled_status().uses("_rawscan"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_raw_sequence_is_a_sequence():
    sc = InequalityExtractor.load()._scanners["pt"]
    text = "tensão superior a 4.000 MW"
    seq = sc._raw(text, text)
    assert len(seq) == 5 and bool(seq) and not sc._raw("  ", "  ")
    assert [r.text for r in seq] == ["tensão", "superior", "a", "4.000", "MW"]
    assert seq[-1] is seq[4] and [r.text for r in seq[1:3]] == ["superior", "a"]
    with pytest.raises(IndexError):
        seq[5]
    with pytest.raises(IndexError):
        seq[-6]
    with pytest.raises(ValueError):
        sc._raw(text, text[:-1])  # `folded` must be `fold(text)`: as long as the text


@pytest.mark.skipif(not compiled_status().uses("_triggers"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_trigger_test_equals_the_regex():
    from entrec.engine.inequality import _triggers
    from entrec.engine.inequality.extractor import _TRIGGER

    chars = [chr(c) for c in range(0x3000)] + ["\U0001d7d8", "\U0001f600", "⩽", "⩾"]
    texts = _unicode_salad() + chars + ["", "abc", "sem número nenhum", "x ≤ y", "٣", "²"]
    hits = 0
    for text in texts:
        want = _TRIGGER.search(text) is not None
        assert _triggers.has_trigger(text) == want, repr(text)
        hits += want
    assert hits > 2000  # digits of many scripts and the comparators


@pytest.mark.skipif(not compiled_status().uses("_triggers"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_number_word_test_equals_the_regex():
    import random

    from entrec.engine.inequality import InequalityExtractor, _triggers
    from entrec.engine.inequality.extractor import _WORDS

    words = InequalityExtractor.load()._word_triggers["pt"]
    longest = max(map(len, words))
    rnd = random.Random(7)
    picks = sorted(words)
    # number words glued to what the regex does or does not count as a letter, in other
    # scripts, cut short, and inside longer words
    glue = ["", " ", "_", "3", "٣", "²", "é", "ß", "字", "\u0301", "-", "'", "x", "\U0001d7d8", "\n"]
    texts = _unicode_salad() + ["", "mil", "mil_", "_mil", "mil3", "3mil", "milé", "cemx", "cem",
                                "dez²", "²dez", "quinhentosx", "quinhentos", "mi", "xx"]
    for _ in range(3000):
        w = rnd.choice(picks)
        texts.append(rnd.choice(glue) + rnd.choice([w, w[:-1], w.upper(), w + w]) + rnd.choice(glue)
                     + rnd.choice(["", " ", " e ", "."]) + rnd.choice(_unicode_salad(1, rnd.randint(0, 99))))
    hits = 0
    for text in texts:
        want = not words.isdisjoint(_WORDS.findall(text))
        assert _triggers.has_word(text, words, longest) == want, repr(text)
        hits += want
    assert 200 < hits < len(texts) - 2000  # both answers, many times
    # `longest` bounds the words looked up: a mutant bound misses the longest words
    long_word = max(picks, key=len)
    assert _triggers.has_word(f"x {long_word} y", words, longest)
    assert not _triggers.has_word(f"x {long_word} y", words, longest - 1)


@pytest.mark.skipif(not compiled_status().uses("_parsewin"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_parse_windows_equal_the_python_ones():
    import itertools
    import random

    from entrec.engine.inequality import _parsewin
    from entrec.engine.inequality.parser import _windows_py

    rnd = random.Random(67)
    alphabet = "onabcx"
    codes = ["".join(p) for k in range(7) for p in itertools.product("onax", repeat=k)]
    codes += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))) for _ in range(3000)]
    spans = 0
    for code in codes:
        for starts in ("na", "nab", "", "x"):
            want = _windows_py(code, "o", "n", starts)
            assert _parsewin.windows(code, "o", "n", starts) == want, (code, starts)
            spans += len(want[0])
    assert spans > 20_000


def _tok_like(name: str, *, slots: bool, digits_default: bool = True) -> type:
    """A dataclass with `Tok`'s fields (optionally another default for `digits`)."""
    from entrec.engine.inequality.scanner import Tok

    specs = []
    for f in dataclasses.fields(Tok):
        if f.default is dataclasses.MISSING:
            specs.append((f.name, object))
        else:
            default = digits_default if f.name == "digits" else f.default
            specs.append((f.name, object, dataclasses.field(default=default)))
    return dataclasses.make_dataclass(name, specs, slots=slots)


#: `Tok`'s fields without slots: the compiled pass 3 must call this class
_PlainTok = _tok_like("_PlainTok", slots=False)
#: `Tok`'s slots with another default: filling the slots would not be calling it
_OtherDefaultsTok = _tok_like("_OtherDefaultsTok", slots=True, digits_default=False)


@pytest.mark.skipif(not compiled_status().uses("_scanloop"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_pass3_equals_the_python_loop():
    from entrec.engine.inequality import _scanloop, scanner
    from entrec.engine.inequality.numbers import parse_digits
    from entrec.engine.inequality.scanner import Scanner, Tok
    from entrec.engine.textfold import fold

    from .test_scanner_fast_path import _texts as salads

    ext = InequalityExtractor.load()
    texts = _unicode_salad() + [t for t, _ in salads(3000, seed=41)] + [t for t, _ in salads()]
    texts += [t for t, _ in _generated(600) + _conformance()]
    # far-apart numbers: the look mask's windows, not the whole text
    texts += [" ".join(["palavra"] * k + [t] + ["de", "x"] * k) for k, t in
              enumerate(["5 MW", "entre 1 e 2 kV", "1/2", "a dollar", "mais de 3", "um"] * 6)]
    # one-word phrases that begin longer ones, followed by a continuation or not (the table
    # path's exception, `Scanner._fast_unless`)
    texts += ["230 kV e acima", "10 MW e abaixo de 5", "10 ou mais", "ou menos de 3", "a partir de 5",
              "mínimo de 10", "mínimo 10", "at least 5 or more", "and above 3", "no más de 10"]
    checked = toks = 0
    for lang, lex in ext.lexicons.items():
        sc = Scanner(lex)
        consts = ((scanner._BEFORE, scanner._AFTER), scanner._SIGNS)
        native = _scanloop.Pass3(sc, Tok, parse_digits, *consts)
        called = _scanloop.Pass3(sc, _PlainTok, parse_digits, *consts)
        other_defaults = _scanloop.Pass3(sc, _OtherDefaultsTok, parse_digits, *consts)
        # the scanner itself runs the compiled loop, filling each Tok's slots directly; a
        # class without slots is called instead
        assert sc._pass3 is not sc._pass3_py and sc._pass3.direct and native.direct
        assert not called.direct and not other_defaults.direct
        # pass 3 indexes its word tables by the raw scanner's: one lacking a word it asks
        # about (or no compiled raw scanner) is refused, never misread
        real_raw = sc._raw
        for raw in (None, types.SimpleNamespace(word_ids=lambda: ({}, 8))):
            sc._raw = raw
            with pytest.raises(TypeError):
                _scanloop.Pass3(sc, Tok, parse_digits, *consts)
        sc._raw = real_raw
        for text in texts:
            raws, nums, anchors, known = _reference_raws(sc, text)
            want = sc._pass3_py(text, raws, nums, anchors, bytearray(known))
            seq = sc._raw(text, fold(text))
            got = native(text, seq)
            assert got == want, (lang, text)
            if checked % 10 == 0:  # the loop that calls the class (any other token class)
                slow = called(text, seq)
                assert [dataclasses.astuple(t) for t in slow[0]] == [dataclasses.astuple(t) for t in want[0]]
                assert slow[1] == want[1]
            checked += 1
            toks += len(want[0])
    # with ../shared 14,832 and 105,809; without it (no conformance texts) 14,272 and fewer
    assert checked > 14_000 and toks > 90_000


def _glued_codes(n: int = 4000, seed: int = 53) -> list[str]:
    """Chunks of glued digits, words and marks: codes, dates, times, phone numbers, units."""
    import random

    pool = ["AT", "NE", "ON", "h", "H", "de", "MW", "k", "mil", "dez", "kV", "x", "3", "03", "12", "1800",
            "2024", "2199", "13", "4.000", "1,5", "-", "/", ".", "_", ":", "+", "%", "(", ")", ",", "'"]
    rnd = random.Random(seed)
    # the shortest forms each of `Scanner._chunk_is_whole`'s regexes accepts, and one more
    edges = ["2024-3", "2024/3", "3/2024", "12/2024", "(2024-3)", "2024-3.", "1-2-3", "1/2/3", "1-2/3",
             "9h30", "9:30", "+5-1", "2199-12", "1799-1", "2024-13", "2024-03-", "x2024-3",
             # a join needs a decimal digit on each side, any script's (as `\d`); "+" needs none
             "٢٠٢٤-٣", "٣/٢٠٢٤", "९h३०", "1٢/2024", "AB-12/2024", "12/2024-AB", "x+5-1", "(+5-1)",
             "2024-x3", "9h-30", "9:h30", "12//2024", "1-/2-3"]
    return edges + [" ".join("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 6)))
                             for _ in range(rnd.randint(1, 4))) for _ in range(n)]


@pytest.mark.skipif(not compiled_status().uses("_rawscan"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_pass2_blocks_what_the_python_loop_blocks():
    from entrec.engine.inequality.scanner import Scanner
    from entrec.engine.textfold import fold

    from .test_scanner_fast_path import _texts as salads

    ext = InequalityExtractor.load()
    texts = _glued_codes() + [t for t, _ in salads(3000, seed=43)]
    texts += [t for t, _ in _generated(600) + _conformance()]
    checked = blocked = 0
    for lang, lex in ext.lexicons.items():
        sc = Scanner(lex)
        for text in texts:
            want, nums, _, _ = _reference_raws(sc, text)
            if not nums:
                continue
            flags = [r.blocked for r in want]
            assert [r.blocked for r in sc._raw(text, fold(text))] == flags, (lang, text)
            checked += 1
            blocked += sum(flags)
    # with ../shared 12,852 texts and 18,192 blocked runs; without it fewer. A pass 2 that
    # skips the regexes for chunks with "h" or "+" differs on 248 of them, one that asks them
    # of one-separator chunks from 7 characters on (not 6) on 6, one blind to "-" on 16
    assert checked > 12_000 and blocked > 15_000


def _context_numbers(n: int = 3000, seed: int = 61) -> list[str]:
    """Numbers among the refine pass's context words: dates, years, clock times, identifiers,
    changes, glued unit symbols, duplicates in parentheses and commas around comparators."""
    import random

    pool = ["15 de março", "março de 2021", "1º de julho", "January 1, 2016", "a partir de 2026",
            "até 2030", "2018-2019", "de 2015 a 2020", "das 9 às 14 horas", "1200 hrs", "0930 hrs",
            "itens 4.2 a 4.9", "lote 3", "os lotes de 10 a 13", "nº 5", "0976", "passar de 60 para 80 MW",
            "de 10 para 20", "80 (oitenta) horas", "2.000 MW (dois mil megawatts)", "30 dias (trinta dias)",
            "100 MW (cem MW)", "5 kV (5 V)", "2.000 MW (dois mil)", "30 (trinta dias)", "ou menos",
            "trinta segundos, no mínimo", "no máximo, 2 minutos", "barras entre 10 e 20 kV",
            "artigos 5º a 10º", "lotes de 10 a 13 MW", "230 kV e acima", "e abaixo de",
            "80A", "5 V", "10 kV", "entre", "mais de", "até", "e", "a", "de", ",", "(", ")", "20", "1999",
            "2100", "º", "°", "x", "horas", "h", "MW", "menor que", "superior a", "2 mil", "em", "%"]
    # what each regex the compiled loop asks only after a C test needs first: ordinal marks
    # and "de"/"of" before a month, every alternative of the clock pattern
    edges = ["1 o de março", "2 º de julho", "3 ª de maio", "4 ° de junho", "5 . de abril", "6 de\tjaneiro",
             "7 of january", "8 jan", "9 dezembro", "10 dec", "at 5 o'clock", "at 5 h", "at 5 h30",
             "at 5 hs", "at 5 hour", "at 5 hours", "at 5 :30", "at 5 hrs", "às 9 horas", "das 9 h",
             "até às 10 hora", "from 9\u2003o'clock", "1999 x", "a partir de 2026", "até 2030 MW"]
    rnd = random.Random(seed)
    return edges + [" ".join(rnd.choice(pool) for _ in range(rnd.randint(1, 9))) for _ in range(n)]


@pytest.mark.skipif(not compiled_status().uses("_refineloop"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_refine_equals_the_python_loop():
    from entrec.engine.inequality import refine
    from entrec.engine.inequality.scanner import Scanner
    from entrec.engine.textfold import fold

    from .test_scanner_fast_path import _texts as salads

    ext = InequalityExtractor.load()
    texts = _context_numbers() + [t for t, _ in salads(3000, seed=47)] + _glued_codes(1000)
    texts += [t for t, _ in _generated(600) + _conformance()]
    checked = changed = 0
    for lang, lex in ext.lexicons.items():
        sc, rf = Scanner(lex), refine.Refiner(lex)
        assert rf._run is not refine._refine  # the compiled loop runs
        for text in texts:
            folded = fold(text)
            scanned = sc.scan(text, folded)
            want = refine._refine(rf, text, sc.scan(text, folded), folded)
            got = rf._run(rf, text, sc.scan(text, folded), folded)
            assert got == want, (lang, text)
            checked += 1
            changed += got != scanned
    # with ../shared 15,810 texts, 4,600+ of them changed by refine; without it 15,250 and
    # fewer. A loop whose range joins lack CMPTO and DASH differs on 597 of them; one whose
    # date test forgets the "o" ordinal, or whose clock test forgets "o'clock", on the edges
    assert checked > 15_000 and changed > 4_000


def _gate_texts(lex, n: int = 3000, seed: int = 73) -> list[str]:
    """A month or identifier word, then pieces of the gate regex's tails in any order and
    number, then a number: the regex matches some of these and not others."""
    import random

    rnd = random.Random(seed)
    ctx = lex.context_words
    words = sorted((ctx.get("months") or frozenset()) | (ctx.get("identifier_nouns") or frozenset()))
    pieces = [" ", "  ", "\t", "\u00a0", ".", ",", "de ", "of ", "12", "3", "th", "st", "nd", "rd", "nº",
              "n°", "no", "nos", "entre ", "from ", "between ", "º", "°", "x", "-", "item", "e"]
    out = []
    for _ in range(n):
        w = rnd.choice(words)
        if rnd.random() < 0.3:
            w = w.upper() if rnd.random() < 0.5 else "x" + w  # cased (not folded) or glued
        w = w.replace(" ", rnd.choice([" ", "  ", "\t", " \u00a0"]))  # the regex reads \s+
        tail = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 4)))
        head = "".join(rnd.choice(["a ", "texto ", "", "9", "("]) for _ in range(rnd.randint(0, 2)))
        out.append(head + w + tail + "2024")
    return out


@pytest.mark.skipif(not compiled_status().uses("_refineloop"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_refine_gate_is_false_only_where_the_regex_cannot_match():
    # the C test asked before `before_any` must never say no where the regex would match
    # (that would change the output), and must say no often (else it costs for nothing)
    from entrec.engine.inequality import refine
    from entrec.engine.textfold import fold

    from .test_scanner_fast_path import _texts as salads

    checked = matched = rejected = 0
    for lang, lex in InequalityExtractor.load().lexicons.items():
        rf = refine.Refiner(lex)
        assert rf.gate_trie is not None and rf._run is not refine._refine
        texts = _gate_texts(lex) + _context_numbers(1500) + [t for t, _ in salads(1000, seed=79)]
        for text in texts:
            folded = fold(text)
            for start in range(len(folded) + 1):
                hit = rf.before_any.match(folded[max(0, start - 40):start][::-1]) is not None
                gate = rf._run.gate(folded, start)
                assert gate or not hit, (lang, text, start)
                checked += 1
                matched += hit
                rejected += not gate
    # with ../shared about 320,000 positions, 19,000+ of them matched by the regex; the
    # gate refuses 75% (the regex still runs at the other 25%)
    assert checked > 300_000 and matched > 5_000 and rejected > 0.7 * checked


@pytest.mark.skipif(not compiled_status().uses("_refineloop"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_refine_reads_hhmm_as_the_regex_does():
    # `_HHMM.fullmatch` is answered in C: same answer on every 3- to 5-character string of
    # digits (ASCII and other scripts' decimals, which `\d` matches), near-digits and marks
    import itertools

    from entrec.engine.inequality import _refineloop, refine

    assert all(refine.Refiner(lex)._run.hhmm_in_c for lex in InequalityExtractor.load().lexicons.values())
    chars = "0123456789" + "٣٠९" + "²½¹" + "h:x "
    seen = 0
    for n in (3, 4, 5):
        for combo in itertools.product(chars, repeat=n) if n < 5 else (
                "".join(c) for c in itertools.islice(itertools.product("0125679٣", repeat=5), 5000)):
            raw = "".join(combo)
            assert _refineloop.is_hhmm(raw) == (refine._HHMM.fullmatch(raw) is not None), raw
            seen += _refineloop.is_hhmm(raw)
    assert seen > 1000


def test_refine_gate_tables_refuse_what_a_c_walk_would_misread():
    from entrec.engine.inequality.refine import _gate_tables

    tails = r"(?:\s*+,?\d{1,2})?\s*+\.?"
    tail_chars, trie = _gate_tables(frozenset({"maio", "unidade geradora"}), tails)
    assert trie["o"]["i"]["a"]["m"] == {"": {}} and " " in trie["a"]["r"]["o"]["d"]["a"]["r"]["e"]["g"]
    assert {",", ".", "1", "2"} <= tail_chars
    for words in ({"a  b"}, {" a"}, {"a\u00a0b"}, {""}, set()):
        assert _gate_tables(frozenset(words), tails) == (None, None), words
    for bad_tail in (tails + r"\w", tails + ".", tails + r"\S"):
        assert _gate_tables(frozenset({"maio"}), bad_tail) == (None, None), bad_tail


@pytest.mark.skipif(not compiled_status().uses("_rawscan"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_raw_sequence_owns_exactly_its_references():
    # tokens are made on first read (tp_alloc + set items) and held by the sequence: a
    # missing or extra reference would leak or free them or their strings
    from entrec.engine.inequality import _rawscan
    from entrec.engine.inequality.numbers import RawTok

    sc = InequalityExtractor.load()._scanners["pt"]
    text = "tensão Superior a 4.000 MW"
    seq = sc._raw(text, "tensao superior a 4.000 mw")
    word, table_word, num = seq[0], seq[1], seq[3]
    assert (word.text, word.f) == ("tensão", "tensao") and word.f is not word.text
    assert table_word.f == "superior" and table_word.text == "Superior"
    assert num.f is num.text == "4.000"
    # a word the table holds shares the table's string: every read, every text
    assert sc._raw("superior", "superior")[0].f is table_word.f
    assert sc._raw("superior", "superior")[0].text is table_word.f  # written as folded
    assert sys.getrefcount(word) == 3  # the sequence, `word` and getrefcount's argument
    text_, num_text = word.text, num.text
    held = sys.getrefcount(text_), sys.getrefcount(num_text)
    del seq
    assert sys.getrefcount(word) == 2  # the sequence let it go
    assert (sys.getrefcount(text_), sys.getrefcount(num_text)) == held  # the tokens hold them
    del word, num
    # "tensão": one token's text; "4.000": one token's text and f
    assert (sys.getrefcount(text_), sys.getrefcount(num_text)) == (held[0] - 1, held[1] - 2)
    with pytest.raises(TypeError):
        _rawscan.RawScanner(sc, list, ":", "/", 6, ":/", "+")
    assert RawTok is type(table_word)


@pytest.mark.skipif(not compiled_status().uses("_scanloop"),
                    reason=f"no current compiled build ({compiled_status().reason})")
def test_compiled_pass3_tokens_own_exactly_their_references():
    from entrec.engine.inequality.scanner import Tok

    sc = InequalityExtractor.load()._scanners["pt"]
    toks = sc.scan("superior a 4.000 MW")
    assert [t.type for t in toks] == ["CMP", "NUMBER", "UNIT"] and type(toks[1]) is Tok
    made = [Tok("NUMBER", 11, 16, value=Decimal("4000"))]  # by the class: the count to match
    assert sys.getrefcount(toks[1]) == sys.getrefcount(made[0])
    # the Decimal is held by its token and the parser's memo of digit runs (it is immutable)
    value, unit = toks[1].value, toks[2].op
    assert value is sc.numbers.digits("4.000") and value == 4000
    held = sys.getrefcount(value), sys.getrefcount(unit)
    del toks
    assert (sys.getrefcount(value), sys.getrefcount(unit)) == (held[0] - 1, held[1] - 1)
