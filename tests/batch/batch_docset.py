"""The documents-at-scale fixture set, generated at test time (no binaries in the repo):
a several-page PDF with a line name broken over two printed lines, a DOCX whose limit sits in a
table, a TXT with form-feed pages, a JSON Lines file and a broken PDF."""
from __future__ import annotations

import json
from pathlib import Path

from entrec.documents.pdf_writer import write_pdf

PDF_PAGES = [
    ["IO-ON.NE.2NE - Controle de tensão",
     "Manter a tensão na SE Xingu entre 525 kV e 550 kV.",
     "Em caso de sobrecarga, desligar a LT 500 kV",
     "Presidente Dutra / Teresina II C2 e informar o COSR-NE."],
    ["A geração da UHE Belo Monte não deve ser superior a 4.000 MW",
     "durante a manobra coordenada pelo ONS."],
    ["Página sem entidades: observações gerais do procedimento."],
]
BROKEN_LINE_NAME = "LT 500 kV Presidente Dutra / Teresina II C2"
TXT = ("O CNOS autoriza a energização da SE Campina Grande II.\n"
       "\fManter a frequência acima de 59,5 Hz\ndurante o restabelecimento.\n"
       "\fSem condições nesta página.\n\f")
JSONL = [{"text": "A CHESF deve manter o carregamento abaixo de 800 MW.", "id": "r1"},
         {"text": "Limite: no máximo 230 kV na SE Milagres.", "id": "r2", "lang": "pt"}]


def write_docx(path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.add_heading("Limites operativos", 1)
    doc.add_paragraph("Conforme o Submódulo 10.21, observar os limites da tabela.")
    doc.add_heading("Linhas", 2)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Equipamento"
    table.cell(0, 1).text = "Limite"
    table.cell(1, 0).text = "LT 500 kV Tucuruí / Marabá C1"
    table.cell(1, 1).text = "não superior a 1.200 MW"
    doc.add_paragraph("Após a tabela: acionar a Eletronorte.")
    doc.save(path)
    return path


def write_docset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "procedimento.pdf").write_bytes(write_pdf(PDF_PAGES))
    write_docx(folder / "limites.docx")
    (folder / "notas.txt").write_text(TXT, encoding="utf-8")
    (folder / "textos.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in JSONL), encoding="utf-8")
    (folder / "quebrado.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated")
    return folder
