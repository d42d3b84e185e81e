"""The local cloud's AWS API: moto's server, run by our own launcher.

    python -m mlops.local.server --port 4566 [--host localhost] [--quiet]

moto serves every AWS service from one WSGI app (`DomainDispatcherApplication`). We run that
app in *this* process rather than through `moto_server`, so that `install_plugins()` can
change moto's behaviour before the first request: everything a plugin patches is then seen
by every client (boto3, the AWS CLI, the CDK CLI, the `mlops` CLI) and by moto's own
Step Functions interpreter, which calls back into this server at `localhost:$MOTO_PORT`.

SIGTERM and SIGINT shut the server down cleanly (in-flight requests finish).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

DEFAULT_HOST = "localhost"

#: moto's default account; the CDK CLI learns it from STS GetCallerIdentity.
LOCAL_ACCOUNT = "123456789012"

log = logging.getLogger("mlops.local.server")


def install_plugins(endpoint_url: str) -> None:
    """Load our extensions of moto into this process, before the server takes requests.

    Called once by `serve()`. Installs `mlops.local.plugins` (CloudFormation gaps, event
    routing, Lambda handlers run for real, SageMaker training/processing jobs run for real,
    also as Step Functions `.sync` tasks) and switches Step Functions executions onto moto's
    ASL interpreter. SageMaker endpoints host real model servers and CloudWatch alarms are
    evaluated (`plugins.endpoints`, `plugins.alarms`).
    """
    from moto.core.config import default_user_config

    from mlops.local import plugins

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    plugins.install(endpoint_url)


def _wsgi_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from mlops.local import faults
    from mlops.local.plugins import endpoints, scheduler

    # `/_mlops/faults`: injected API faults (mlops.local.faults); `/_mlops/scheduler/tick`: fire
    # the schedules now (plugins/scheduler.py); `/_mlops/endpoints`: the local endpoints' model
    # servers (plugins/endpoints.py); everything else is moto
    app = faults.middleware(DomainDispatcherApplication(create_backend_app))
    return endpoints.middleware(scheduler.middleware(app))


def serve(host: str = DEFAULT_HOST, port: int = 4566, *, quiet: bool = False) -> None:
    """Serve the AWS API on host:port until SIGTERM or SIGINT."""
    # moto's Step Functions interpreter and a few other services call back into the server
    # on this port; it must be set before moto reads it.
    os.environ["MOTO_PORT"] = str(port)
    # Requests made inside the server process (plugins, moto calling itself) must never
    # reach a real AWS account.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    install_plugins(f"http://{DEFAULT_HOST if host in {'0.0.0.0', '::'} else host}:{port}")  # noqa: S104

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING if quiet else logging.INFO)
    server = make_server(host, port, _wsgi_app(), threaded=True, request_handler=MotoRequestHandler)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        # shutdown() waits for serve_forever() to return, so it must not run on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("moto server on http://%s:%s (pid %s)", host, port, os.getpid())
    try:
        server.serve_forever()
    finally:
        server.server_close()
        from mlops.local import plugins

        plugins.shutdown()  # model servers stop with the server (they also exit when it dies)
        log.info("stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlops.local.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.host, args.port, quiet=args.quiet)


if __name__ == "__main__":
    main()
