"""Load benchmark of the predictor: HTTP latency, where it goes, next to in-process `pipe`.

    python bench/serve_load.py [--model DIR|model.tar.gz] [--workers 2] [--threads 8]
                               [--seconds 60] [--concurrency 1,4,16] [--soak 300] [--url http://...]

Starts `serve` (the same gunicorn entrypoint SageMaker runs) on a free loopback port unless
--url points at a running one, measures the time until `/ping` is 200, then for each
concurrency level sends single-text JSON requests (~300 characters, ~50 words) over
keep-alive connections for --seconds and reports requests/s, p50 and p99 latency.

Where the p99 goes (issue 15 item 5): every response carries `Server-Timing` (read+parse,
engine, render); the client's latency minus their sum is the time spent queueing (accept
backlog, thread pool, GIL) and in HTTP. The report gives p50/p99 of each part.

Baselines measured in the same run: the engine's in-process `pipe` and `extract`
throughput on the same text (their ratio says whether micro-batching single-text requests
into `pipe` could pay), and the stdlib `json` vs `orjson` encoding of the response.
The machine's load average is printed before and after (the CPU may be shared). RSS and PSS
of every worker are read from /proc at start and after the run (and after --soak).

Targets (issues 5 and 15): p99 <= 50 ms at 16 concurrent for single texts, 0 errors,
`/ping` ready <= 2 s. The load generator runs in this process (threads), so on a small
machine it competes with the server for CPU; the report says how many CPUs there were.
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

    def post(self, body: bytes) -> tuple[int, dict[str, float]]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("POST", "/invocations", body=body,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                r.read()
                timing = server_timing(r.getheader("Server-Timing", ""))
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, timing
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return 0, {}


def server_timing(header: str) -> dict[str, float]:
    """`read;dur=0.12, engine;dur=1.3` -> {"read": 0.12, "engine": 1.3} (milliseconds)."""
    out = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        try:
            out[name] = float(rest)
        except ValueError:
            continue
    return out


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(len(v) * q))], 2)


def load(url: str, concurrency: int, seconds: float) -> dict:
    body = json.dumps({"text": TEXT}).encode()
    lat: list[list[float]] = [[] for _ in range(concurrency)]
    parts: list[list[dict[str, float]]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        c = Client(url)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                status, timing = c.post(body)
            except OSError:
                status, timing = 0, {}
            ms = (time.perf_counter() - t0) * 1000
            lat[i].append(ms / 1000)
            if timing:
                app = sum(timing.values())
                parts[i].append({**timing, "app": app, "queue+http": max(0.0, ms - app)})
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
    flat = [p for ps in parts for p in ps]
    breakdown = {k: {"p50_ms": pct([p.get(k, 0.0) for p in flat], 0.5),
                     "p99_ms": pct([p.get(k, 0.0) for p in flat], 0.99)}
                 for k in ("read", "engine", "render", "app", "queue+http")}
    return {"concurrency": concurrency, "requests": n, "errors": sum(errors),
            "rps": round(n / elapsed, 1),
            "p50_ms": round(all_lat[n // 2] * 1000, 2) if n else None,
            "p99_ms": round(all_lat[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
            "breakdown": breakdown}


def encoders(model: str | None, rounds: int = 2000) -> dict:
    """Render the single-text response with the stdlib encoder and with orjson."""
    from entrec.engine import Engine
    from entrec.serving.protocol import combine

    eng = Engine.load(model=model)
    res = combine({"entities": eng.extract(TEXT)}, ("entities",), False)
    body = {**res, "model": {"name": "x", "version": "1"}, "models": ["entities"]}
    out = {"entities": len(res["entities"])}
    t0 = time.perf_counter()
    for _ in range(rounds):
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out["json_us"] = round((time.perf_counter() - t0) / rounds * 1e6, 1)
    try:
        import orjson
    except ImportError:
        return out
    t0 = time.perf_counter()
    for _ in range(rounds):
        orjson.dumps(body)
    out["orjson_us"] = round((time.perf_counter() - t0) / rounds * 1e6, 1)
    out["orjson_speedup"] = round(out["json_us"] / out["orjson_us"], 1)
    return out


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


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
    out["pipe_vs_extract"] = round(out["pipe_texts_per_s"] / out["extract_texts_per_s"], 2)
    return out


def start(model: str | None, workers: int, threads: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers),
           "ENTREC_THREADS": str(threads),
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
    ap.add_argument("--threads", type=int, default=8, help="request threads per worker")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--soak", type=float, default=0.0,
                    help="extra seconds of load at the highest concurrency, for RSS drift")
    args = ap.parse_args()

    report: dict = {"cpus": os.cpu_count(), "text_chars": len(TEXT), "text_words": len(TEXT.split()),
                    "workers": args.workers, "threads": args.threads, "loadavg_start": loadavg()}
    proc = None
    if args.url:
        url = args.url
    else:
        proc, url, ready = start(args.model, args.workers, args.threads)
        report["ready_seconds"] = round(ready, 2)
    try:
        master = proc.pid if proc else None
        report["memory_start"] = snapshot(master)
        report["in_process"] = in_process(args.model, min(args.seconds, 10.0))
        report["encoders"] = encoders(args.model)
        report["http"] = [load(url, int(c), args.seconds) for c in args.concurrency.split(",")]
        report["memory_after_run"] = snapshot(master)
        if args.soak:
            report["soak"] = load(url, int(args.concurrency.split(",")[-1]), args.soak)
            report["memory_after_soak"] = snapshot(master)
        report["loadavg_end"] = loadavg()
        base = report["in_process"]["pipe_texts_per_s"]
        best = max(h["rps"] for h in report["http"])
        report["http_vs_in_process"] = round(best / base, 2) if base else None
    finally:
        if proc:
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            report["shutdown_seconds"] = round(time.monotonic() - t0, 2)
    print(f"load average before {report['loadavg_start']} after {report.get('loadavg_end')}; "
          f"{report['cpus']} CPUs; {args.workers} workers x {args.threads} threads; "
          f"ready in {report.get('ready_seconds')} s", file=sys.stderr)
    for h in report["http"]:
        b = h["breakdown"]
        print(f"c={h['concurrency']:>3}  {h['rps']:>8.1f} req/s  p50 {h['p50_ms']} ms  "
              f"p99 {h['p99_ms']} ms  errors {h['errors']}  | p99 parts: queue+http "
              f"{b['queue+http']['p99_ms']} ms, engine {b['engine']['p99_ms']} ms, "
              f"render {b['render']['p99_ms']} ms, read {b['read']['p99_ms']} ms",
              file=sys.stderr)
    ip, enc = report["in_process"], report["encoders"]
    print(f"in-process pipe {ip['pipe_texts_per_s']} texts/s, extract "
          f"{ip['extract_texts_per_s']} texts/s (pipe/extract = {ip['pipe_vs_extract']}); "
          f"HTTP best / in-process pipe = {report['http_vs_in_process']}", file=sys.stderr)
    print(f"response encoding ({enc['entities']} entities): json {enc['json_us']} us, "
          f"orjson {enc.get('orjson_us')} us ({enc.get('orjson_speedup')}x)", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
