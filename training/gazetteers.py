"""Build the default pack's phrase lists from the open-data gazetteers (ONS, ANEEL).

    python -m entrec.training.gazetteers ../shared/data/gazetteers rules/pt

Why generated files: the gazetteers are upper-case registry names ("AFLUENTE GERAÇÃO DE
ENERGIA ELÉTRICA S.A"), while text writes "Afluente Geração de Energia Elétrica S.A.";
the lists the engine loads carry the written variants (corporate suffix spellings, the name
without its suffix), so matching stays a folded-word lookup with no runtime normalisation.
Output files are ordinary `phrase,id,aliases` CSVs (rules/README.md), reviewed in git like
any hand-written list; rerun this module when the gazetteers change.

Filters (each keeps precision on running text):
- legal names: the name with and without the corporate suffix; without it only when at
  least two words remain ("Light S.A." must not make "light" an agent);
- ONS short names ("CHESF", "IE MADEIRA", "MANAUS TR"): case-sensitive list of acronyms and
  multi-word names; single words that are also substation or plant names ("FORMOSA",
  "DOURADOS") are left out, they are places in running text;
- plants (`usinas.csv`): operating/under-construction plants of the grid's types with a
  name of at least four letters, written "<TYPE> <Name>" ("UHE Aimorés", "EOL Ventos do
  Norte 12"), for all-caps and abbreviated forms the patterns cannot read.
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from entrec.engine.textfold import fold, slug

__all__ = ["legal_name_rows", "ons_short_name_rows", "plant_rows", "write_lists", "main"]

_SUFFIX = re.compile(
    r"\s*(?:[-–]\s*)?\b(?:S\s?[./]?\s?A\.?|S/A|LTDA\.?|Ltda\.?|EIRELI|ME|EPP)\s*(?:[-–].*)?$",
    re.IGNORECASE)
_SA_FORMS = ("S.A.", "S.A", "S/A", "SA", "S. A.")
_LTDA_FORMS = ("Ltda.", "Ltda")
_HEADER = "phrase,id,aliases"
#: place words that are ONS agent short names but mostly places or ordinary words in text
_COMMON = {"ACRE", "ARGO", "BRE", "CEP", "DUNAS", "ESTE", "ETC", "FORMOSA", "GUAIRA",
           "ITE", "LAT", "LEST", "LTC", "GTE", "ETB", "BSE", "CGI", "DAIA", "ETES",
           # single-word short names that are (mostly) places or ordinary words in text
           "ARARAQUARA", "ARCOVERDE", "ATLANTICO", "BORBOREMA", "CANTAREIRA", "GUANABARA",
           "ITABAPOANA", "ITAMARACA", "JALAPÃO", "JANAÚBA", "MARANHENSE", "SERTANEJA", "TANGARÁ",
           "ANANAÍ", "OURILANDIA", "EXPANSION", "SIMOES", "ITATIM", "TROPICÁLIA", "UIRAPURU"}
_PLANT_TYPES = {"UHE", "UTE", "EOL", "UFV", "PCH", "CGH", "UTN"}


_MARKERS = {"ENERGIA", "ENERGIAS", "TRANSMISSORA", "TRANSMISSAO", "TRANSMISSÃO", "GT", "TR", "GERAÇÃO",
            "GERACAO", "SPE", "RENOVÁVEIS", "RENOVAVEIS", "IE", "EDP", "CPFL", "ENERGISA",
            "NEOENERGIA", "CEMIG", "LIGHT", "EQUATORIAL", "ISA", "TAESA", "ENEL", "EVOLTZ"}


def _marked(words: list[str]) -> bool:
    return any(w in _MARKERS for w in words)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _variants(name: str) -> tuple[str, list[str]]:
    """(name without suffix, every written form) of a legal name."""
    name = " ".join(name.split())
    m = _SUFFIX.search(name)
    if not m:
        return name, [name]
    base = name[:m.start()].rstrip(" ,-–")
    suf = m.group().strip(" -–").upper().replace(" ", "")
    forms = list(_LTDA_FORMS) if suf.startswith("LTDA") else list(_SA_FORMS) if suf.startswith("S") \
        else [m.group().strip()]
    return base, [f"{base} {f}" for f in forms]


def legal_name_rows(agentes: Path) -> list[tuple[str, str, list[str]]]:
    out: dict[str, tuple[str, str, list[str]]] = {}
    for r in _rows(agentes):
        if "ONS" in r.get("source", ""):
            continue
        base, forms = _variants(r["name"])
        if len(base) < 4:
            continue
        cid = slug(base)
        phrases = forms + ([base] if len(base.split()) >= 2 else [])
        key = fold(forms[0])
        if key in out:
            continue
        out[key] = (phrases[0], cid, phrases[1:])
    return sorted(out.values())


def ons_short_name_rows(agentes: Path, subestacoes: Path, usinas: Path) -> list[tuple[str, str, list[str]]]:
    places = {fold(r["name"]) for r in _rows(subestacoes)}
    place_words = {w for p in places for w in p.replace(".", " ").split()}
    places |= {fold(r["name"]) for r in _rows(usinas)}
    out = []
    for r in _rows(agentes):
        if "ONS" not in r.get("source", ""):
            continue
        name = " ".join(r["name"].split())
        words = name.split()
        if len(words) == 1:
            if not re.fullmatch(r"[A-ZÀ-Ý][A-ZÀ-Ý0-9&\-]{2,11}", name) or name in _COMMON \
                    or fold(name) in places:
                continue
        elif (not name.isupper() or fold(name) in places or words[0] in _PLANT_TYPES | {"SE"}
              or (not _marked(words) and all(fold(w) in place_words or re.fullmatch(r"[IVX\d]+", w)
                                             for w in words))):
            continue
        aliases = []
        if len(words) >= 2 and _marked(words):
            title = " ".join(w if len(w) <= 3 or re.fullmatch(r"[IVXL]+", w) else w.capitalize()
                             for w in words)
            if title != name:
                aliases.append(title)
        out.append((name, slug(name), aliases))
    return sorted(out)


def plant_rows(usinas: Path, min_kw: float = 5000.0) -> list[tuple[str, str, list[str]]]:
    out: dict[str, tuple[str, str, list[str]]] = {}
    for r in _rows(usinas):
        typ = r.get("type", "")
        if typ not in _PLANT_TYPES or r.get("phase", "").startswith("Construção não"):
            continue
        try:
            kw = float(r.get("capacity_kw") or 0)
        except ValueError:
            kw = 0.0
        name = " ".join(r["name"].split())
        if kw < min_kw or sum(c.isalpha() for c in name) < 4 or name.isdigit():
            continue
        phrase = f"{typ} {name}"
        key = fold(phrase)
        if key not in out:
            out[key] = (phrase, slug(phrase), [])
    return sorted(out.values())


def _write(path: Path, comment: str, rows: list[tuple[str, str, list[str]]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(_HEADER + "\n")
        fh.write(f"# {comment}\n")
        w = csv.writer(fh, lineterminator="\n")
        for phrase, cid, aliases in rows:
            w.writerow([phrase, cid, "|".join(a for a in aliases if "|" not in a)])


def write_lists(gazetteers: Path, out_dir: Path) -> dict[str, int]:
    g = Path(gazetteers)
    out = Path(out_dir)
    legal = legal_name_rows(g / "agentes.csv")
    ons = ons_short_name_rows(g / "agentes.csv", g / "subestacoes.csv", g / "usinas.csv")
    plants = plant_rows(g / "usinas.csv")
    src = "generated by `python -m entrec.training.gazetteers` from ../shared/data/gazetteers"
    _write(out / "agentes_razao_social.csv",
           f"{src} (ANEEL agentes de geração: legal names, suffix variants)", legal)
    _write(out / "agentes_ons.csv", f"{src} (ONS agent short names; case-sensitive)", ons)
    _write(out / "usinas_aneel.csv", f"{src} (ANEEL SIGA plants >= 5 MW, '<TYPE> <name>')", plants)
    return {"agentes_razao_social.csv": len(legal), "agentes_ons.csv": len(ons),
            "usinas_aneel.csv": len(plants)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m entrec.training.gazetteers GAZETTEER_DIR OUT_DIR", file=sys.stderr)
        return 2
    for name, n in write_lists(Path(args[0]), Path(args[1])).items():
        print(f"{name}: {n} rows")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
