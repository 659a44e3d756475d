"""``python -m twin.supervisor``: the supervisor's command line (run by ``twin up``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from twin import config
from twin.supervisor import DEFAULT_WORKLOADS
from twin.supervisor.controller import Supervisor
from twin.supervisor.daemon import detach
from twin.workloads import WorkloadSpec


def load_workloads(reference: str) -> tuple[WorkloadSpec, ...]:
    """The workload set named ``module:attribute`` (tests run the supervisor on stand-ins)."""
    module, _, attribute = reference.partition(":")
    return tuple(getattr(importlib.import_module(module), attribute))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.supervisor")
    parser.add_argument("--instance", required=True)
    parser.add_argument("--lease", action="store_true")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS, help="module:attribute")
    parser.add_argument(
        "--daemon", action="store_true", help="detach: print the supervisor's pid and return"
    )
    args = parser.parse_args(argv)
    if args.daemon:
        detach()
    supervisor = Supervisor(
        config.twin_dir(), args.instance, args.lease, load_workloads(args.workloads)
    )
    return asyncio.run(supervisor.run())


if __name__ == "__main__":
    sys.exit(main())
