"""`entrec serve`: the SageMaker predictor on this machine (same gunicorn server as `serve`)."""
from __future__ import annotations

import argparse

NAME = "serve"
HELP = "run the predictor (SageMaker /ping, /invocations) locally with gunicorn"
DESCRIPTION = ("Run the SageMaker-compatible predictor locally: the model is loaded and verified "
               "once, then gunicorn serves /ping, /invocations and /execution-parameters. Without "
               "--model it serves the embedded default engine. --local-runtime adds "
               "POST /endpoints/<name>/invocations for boto3's sagemaker-runtime client.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from entrec.serving.entrypoint import add_server_arguments

    add_server_arguments(parser, default_host="127.0.0.1")


def run(args: argparse.Namespace) -> int:
    from entrec.serving.entrypoint import run_server

    return run_server(model=args.model, host=args.host, port=args.port, workers=args.workers,
                      timeout=args.timeout, local_runtime=args.local_runtime,
                      model_from_env=False)
