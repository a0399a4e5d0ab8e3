"""Load benchmark of the predictor: HTTP latency, where it goes, next to in-process `pipe`.

    python bench/serve_load.py [--model DIR|model.tar.gz] [--workers 2] [--threads 8]
                               [--seconds 60] [--concurrency 1,4,16] [--soak 300] [--url http://...]

Starts `serve` (the same gunicorn entrypoint SageMaker runs) on a free loopback port unless
--url points at a running one, measures the time until `/ping` is 200, then for each
concurrency level runs that many closed-loop clients, each in its own process on one
keep-alive connection, sending single-text JSON requests (310 characters, ~60 words; `--words 30`: the issue's ~30)
for --seconds, and reports requests/s and latency percentiles.

Where the p99 goes (issue 15): every response carries `Server-Timing` (read+parse, engine,
render, and app = the whole Flask app with its hooks); latency minus app is `queue+http`
(accept, gunicorn's poller and thread pool, the GIL shared with other requests in flight,
HTTP, and the client's own wake-up). A `/ping` run at the top concurrency gives the floor
of that part without engine work.

The load generator shares the CPU with the server, and the report says how much: the
clients are separate processes speaking raw HTTP/1.1 (no shared GIL, a fraction of
`http.client`'s CPU), and each level prints the CPU per request of the server's workers
(from /proc) and of the load generator, and how many cores each kept busy.

Baselines measured in the same run: the engine's in-process `pipe` and `extract`
throughput on the same text (their ratio says whether micro-batching single-text requests
into `pipe` could pay), and the stdlib `json` vs `orjson` encoding of the response.
The machine's load average is printed before and after (the CPU may be shared). RSS and PSS
of every worker are read from /proc at start and after the run (and after --soak).

Targets (issues 5 and 15): p99 <= 50 ms at 16 concurrent for single texts, 0 errors,
`/ping` ready <= 2 s.
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
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXT = ("Manobra: a CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV durante a "
        "energização da LT 500 kV Tucuruí / Marabá C1; o disjuntor 52-12 só pode fechar com "
        "frequência acima de 59,5 Hz e carregamento não superior a 800 MW. Informar o ONS e o "
        "COSR-NE se a temperatura passar de 90 °C por mais de 10 min.")
#: the issue's "single ~30-word text" (`--words 30`); TEXT (310 characters, ~60 words) is the default
TEXT_30 = ("A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV durante a energização "
           "da LT 500 kV Tucuruí / Marabá C1, com frequência acima de 59,5 Hz.")



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


def _request(host: str, port: int, path: str, body: bytes | None) -> bytes:
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class RawClient:
    """One keep-alive connection speaking just enough HTTP/1.1 (pre-built request bytes,
    Content-Length framed responses): a fraction of `http.client`'s CPU per request, so
    the load generator takes less of the CPU it shares with the server."""

    def __init__(self, host: str, port: int, request: bytes):
        self.addr = (host, port)
        self.request = request
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.addr, timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        return sock

    def send(self) -> tuple[int, str]:
        """(status, Server-Timing header) of one request; reconnects once if the server
        closed the connection."""
        for attempt in (0, 1):
            if self.sock is None:
                self.sock = self._connect()
            try:
                self.sock.sendall(self.request)
                return self._response()
            except OSError:
                self.sock.close()
                self.sock = None
                if attempt:
                    raise
        return 0, ""

    def _response(self) -> tuple[int, str]:
        sock, buf = self.sock, self.buf
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("closed")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, timing, close = 0, "", False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "server-timing":
                timing = value.strip()
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("closed")
            rest += chunk
        self.buf = rest[length:]
        if close:
            sock.close()
            self.sock = None
        return status, timing


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


def _client_process(host: str, port: int, request: bytes, start_at: float, stop_at: float,
                    out: Any) -> None:
    """One closed-loop client (its own process: no GIL shared with the other clients, so a
    response is read as soon as it arrives). Sends back latencies, Server-Timing parts,
    errors and its own CPU time."""
    c = RawClient(host, port, request)
    lat: list[float] = []
    parts: list[dict[str, float] | None] = []  # per request, None without Server-Timing
    sent: list[float] = []  # per request, perf_counter when it was sent
    errors = 0
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu0 = time.process_time()
    began = time.perf_counter()
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        try:
            status, timing = c.send()
        except OSError:
            status, timing = 0, ""
        lat.append((time.perf_counter() - t0) * 1000)
        sent.append(t0)
        if status != 200:
            errors += 1
        parts.append(server_timing(timing) if status == 200 and timing else None)
    slowest = max(range(len(lat)), key=lat.__getitem__, default=None)
    worst = None if slowest is None else {  # where the slowest request of this client went
        "ms": round(lat[slowest], 2), "at_s": round(sent[slowest] - began, 2),
        "app_ms": (parts[slowest] or {}).get("app"), "nth": slowest}
    out.send((lat, parts, errors, time.process_time() - cpu0, worst))
    out.close()


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of `pids` (the server's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def load(url: str, concurrency: int, seconds: float, path: str = "/invocations",
         server_pids: list[int] | None = None) -> dict:
    """`concurrency` closed-loop clients, each in its own process on one keep-alive
    connection, for `seconds`. Reports latency percentiles, the server-side parts
    (Server-Timing: read, engine, render, app = all of the app) and `queue+http` = latency
    minus app (accept, gunicorn's poller and thread pool, the GIL, HTTP and the client's own
    wake-up), plus the CPU both sides used per request."""
    import multiprocessing as mp

    u = urllib.parse.urlsplit(url)
    body = json.dumps({"text": TEXT}).encode() if path == "/invocations" else None
    request = _request(u.hostname, u.port, path, body)
    ctx = mp.get_context("fork")
    start_at = time.monotonic() + 0.5 + 0.02 * concurrency
    stop_at = start_at + seconds
    pipes, procs = [], []
    for _ in range(concurrency):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_client_process, args=(u.hostname, u.port, request, start_at, stop_at, send))
        p.start()
        pipes.append(recv)
        procs.append(p)
    while time.monotonic() < start_at:
        time.sleep(0.001)
    server_cpu0 = _cpu_seconds(server_pids or [])
    results = [r.recv() for r in pipes]
    server_cpu = _cpu_seconds(server_pids or []) - server_cpu0
    for p in procs:
        p.join()
    all_lat = sorted(x for lat, _, _, _, _ in results for x in lat)
    flat = [{**p, "queue+http": max(0.0, x - p.get("app", 0.0))}
            for lat, ps, _, _, _ in results for x, p in zip(lat, ps) if p]
    n = len(all_lat)
    client_cpu = sum(c for _, _, _, c, _ in results)
    # the slowest request overall: when it was sent (seconds into the run, its client's
    # how-many-th) and how much of it the app took (the rest: queueing, HTTP, scheduling)
    slowest = max((w for *_, w in results if w), key=lambda w: w["ms"], default=None)
    breakdown = {k: {"p50_ms": pct([p.get(k, 0.0) for p in flat], 0.5),
                     "p99_ms": pct([p.get(k, 0.0) for p in flat], 0.99)}
                 for k in ("read", "engine", "render", "app", "queue+http")}
    return {"path": path, "concurrency": concurrency, "requests": n,
            "errors": sum(e for _, _, e, _, _ in results), "rps": round(n / seconds, 1),
            "p50_ms": pct(all_lat, 0.5), "p90_ms": pct(all_lat, 0.9), "p99_ms": pct(all_lat, 0.99),
            "max_ms": round(all_lat[-1], 2) if n else None, "slowest": slowest,
            "breakdown": breakdown,
            "cpu_ms_per_request": {"server": round(server_cpu / n * 1000, 3) if n and server_pids else None,
                                   "client": round(client_cpu / n * 1000, 3) if n else None},
            "client_cores": round(client_cpu / seconds, 2), "server_cores":
                round(server_cpu / seconds, 2) if server_pids else None}


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


def start(model: str | None, workers: int | None, threads: int | None,
          switch_ms: float | None = None) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, **({"SAGEMAKER_MODEL_SERVER_WORKERS": str(workers)} if workers else {}),
           **({"ENTREC_THREADS": str(threads)} if threads else {}),
           **({"ENTREC_SWITCH_INTERVAL_MS": str(switch_ms)} if switch_ms else {}),
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
    ap.add_argument("--workers", type=int, help="gunicorn workers (default: serve's own default)")
    ap.add_argument("--threads", type=int, help="request threads per worker (default: serve's own)")
    ap.add_argument("--switch-ms", type=float, help="ENTREC_SWITCH_INTERVAL_MS for the workers")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--words", type=int, choices=(30, 60), default=60,
                    help="text of each request: the ~60-word paragraph (default) or the issue's ~30 words")
    ap.add_argument("--no-baselines", action="store_true",
                    help="skip the in-process and encoder baselines (quick comparisons of settings)")
    ap.add_argument("--soak", type=float, default=0.0,
                    help="extra seconds of load at the highest concurrency, for RSS drift")
    args = ap.parse_args()
    global TEXT
    if args.words == 30:
        TEXT = TEXT_30

    report: dict = {"cpus": os.cpu_count(), "text_chars": len(TEXT), "text_words": len(TEXT.split()),
                    "workers": args.workers, "threads": args.threads, "loadavg_start": loadavg()}
    proc = None
    if args.url:
        url = args.url
    else:
        proc, url, ready = start(args.model, args.workers, args.threads, args.switch_ms)
        report["ready_seconds"] = round(ready, 2)
    try:
        master = proc.pid if proc else None
        if master:
            from entrec.serving.gunicorn_conf import THREADS_DEFAULT

            # /ping answers as soon as one worker is up: wait for the others (count stable)
            seen, stable_since, t0 = children(master), time.monotonic(), time.monotonic()
            while time.monotonic() - stable_since < 1.0 and time.monotonic() - t0 < 20:
                time.sleep(0.1)
                now = children(master)
                if now != seen:
                    seen, stable_since = now, time.monotonic()
            report["workers"] = len(seen)
            report["threads"] = args.threads or THREADS_DEFAULT
            report["switch_ms"] = args.switch_ms or sys.getswitchinterval() * 1000
        report["memory_start"] = snapshot(master)
        if not args.no_baselines:
            report["in_process"] = in_process(args.model, min(args.seconds, 10.0))
            report["encoders"] = encoders(args.model)
        workers = children(master) if master else []
        top = int(args.concurrency.split(",")[-1])
        # the floor: the same clients on `/ping` (HTTP, gunicorn and queueing, no engine)
        report["ping_floor"] = load(url, top, min(args.seconds, 10.0), path="/ping", server_pids=workers)
        report["http"] = [load(url, int(c), args.seconds, server_pids=workers)
                          for c in args.concurrency.split(",")]
        report["memory_after_run"] = snapshot(master)
        if args.soak:
            report["soak"] = load(url, top, args.soak, server_pids=workers)
            report["memory_after_soak"] = snapshot(master)
        report["loadavg_end"] = loadavg()
        if not args.no_baselines:
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
          f"{report['cpus']} CPUs; {report['workers']} workers x {report['threads']} threads "
          f"(GIL switch interval {report.get('switch_ms')} ms); "
          f"ready in {report.get('ready_seconds')} s", file=sys.stderr)
    f = report["ping_floor"]
    print(f"/ping floor c={f['concurrency']}: {f['rps']:.1f} req/s p50 {f['p50_ms']} ms p99 "
          f"{f['p99_ms']} ms (HTTP + gunicorn + queueing, no engine)", file=sys.stderr)
    for h in report["http"]:
        b, cpu = h["breakdown"], h["cpu_ms_per_request"]
        print(f"c={h['concurrency']:>3}  {h['rps']:>8.1f} req/s  p50 {h['p50_ms']} ms  p90 {h['p90_ms']} ms  "
              f"p99 {h['p99_ms']} ms  max {h['max_ms']} ms  errors {h['errors']}", file=sys.stderr)
        w = h.get("slowest")
        if w:
            print(f"       slowest: {w['ms']} ms, sent {w['at_s']} s into the run (its client's request "
                  f"#{w['nth']}), app {w['app_ms']} ms of it", file=sys.stderr)
        print(f"       p50 / p99 parts (ms): queue+http {b['queue+http']['p50_ms']} / {b['queue+http']['p99_ms']}, "
              f"app {b['app']['p50_ms']} / {b['app']['p99_ms']} (engine {b['engine']['p50_ms']} / "
              f"{b['engine']['p99_ms']}, read+parse {b['read']['p50_ms']} / {b['read']['p99_ms']}, render "
              f"{b['render']['p50_ms']} / {b['render']['p99_ms']})", file=sys.stderr)
        print(f"       CPU per request: server {cpu['server']} ms, load generator {cpu['client']} ms; "
              f"cores busy: server {h['server_cores']}, load generator {h['client_cores']} "
              f"(of {report['cpus']})", file=sys.stderr)
    if args.no_baselines:
        print(json.dumps(report, indent=2))
        return
    ip, enc = report["in_process"], report["encoders"]
    print(f"in-process pipe {ip['pipe_texts_per_s']} texts/s, extract "
          f"{ip['extract_texts_per_s']} texts/s (pipe/extract = {ip['pipe_vs_extract']}); "
          f"HTTP best / in-process pipe = {report['http_vs_in_process']}", file=sys.stderr)
    print(f"response encoding ({enc['entities']} entities): json {enc['json_us']} us, "
          f"orjson {enc.get('orjson_us')} us ({enc.get('orjson_speedup')}x)", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
