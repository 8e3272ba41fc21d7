"""``policyc serve``: the HTTP decision API under uvicorn (docs/integrations/http.md).

Tokens come from ``--token-file`` (one per line, owner-only) and from the environment variable
``POLICYC_API_TOKENS`` (comma-separated); the server refuses to start without one unless
``--insecure-no-auth`` is given. ``--print-openapi`` prints the OpenAPI document and exits.
The server is one process: several ``policyc serve`` processes may share a state folder (the
state store is safe across processes), each with counters of its own.

Needs the ``serve`` extra (uvicorn, starlette): ``pip install 'policyc[serve]'``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from policyc.cli.main import EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from policyc.adapters.http_api import ApiToken

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8731


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve decisions over HTTP (the decision API)",
        description="Serve the decision API over HTTP: POST /v1/decide and /v1/decide/batch, "
        "the audit log's decisions, approvals, /healthz, /metrics and /openapi.json. Every "
        "route but /healthz needs a bearer token (--token-file or POLICYC_API_TOKENS).",
    )
    p.add_argument("--config", metavar="FILE", help="policyc.toml (default: found from here up)")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on ({DEFAULT_HOST})")
    p.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT}; 0: any free one)"
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="API tokens, one per line (TOKEN [SCOPE ...]); the file must be owner-only",
    )
    p.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve without authentication: anyone who can connect may decide and approve",
    )
    p.add_argument(
        "--max-body",
        type=_positive,
        default=None,
        metavar="BYTES",
        help="largest request body (default 1048576)",
    )
    p.add_argument(
        "--max-batch",
        type=_positive,
        default=None,
        metavar="N",
        help="most actions in one batch (default 100)",
    )
    p.add_argument(
        "--threads",
        type=_positive,
        default=None,
        metavar="N",
        help="worker threads deciding at once (default 1: the state store serialises decisions)",
    )
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    p.add_argument(
        "--log-level",
        choices=("critical", "error", "warning", "info", "debug"),
        default="info",
        help="uvicorn's log level (info)",
    )
    p.add_argument("--no-access-log", action="store_true", help="do not log each request (uvicorn)")
    p.add_argument(
        "--print-openapi", action="store_true", help="print the OpenAPI document and exit"
    )
    p.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def _fail(message: str) -> int:
    print(f"policyc serve: {message}", file=sys.stderr)
    return EXIT_INVALID


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_tokens(token_file: str | None, environ: dict[str, str] | None = None) -> list[ApiToken]:
    """The tokens of ``--token-file`` and of ``POLICYC_API_TOKENS``. Raises ``TokenError``."""
    from policyc.adapters.http_api import TOKENS_ENV, TokenError, load_token_file, parse_tokens

    env = os.environ if environ is None else environ
    tokens: list[ApiToken] = []
    if token_file is not None:
        tokens += load_token_file(token_file)
    text = env.get(TOKENS_ENV, "")
    if text.strip():
        tokens += parse_tokens(text, source=TOKENS_ENV, separator=",")
    if len({t.digest for t in tokens}) != len(tokens):
        raise TokenError(f"a token of {TOKENS_ENV} is also in {token_file}")
    return tokens


def run(args: argparse.Namespace) -> int:
    try:
        from policyc.adapters import http_api
    except ImportError as e:  # starlette (or uvicorn below) not installed
        return _fail(f"needs the serve extra ({e.name} is missing): pip install 'policyc[serve]'")

    if args.print_openapi:
        kwargs = {} if args.max_batch is None else {"max_batch": args.max_batch}
        print(json.dumps(http_api.openapi_document(**kwargs), indent=2, ensure_ascii=False))
        return EXIT_OK
    try:
        import uvicorn
    except ImportError as e:
        return _fail(f"needs the serve extra ({e.name} is missing): pip install 'policyc[serve]'")

    try:
        tokens = load_tokens(args.token_file)
    except http_api.TokenError as e:
        return _fail(str(e))
    if args.insecure_no_auth and tokens:
        return _fail("--insecure-no-auth and API tokens were both given: choose one")
    if not tokens and not args.insecure_no_auth:
        return _fail(
            "refusing to start without an API token: give --token-file FILE or set "
            f"{http_api.TOKENS_ENV} (or --insecure-no-auth to serve without authentication)"
        )
    if (args.tls_cert is None) != (args.tls_key is None):
        return _fail("--tls-cert and --tls-key go together")

    from policyc.runtime.config import ConfigError
    from policyc.runtime.runtime import Runtime

    try:
        runtime = Runtime.from_config(args.config)
    except ConfigError as e:
        return _fail(str(e))
    try:
        if runtime.failure is not None:
            return _fail(f"not starting: {runtime.failure[1]}")
        if runtime.store is None:
            print(
                "policyc serve: warning: the state store is unavailable (fail_mode = open): "
                "decisions are not recorded",
                file=sys.stderr,
            )
        if args.insecure_no_auth:
            where = "" if _loopback(args.host) else f" on {args.host}, not a loopback address"
            print(
                f"policyc serve: WARNING: serving without authentication{where}: anyone who "
                "can connect may decide actions and approve them",
                file=sys.stderr,
            )
        options: dict[str, int] = {}
        for name in ("max_body", "max_batch"):
            if getattr(args, name) is not None:
                options[name] = getattr(args, name)
        if args.threads is not None:
            options["decide_threads"] = args.threads
        app = http_api.create_app(runtime, tokens=tokens or None, **options)
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=not args.no_access_log,
            server_header=False,
            proxy_headers=False,
            lifespan="off",
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
        )
        engine = runtime.engine
        print(
            f"policyc serve: policy set {engine.policy_set_hash[:12] if engine else '-'}, state "
            f"folder {runtime.config.state_dir}, "
            + ("no authentication" if not tokens else f"{len(tokens)} API token(s)"),
            file=sys.stderr,
        )
        server = uvicorn.Server(config)
        try:
            server.run()
        except SystemExit as e:  # uvicorn exits when it cannot listen (it logged why)
            if e.code not in (None, 0):
                return _fail("the server could not start")
        return EXIT_OK if server.started else EXIT_INVALID
    finally:
        runtime.close()
