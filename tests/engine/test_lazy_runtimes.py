"""Each language's pipeline is built on the first text in that language, once."""
from __future__ import annotations

import threading

from entrec.engine import Engine


def test_pipeline_built_on_first_text_of_its_language():
    eng = Engine.load(components=("rules",))
    assert eng.runtimes.built() == ()
    assert eng.extract("na SE Xingu") and eng.runtimes.built() == ("pt",)
    assert eng.extract("the Xingu-Estreito 800 kV transmission line", lang="en") and set(eng.runtimes.built()) == {"pt", "en"}
    assert eng.languages == ("pt", "en")


def test_subset_shares_pipelines_and_stays_lazy():
    eng = Engine.load()
    grammar = eng.subset(("grammar",))
    assert grammar.runtimes.built() == ()
    assert [e.label for e in grammar.extract("acima de 500 MW na SE Xingu")] == ["INEQUALITY"]
    assert grammar.runtimes["pt"].nlp is eng.runtimes["pt"].nlp


def test_concurrent_first_use_builds_one_pipeline():
    eng = Engine.load(components=("rules",))
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(eng.runtimes["pt"].nlp)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(n) for n in seen}) == 1


def test_warm_builds_the_asked_languages_now():
    eng = Engine.load(components=("rules",))
    assert eng.warm(["en"]).runtimes.built() == ("en",)
    assert set(eng.warm().runtimes.built()) == {"pt", "en"}
