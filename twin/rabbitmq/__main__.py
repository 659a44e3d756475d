"""``python -m twin.rabbitmq``: the ``rabbitmq-panda`` pod process of the twin.

Without arguments it reads the twin directory (``FOCUS_TWIN_DIR``), as the
supervisor starts it. With ``--data-dir`` it runs a standalone node without a twin
directory; the password then comes from ``$RABBITMQ_TWIN_PASSWORD`` (never from the
command line, where ``ps`` would show it)::

    RABBITMQ_TWIN_PASSWORD=... python -m twin.rabbitmq --data-dir /tmp/rmq \\
        --amqp-port 5673 --mgmt-port 15673 --dist-port 25673 --epmd-port 4370
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path

from contract import constants
from twin import config
from twin.rabbitmq.files import NodeSpec, TlsListeners, prepare
from twin.rabbitmq.node import NotInstalled, StartFailed, executables, run

PASSWORD_ENV = "RABBITMQ_TWIN_PASSWORD"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m twin.rabbitmq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, help="standalone: the node's data directory")
    for name in ("amqp", "mgmt", "dist", "epmd"):
        parser.add_argument(f"--{name}-port", type=int, help=f"standalone: the {name} port")
    parser.add_argument("--user", default="prisma", help="standalone: the administrator")
    return parser


def _standalone_spec(args: argparse.Namespace) -> NodeSpec:
    ports = (args.amqp_port, args.mgmt_port, args.dist_port, args.epmd_port)
    password = os.environ.get(PASSWORD_ENV)
    if None in ports or not password:
        raise SystemExit(f"--data-dir needs all four --*-port options and ${PASSWORD_ENV}")
    return prepare(
        args.data_dir,
        amqp_port=args.amqp_port,
        mgmt_port=args.mgmt_port,
        dist_port=args.dist_port,
        epmd_port=args.epmd_port,
        user=args.user,
        password=password,
        cookie=secrets.token_hex(16).upper(),
    )


def _tls(where: dict) -> TlsListeners | None:
    """The TLS listeners ``endpoints.json`` asks for, presenting the twin's certificate."""
    rabbit = where["rabbitmq"]
    if "amqps_port" not in rabbit:
        return None  # endpoints.json names no TLS port: plain listeners only
    return TlsListeners(
        amqps_port=rabbit["amqps_port"],
        management_https_port=rabbit["management_https_port"],
        ca_file=Path(where["ca"]),
        cert_file=Path(where["server_cert"]),
        key_file=Path(where["server_key"]),
    )


def _twin_spec() -> NodeSpec:
    where = config.load_endpoints()
    endpoints = where["rabbitmq"]
    twin_secrets = config.load_secrets()
    return prepare(
        config.workload_dir(constants.RABBITMQ_WORKLOAD),
        amqp_port=endpoints["amqp_port"],
        mgmt_port=endpoints["mgmt_port"],
        dist_port=endpoints["dist_port"],
        epmd_port=endpoints["epmd_port"],
        node_name=endpoints["node_name"],
        vhost=endpoints["vhost"],
        user=twin_secrets["rabbitmq_user"],
        password=twin_secrets["rabbitmq_password"],
        cookie=twin_secrets["erlang_cookie"],
        tls=_tls(where),
    )


def main(argv: list[str] | None = None) -> int:
    """Prepare the node and run it; one line on stderr and a non-zero code on failure."""
    args = _parser().parse_args(argv)
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    try:
        executables()
        spec = _standalone_spec(args) if args.data_dir else _twin_spec()
        return run(spec)
    except NotInstalled as error:
        print(error, file=sys.stderr)
        return 1
    except (StartFailed, config.TwinNotRunning, OSError) as error:
        print(f"rabbitmq-panda: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
