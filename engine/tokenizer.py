"""Tokenizer for operational text: numbers glued to units and comparator symbols split.

Grid procedures write "500MW", "P≤275MW", "V>=500kV", "(M5)". spaCy's default rules keep
those as one token, so token patterns could never see the number or the unit. We add infix
and prefix rules only (never touching characters), so `doc.text == text` and every
character offset stays exact. The rules are regexes on the spaCy tokenizer, which spaCy
serializes with a trained pipeline, so a model trained here tokenizes identically.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, get_lang_class

from .text_guard import make_doc as guarded_make_doc
from .textfold import fold

__all__ = ["make_nlp", "make_doc", "doc_text", "doc_folded", "doc_text_folded", "customize_tokenizer",
           "SUPPORTED_LANGS", "MAX_TEXT_CHARS", "DOC_TEXT_KEY", "DOC_FOLDED_KEY"]

SUPPORTED_LANGS = ("pt", "en")
MAX_TEXT_CHARS = 10_000_000

_COMPARATORS = r"(?:<=|>=|=<|=>|!=|<>|==|[≤≥≠<>=⩽⩾])"
_EXTRA_INFIXES = [
    # a digit followed by a letter/unit/degree: 500MW, 59,5Hz, 95°C, 4.000MW
    r"(?<=[0-9])(?=[A-Za-zµΩ°])",
    # comparator symbols glued on either side: P≤275, V>=500
    _COMPARATORS,
    # a slash between names or numbers: Tucuruí/Marabá, 12/03 stays one token only if
    # digits on both sides (dates), so only split when a letter is involved
    r"(?<=[A-Za-zÀ-ÿ])/(?=[A-Za-zÀ-ÿ0-9])",
    r"(?<=[0-9])/(?=[A-Za-zÀ-ÿ])",
    # en/em dashes between words: Colinas–Miracema
    r"[–—]",
]
_EXTRA_PREFIXES = [_COMPARATORS, r"[–—]"]
_EXTRA_SUFFIXES = [
    # a sentence-final period after a unit, a Roman numeral or a one-letter code part:
    # "500 kV.", "UTE Porto Novo I.", "COSR-S." (while "Sr." and "S.A." stay whole)
    r"(?<=k[VAW])\.", r"(?<=^[IVX])\.", r"(?<=-[A-Z])\.",
    _COMPARATORS, r"[–—]",
]


def _tokenizer(nlp: Language, rules: dict | None, token_match, url_match,  # noqa: ANN001
               faster_heuristics: bool = True) -> Tokenizer:
    """A Tokenizer with the language's affix rules plus entrec's."""
    defaults = nlp.Defaults
    infixes = list(defaults.infixes or []) + _EXTRA_INFIXES
    prefixes = _EXTRA_PREFIXES + list(defaults.prefixes or [])
    suffixes = _EXTRA_SUFFIXES + list(defaults.suffixes or [])
    return Tokenizer(nlp.vocab, rules=rules,
                     prefix_search=compile_prefix_regex(prefixes).search,
                     suffix_search=compile_suffix_regex(suffixes).search,
                     infix_finditer=compile_infix_regex(infixes).finditer,
                     token_match=token_match, url_match=url_match,
                     faster_heuristics=faster_heuristics)


def customize_tokenizer(nlp: Language) -> Language:
    """Install the extra affix rules on `nlp`'s tokenizer (idempotent)."""
    if nlp.meta.get("entrec_tokenizer"):
        return nlp
    old = nlp.tokenizer
    # one new Tokenizer with all three rule sets: each setter on the old one would reload
    # every special case (thousands) again, which dominated start-up
    nlp.tokenizer = _tokenizer(nlp, old.rules, old.token_match, old.url_match, old.faster_heuristics)
    nlp.meta["entrec_tokenizer"] = "1"
    return nlp


def _default_tokenizer(nlp: Language) -> Tokenizer:
    defaults = nlp.Defaults
    return _tokenizer(nlp, defaults.tokenizer_exceptions, defaults.token_match, defaults.url_match)


def make_nlp(lang: str = "pt") -> Language:
    """A blank spaCy pipeline for `lang` with entrec's tokenizer rules.

    Built as `spacy.blank(lang)` + `customize_tokenizer` would be, but with entrec's
    tokenizer from the start: the language's default tokenizer (its affix regexes and
    thousands of special cases) is never built only to be replaced (~45 ms of start-up)."""
    if lang not in SUPPORTED_LANGS:
        from .errors import InputError

        raise InputError(f"unsupported language {lang!r}", code="unsupported-language",
                         hint=f"use one of: {', '.join(SUPPORTED_LANGS)}")
    nlp = get_lang_class(lang)(create_tokenizer=_default_tokenizer)
    nlp.meta["entrec_tokenizer"] = "1"
    # Only the tokenizer runs on our Docs (the model has its own pipeline and limit), so
    # spaCy's 1M-character guard, sized for the parser, is raised to 10M.
    nlp.max_length = MAX_TEXT_CHARS
    return nlp


#: where `make_doc` keeps a Doc's text and `doc_folded` its fold, in `Doc.user_data` (read
#: there directly by the grammar source's per-batch loop)
DOC_TEXT_KEY = "entrec.text"
DOC_FOLDED_KEY = "entrec.folded"


def make_doc(nlp: Language, text: str) -> Doc:
    """Tokenize once (through `text_guard`); the Doc remembers its text, which every source
    reads (spaCy rebuilds `Doc.text` from the tokens on each access, a Python loop per token)."""
    doc = guarded_make_doc(nlp, text)  # linear even for long whitespace-free runs
    doc.user_data[DOC_TEXT_KEY] = text
    return doc


def doc_text(doc: Doc) -> str:
    """`doc.text`, read from where `make_doc` kept it when it can be."""
    text = doc.user_data.get(DOC_TEXT_KEY)
    return text if text is not None else doc.text


def doc_folded(doc: Doc) -> str:
    """`fold(doc_text(doc))`, folded once per Doc: the rule source (phrases, context checks)
    and the grammar both read the folded text, and the first to ask keeps it on the Doc."""
    data = doc.user_data
    folded = data.get(DOC_FOLDED_KEY)
    if folded is None:
        folded = data[DOC_FOLDED_KEY] = fold(doc_text(doc))
    return folded


def doc_text_folded(doc: Doc) -> tuple[str, str]:
    """(`doc_text(doc)`, `doc_folded(doc)`) with one read of the Doc's data: the grammar asks
    for both on every text."""
    data = doc.user_data
    text = data.get(DOC_TEXT_KEY)
    folded = data.get(DOC_FOLDED_KEY)
    if text is None or folded is None:
        return doc_text(doc), doc_folded(doc)
    return text, folded
