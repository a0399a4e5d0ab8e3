"""moto's server, standalone on loopback, with the SageMaker UpdateEndpoint it lacks.

    python tests/glue/sagemaker_standin.py --control DIR [--port 0]

Prints `READY http://127.0.0.1:<port>` once it serves. moto 5.x has no UpdateEndpoint; this
process registers one in its own SageMaker responder, so `entrec deploy` and the retraining
job exercise update and rollback over plain HTTP, exactly as against AWS (nothing in the
client is patched). The outcome of each update is scripted per target config name through
`DIR/outcomes.json` ({"<config>": "ok" | "failed" | "auto-rollback" | "stuck"}, read at
every UpdateEndpoint; `"_polls_updating": N` sets how many DescribeEndpoint calls see
"Updating" first), and every accepted update is appended to `DIR/calls.jsonl`.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

FAILURE = ("The primary container for production variant AllTraffic did not pass the ping "
           "health check.")


def install(control: Path) -> None:
    """Add UpdateEndpoint (and the state machine DescribeEndpoint advances) to moto."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    pending: dict[str, dict] = {}
    lock = threading.Lock()
    original_describe = SageMakerResponse.describe_endpoint

    def script() -> dict:
        f = control / "outcomes.json"
        return json.loads(f.read_text()) if f.is_file() else {}

    def tick(backend, name: str) -> None:
        p = pending.get(name)
        if not p:
            return
        ep = backend.endpoints[name]
        if p["polls"] > 0:
            p["polls"] -= 1
            return
        if p["outcome"] == "stuck":
            return
        del pending[name]
        if p["outcome"] == "ok":
            ep.endpoint_config_name, ep.endpoint_status, ep.failure_reason = (
                p["target"], "InService", None)
        elif p["outcome"] == "failed":
            ep.endpoint_config_name, ep.endpoint_status, ep.failure_reason = (
                p["target"], "Failed", FAILURE)
        elif p["outcome"] == "auto-rollback":
            ep.endpoint_status = "InService"
            ep.failure_reason = "Update failed: health check; rolled back to previous config"

    def update_endpoint(self):
        name = self._get_param("EndpointName")
        target = self._get_param("EndpointConfigName")
        backend = self.sagemaker_backend
        with lock:
            if name not in backend.endpoints:
                raise ValidationError(message=f"Could not find endpoint '{name}'.")
            backend.describe_endpoint_config(target)  # raises when the config is missing
            ep = backend.endpoints[name]
            if ep.endpoint_status not in ("InService", "Failed"):
                raise ValidationError(message=f"Cannot update in-progress endpoint '{ep.arn}'.")
            s = script()
            with open(control / "calls.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps([name, target]) + "\n")
            ep.endpoint_status = "Updating"
            pending[name] = {"target": target, "polls": int(s.get("_polls_updating", 1)),
                             "outcome": s.get(target, "ok")}
        return json.dumps({"EndpointArn": ep.arn})

    def describe_endpoint(self):
        name = self._get_param("EndpointName")
        with lock:
            if name in self.sagemaker_backend.endpoints:
                tick(self.sagemaker_backend, name)
        return original_describe(self)

    SageMakerResponse.update_endpoint = update_endpoint
    SageMakerResponse.describe_endpoint = describe_endpoint


def main(argv: list[str] | None = None) -> int:
    import logging

    from moto.server import ThreadedMotoServer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--control", required=True, type=Path)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    args.control.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    install(args.control)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"READY http://{host}:{port}", flush=True)
    try:
        sys.stdin.read()  # serve until the parent closes our stdin (or kills us)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
