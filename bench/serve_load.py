"""Load benchmark of the predictor: HTTP throughput and latency next to in-process `pipe`.

    python bench/serve_load.py [--model DIR|model.tar.gz] [--workers 2] [--seconds 10]
                               [--concurrency 1,4,16] [--soak 300] [--url http://...]

Starts `serve` (the same gunicorn entrypoint SageMaker runs) on a free loopback port unless
--url points at a running one, measures the time until `/ping` is 200, then for each
concurrency level sends single-text JSON requests (~300 characters) over keep-alive
connections for --seconds and reports requests/s, p50 and p99 latency. The baseline is the
engine's in-process `pipe` throughput on the same text, measured in this run. RSS and PSS
of every worker are read from /proc at start and after the run (and after --soak seconds
of constant load, to see whether memory stays flat). Prints a JSON report at the end.

Targets (issue 5): HTTP >= 0.8x in-process, p99 <= 50 ms at 16 concurrent, flat RSS,
ready <= 5 s. The load generator runs in this process (threads), so on a small machine it
competes with the server for CPU; the report says how many CPUs there were.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXT = ("Manobra: a CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV durante a "
        "energização da LT 500 kV Tucuruí / Marabá C1; o disjuntor 52-12 só pode fechar com "
        "frequência acima de 59,5 Hz e carregamento não superior a 800 MW. Informar o ONS e o "
        "COSR-NE se a temperatura passar de 90 °C por mais de 10 min.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(p.name))
    return sorted(out)


def memory(pid: int) -> dict[str, float]:
    """RSS and PSS in MiB (PSS splits pages shared copy-on-write between processes)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def snapshot(master: int | None) -> dict:
    if master is None:
        return {}
    return {"master": memory(master), "workers": [memory(c) for c in children(master)]}


class Client:
    """One keep-alive connection (reconnects when the server closes it)."""

    def __init__(self, url: str):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes) -> int:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("POST", "/invocations", body=body,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return 0


def load(url: str, concurrency: int, seconds: float) -> dict:
    body = json.dumps({"text": TEXT}).encode()
    lat: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        c = Client(url)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                status = c.post(body)
            except OSError:
                status = 0
            lat[i].append(time.perf_counter() - t0)
            if status != 200:
                errors[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    all_lat = sorted(x for xs in lat for x in xs)
    n = len(all_lat)
    return {"concurrency": concurrency, "requests": n, "errors": sum(errors),
            "rps": round(n / elapsed, 1),
            "p50_ms": round(all_lat[n // 2] * 1000, 2) if n else None,
            "p99_ms": round(all_lat[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None}


def in_process(model: str | None, seconds: float) -> dict:
    from entrec.engine import Engine

    eng = Engine.load(model=model)
    eng.extract(TEXT)
    out = {}
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in eng.pipe([TEXT] * 64):
            n += 1
    out["pipe_texts_per_s"] = round(n / (time.perf_counter() - t0), 1)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds / 2:
        eng.extract(TEXT)
        n += 1
    out["extract_texts_per_s"] = round(n / (time.perf_counter() - t0), 1)
    return out


def start(model: str | None, workers: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers),
           "SAGEMAKER_BIND_TO_PORT": str(port),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-m", "entrec.serving.entrypoint", "--host", "127.0.0.1"]
    if model:
        args += ["--model", model]
    t0 = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() - t0 < 180:
        if proc.poll() is not None:
            raise SystemExit("serve exited during start-up")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/ping")
            if c.getresponse().status == 200:
                return proc, url, time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("serve not ready after 180 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model")
    ap.add_argument("--url", help="benchmark a running server instead of starting one")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--soak", type=float, default=0.0,
                    help="extra seconds of load at the highest concurrency, for RSS drift")
    args = ap.parse_args()

    report: dict = {"cpus": os.cpu_count(), "text_chars": len(TEXT), "workers": args.workers}
    proc = None
    if args.url:
        url = args.url
    else:
        proc, url, ready = start(args.model, args.workers)
        report["ready_seconds"] = round(ready, 2)
    try:
        master = proc.pid if proc else None
        report["memory_start"] = snapshot(master)
        report["in_process"] = in_process(args.model, args.seconds)
        report["http"] = [load(url, int(c), args.seconds) for c in args.concurrency.split(",")]
        report["memory_after_run"] = snapshot(master)
        if args.soak:
            report["soak"] = load(url, int(args.concurrency.split(",")[-1]), args.soak)
            report["memory_after_soak"] = snapshot(master)
        base = report["in_process"]["pipe_texts_per_s"]
        best = max(h["rps"] for h in report["http"])
        report["http_vs_in_process"] = round(best / base, 2) if base else None
    finally:
        if proc:
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            report["shutdown_seconds"] = round(time.monotonic() - t0, 2)
    for h in report["http"]:
        print(f"c={h['concurrency']:>3}  {h['rps']:>8.1f} req/s  p50 {h['p50_ms']} ms  "
              f"p99 {h['p99_ms']} ms  errors {h['errors']}", file=sys.stderr)
    print(f"in-process pipe {report['in_process']['pipe_texts_per_s']} texts/s; "
          f"HTTP best / in-process = {report['http_vs_in_process']}", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
