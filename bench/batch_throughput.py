"""Documents-at-scale throughput: single process vs fork pool vs Spark, and PDF pages/s.

    .venv/bin/python bench/batch_throughput.py [--sentences 10000] [--workers 2]
        [--pdf-pages 200] [--model DIR|default|none]

In one run, on this machine, over the same generated TXT documents (form-feed pages of
grid-operation sentences): sentences/s of `run_batch` in one process, in a fork pool of
`--workers`, and under Spark local[workers] (warm: the session and its Python workers have
already run once), with the ratios pool/single and spark/pool (target: spark >= 0.8x pool).
Then pages/s end to end (read + extract + write Parquet) on a generated `--pdf-pages`-page PDF
in one process (target >= 50 pages/s per core). `--model none` (the default) is the default
engine (rules + grammar: the default engine ships no model, see docs/real-text.md);
`--model default` trains or reuses the `make run` sample model (.cache/default-model).
Spark's fixed cost (~1.5 s per job) weighs on small inputs: compare at 60,000 sentences too.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SUBJECTS = ["SE Xingu", "SE Campina Grande II", "UHE Belo Monte", "UHE Tucuruí", "UTN Angra 2",
            "LT 500 kV Presidente Dutra / Teresina II C2", "LT 230 kV Milagres / Banabuiú C1",
            "o autotransformador AT-03 da SE Marabá", "o disjuntor 52-12"]
AGENTS = ["CHESF", "Eletronorte", "ONS", "o COSR-NE", "o CNOS", "Furnas"]
CONDITIONS = ["entre 525 kV e 550 kV", "superior a 4.000 MW", "abaixo de 59,5 Hz",
              "não superior a 800 MW", "no máximo 230 kV", "acima de 95 %", "inferior a 10 minutos"]
TEMPLATES = ["{a} deve manter {s} com tensão {c}.",
             "Quando a geração de {s} for {c}, {a} deve informar o centro de operação.",
             "Conforme IO-ON.NE.2NE, {a} coordena a manobra de {s} com carregamento {c}.",
             "Desligar {s} se a frequência ficar {c}, conforme o Submódulo 10.21."]


def sentences(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    return [rnd.choice(TEMPLATES).format(s=rnd.choice(SUBJECTS), a=rnd.choice(AGENTS),
                                         c=rnd.choice(CONDITIONS)) for _ in range(n)]


def write_txt_corpus(folder: Path, n: int, per_file: int = 250, per_page: int = 25) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sents = sentences(n)
    for i in range(0, n, per_file):
        chunk = sents[i:i + per_file]
        pages = ["\n\n".join(chunk[j:j + per_page]) for j in range(0, len(chunk), per_page)]
        (folder / f"proc-{i // per_file:04d}.txt").write_text("\f".join(pages) + "\n", encoding="utf-8")
    return folder


def write_pdf_doc(path: Path, pages: int) -> Path:
    from entrec.documents.pdf_writer import write_pdf

    sents = sentences(pages * 12, seed=11)
    lines = []
    for p in range(pages):
        page = []
        for s in sents[p * 12:(p + 1) * 12]:  # printed lines of ~70 characters: hard breaks
            words, line = s.split(), ""
            for w in words:
                if len(line) + len(w) > 70:
                    page.append(line)
                    line = w
                else:
                    line = f"{line} {w}".strip()
            page.append(line)
        lines.append(page)
    path.write_bytes(write_pdf(lines))
    return path


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pdf-pages", type=int, default=200)
    ap.add_argument("--model", default="none", help="DIR, `default` (sample model) or `none` (default engine)")
    ap.add_argument("--skip-spark", action="store_true")
    args = ap.parse_args(argv)

    from entrec.batch import EngineSpec, run_batch

    model = None
    if args.model == "default":
        from entrec.training.default_model import ensure_default_model

        model = str(ensure_default_model(ROOT / ".cache" / "default-model"))
    elif args.model != "none":
        model = args.model
    spec = EngineSpec(model=model)
    print(f"engine: {'model ' + model if model else 'embedded rules + grammar'}")

    with tempfile.TemporaryDirectory(prefix="entrec-bench-") as tmp:
        tmp = Path(tmp)
        corpus = write_txt_corpus(tmp / "txt", args.sentences)
        n = args.sentences
        results = {}
        run_batch([str(corpus)], tmp / "warm", spec, progress=False)  # engine load + caches
        t, m = timed(lambda: run_batch([str(corpus)], tmp / "single", spec, progress=False))
        results["single process"] = t
        entities = m.manifest["counts"]["entities"]
        t, _ = timed(lambda: run_batch([str(corpus)], tmp / "pool", spec, workers=args.workers,
                                       progress=False))
        results[f"fork pool ({args.workers})"] = t
        if not args.skip_spark:
            from entrec.batch.spark import spark_session

            spark = spark_session(f"local[{args.workers}]", app_name="entrec-bench")
            spark.sparkContext.setLogLevel("ERROR")
            try:
                run_batch([str(corpus)], tmp / "spark-warm", spec, spark=spark, progress=False)
                t, _ = timed(lambda: run_batch([str(corpus)], tmp / "spark", spec, spark=spark,
                                               progress=False))
                results[f"spark local[{args.workers}] warm"] = t
            finally:
                spark.stop()
        print(f"\n{n:,} sentences in {len(list(corpus.iterdir()))} TXT documents, "
              f"{entities:,} entities")
        print(f"{'runner':<28}{'seconds':>10}{'sentences/s':>14}")
        for name, t in results.items():
            print(f"{name:<28}{t:>10.2f}{n / t:>14,.0f}")
        single = results["single process"]
        pool = results[f"fork pool ({args.workers})"]
        print(f"\nfork pool / single: {single / pool:.2f}x")
        if not args.skip_spark:
            sp = results[f"spark local[{args.workers}] warm"]
            print(f"spark / fork pool:  {pool / sp:.2f}x  (target >= 0.8)")

        pdf = write_pdf_doc(tmp / "procedimento.pdf", args.pdf_pages)
        t, m = timed(lambda: run_batch([str(pdf)], tmp / "pdf", spec, progress=False, reuse=False))
        pages = m.manifest["counts"]["units"]
        from entrec.documents import read_document

        data = pdf.read_bytes()
        t_read, units = timed(lambda: read_document(data, str(pdf)))
        print(f"\nPDF end to end (1 process): {pages} pages in {t:.2f} s = {pages / t:,.0f} pages/s "
              f"per core (target >= 50), {m.manifest['counts']['entities']:,} entities")
        print(f"  of which text extraction (pypdfium2 + normalisation): {len(units) / t_read:,.0f} pages/s; "
              f"the rest is the engine and the Parquet writer")
        import os

        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
