"""Property: any mutation of the default packs gives located diagnostics, never a traceback.

Hypothesis inserts hostile characters and snippets (control characters, brackets, aliases,
bombs, paths, regexes, huge numbers) anywhere in a default-pack file or replaces a value,
then validates the pack. The invariant is the one `entrec validate` promises: no exception,
every error at file:line:col, every message printable. `bench/fuzz_rule_files.py` runs the
same invariant on thousands of cases (and dry-run on a share of them).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entrec.engine.paths import rules_dir
from entrec.engine.rules.loader import check_rule_files

SNIPPETS = [
    "\x00", "\x1b", "\x7f", "\ufffe", "\x85", "\u2028", "\t", "\r", "\n", "[", "]", "{", "}", ":", "- ",
    "&", "*", "!", "|", ">", '"', "'", "#", "%", "@", "`", ",", "? ", "\\", "💥",
    "[" * 500 + "]" * 500, "9" * 5000, "&r [*r]", "*undefined", '"\\ud800"', '"a\\0b"', "2024-13-45",
    "!!python/object/apply:os.system [id]", "[..]", "/dev/zero", "/etc/passwd", "a" * 300,
    "{REGEX: '(x+x+)+y'}", "'(a'", "'/a(?=b)/'", "\nx: &a [1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n",
]
VALUES = ["[..]", "..", "/etc/shadow", "/dev/zero", '"x\\0y"', "a" * 300, "9" * 5000, "&r [*r]",
          "[{TEXT: {REGEX: '(x+x+)+y'}}]", "'(a'", '"\\udc80"', "[" * 300 + "]" * 300, "{}", "[]", "null"]


def _pack_files(lang: str) -> list[str]:
    return sorted(p.name for p in (rules_dir() / lang).iterdir() if p.is_file())


def _check(lang: str, name: str, mutate) -> None:
    with tempfile.TemporaryDirectory(prefix="entrec-prop-") as tmp:
        pack = Path(tmp) / lang
        shutil.copytree(rules_dir() / lang, pack)
        target = pack / name
        target.write_text(mutate(target.read_text(encoding="utf-8")), encoding="utf-8")
        _, diags = check_rule_files([pack])
        for d in diags:
            if d.severity == "error":
                assert d.file and d.line >= 1 and d.column >= 1, d.format()
            d.format().encode("utf-8")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), lang=st.sampled_from(["pt", "en"]),
       snippet=st.one_of(st.sampled_from(SNIPPETS), st.text(min_size=1, max_size=8)),
       where=st.floats(0, 1))
def test_insertions_anywhere_are_located(data, lang, snippet, where):
    name = data.draw(st.sampled_from(_pack_files(lang)))

    def mutate(text: str) -> str:
        pos = int(where * len(text))
        return text[:pos] + snippet.replace("\ud800", "") + text[pos:]

    _check(lang, name, mutate)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), lang=st.sampled_from(["pt", "en"]), value=st.sampled_from(VALUES),
       key=st.sampled_from([None, "include", "phrases_file", "regex", "pattern", "priority"]))
def test_hostile_values_are_located(data, lang, value, key):
    yamls = [n for n in _pack_files(lang) if n.endswith(".yaml")]
    name = data.draw(st.sampled_from(yamls))

    def mutate(text: str) -> str:
        lines = text.split("\n")
        keyed = [i for i, ln in enumerate(lines) if ": " in ln and not ln.lstrip().startswith("#")]
        i = keyed[data.draw(st.integers(0, len(keyed) - 1))]
        k = lines[i].split(": ", 1)[0]
        if key:
            k = k[: len(k) - len(k.lstrip())] + key
        lines[i] = f"{k}: {value}"
        return "\n".join(lines)

    _check(lang, name, mutate)
