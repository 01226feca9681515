"""`unmt serve`: load the runs, build the app, run it on uvicorn until SIGTERM or SIGINT, then exit 0.

uvicorn answers both signals by refusing new connections and finishing the requests in flight; it then raises the
signal again for the handler that was installed before it started. That handler is a no-op here, so a stopped
server exits 0 (what service managers and clusters expect of a clean stop) instead of dying by the signal."""
from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket

from unmt.errors import ConfigError

log = logging.getLogger("unmt")

API_KEY_VARIABLE = "UNMT_API_KEY"


def serve(args) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError('`unmt serve` needs Starlette and uvicorn: pip install -e ".[serve]"') from None
    from unmt.serve.app import create_app
    from unmt.serve.requests import Limits
    from unmt.serve.service import Service, load_runs

    for flag, value in (("--beam", args.beam), ("--max-batch", args.max_batch), ("--max-chars", args.max_chars)):
        if value < 1:
            raise ConfigError(f"{flag} must be at least 1, got {value}")
    if args.client_timeout <= 0:
        raise ConfigError(f"--client-timeout must be positive, got {args.client_timeout}")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, got {args.port}")
    if args.engine == "ctranslate2" and not args.checkpoint:
        raise ConfigError(
            "--engine ctranslate2 needs --checkpoint: a folder written by `unmt export RUN --format ctranslate2 OUT`"
        )
    service = Service(load_runs(args.checkpoint or [None], args.engine, args.checkpoints_dir), beam_size=args.beam)
    api_key = args.api_key or os.environ.get(API_KEY_VARIABLE) or None
    app = create_app(
        service, Limits(max_chars=args.max_chars, body_seconds=args.client_timeout), api_key, max_batch=args.max_batch
    )
    _check_address(args.host, args.port)
    if not _is_loopback(args.host):
        log.warning("listening on %s: other machines can reach this server%s", args.host,
                    "" if api_key else " and translate without an API key")
    for run in service.runs:
        log.info("serving run %s (%s)", run.name, " <-> ".join(run.languages))
    log.info("open http://%s:%d/ (Ctrl-C or SIGTERM stops after the requests in flight)", args.host, args.port)
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)  # see the module docstring
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5,
                            timeout_graceful_shutdown=30)
    uvicorn.Server(config).run()
    return 0


def _check_address(host: str, port: int) -> None:
    """Refuses a busy port or a foreign address with one sentence before the server starts."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error.strerror or error}): choose another --port or --host"
        ) from None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
