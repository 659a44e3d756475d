"""``python -m twin up|down|status|logs|bugs``: drive the local twin by hand."""

from __future__ import annotations

import argparse
import os
import sys

from twin import bugs, config, control


def _up(args: argparse.Namespace) -> int:
    if args.bug:
        try:
            keys = bugs.parse(args.bug)
        except bugs.UnknownBug as error:
            raise control.TwinError(f"--bug: {error}") from None
        os.environ[bugs.ENV_VAR] = bugs.environment_value(keys)
    result = control.up(owners=args.lease or (), timeout=args.timeout)
    endpoints = result.endpoints
    verb = f"started in {result.seconds:.1f}s" if result.started else "already up"
    print(f"twin {verb} ({result.mode} mode), state in {config.twin_dir()}")
    print(f"  Focus API   {endpoints['focus']['base_url']}")
    print(f"  liveView    {endpoints['focus']['ui_url']}")
    print(f"  MongoDB     {endpoints['host']}:{endpoints['mongo']['port']}")
    rabbit = endpoints["rabbitmq"]
    print(
        f"  RabbitMQ    amqp {endpoints['host']}:{rabbit['amqp_port']}, "
        f"management http://{endpoints['host']}:{rabbit['mgmt_port']}"
    )
    print(f"  CA bundle   {endpoints['ca']}")
    print("  credentials in secrets.json (never printed)")
    if result.bugs:
        print(f"  KNOWN BUGS ON {bugs.describe(result.bugs)}")
    return 0


def _bugs(_: argparse.Namespace) -> int:
    for bug in bugs.BUGS.values():
        print(f"{bug.key}  {bug.title}: {bug.deviation}")
    return 0


def _down(args: argparse.Namespace) -> int:
    was_running = control.down(timeout=args.timeout)
    print("twin stopped" if was_running else "twin was not running")
    return 0


def _status(_: argparse.Namespace) -> int:
    lines = control.status_lines()
    print("\n".join(lines))
    return 0 if control.is_up() else 3


def _logs(args: argparse.Namespace) -> int:
    path = control.log_path(args.name)
    if not args.follow:
        lines = path.read_text(errors="replace").splitlines()
        print("\n".join(lines[-args.tail :] if args.tail else lines))
        return 0
    try:
        control.follow(path, print, args.tail, stop=lambda: False)
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m twin", description="The local twin of the Focus stack."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the twin (or report that it is up)")
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for ready")
    up.add_argument(
        "--lease",
        type=int,
        action="append",
        metavar="PID",
        help="lease mode: stop by itself once these processes have exited",
    )
    up.add_argument(
        "--bug",
        action="append",
        metavar="PZ-KEY",
        help="switch a known bug on (repeatable; see 'python -m twin bugs'); overrides TWIN_BUGS",
    )
    up.set_defaults(handler=_up)
    down = commands.add_parser("down", help="stop the twin and every process it started")
    down.add_argument("--timeout", type=float, default=40.0)
    down.set_defaults(handler=_down)
    commands.add_parser("status", help="one line per pod").set_defaults(handler=_status)
    commands.add_parser("bugs", help="the known bugs the twin can switch on").set_defaults(
        handler=_bugs
    )
    logs = commands.add_parser("logs", help="a pod's log, by pod or workload name")
    logs.add_argument("name")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=0, help="last N lines (0: all)")
    logs.set_defaults(handler=_logs)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except control.TwinError as error:
        print(f"twin: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        return 0


if __name__ == "__main__":
    sys.exit(main())
