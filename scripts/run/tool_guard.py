"""The tools obey the same policy as the suite: ``make fuzz``, ``make load``,
``make baseline`` and ``make nightly`` are ``disruptive`` (floods, load, every fuzzing
phase) and refuse an environment whose policy rules that out (``variables/policy.py``).

    python -m scripts.run.tool_guard <tool> <env>

Exits 0 when ``<tool>`` may run on ``<env>``; otherwise prints one line saying which
allowance it needs and exits 2. ``local`` (the twin) always may: its endpoints are the
twin's own loopback ones, and nothing is started here to find out. The remote environments
are resolved as a Robot run resolves them, so an endpoint listed in another environment's
``PRODUCTION_HOSTS``/``STAGING_HOSTS`` stops the tool too.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from libraries import run_environment
from variables import policy as table

TOOLS = {
    "fuzz": "every schemathesis phase, hostile input and task floods",
    "load": "load",
    "baseline": "load, to measure the baseline",
    "nightly": "the soak and load tests, then fuzzing",
}


class ToolRefused(RuntimeError):
    """One line: the tool may not run on that environment."""


def refusal(tool: str, env: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``tool`` must not run on ``env`` now, or None when it may."""
    name = run_environment.environment_name(env, environ)
    if name == run_environment.LOCAL:
        return None
    try:
        environment = run_environment.resolve_environment(name, environ)
    except run_environment.EnvironmentError_ as error:
        return str(error)
    policy = environment.policy
    if policy.allows(table.DISRUPTIVE):
        return None
    return (
        f"make {tool} refuses '{name}': it is '{table.DISRUPTIVE}' ({TOOLS.get(tool, tool)}) "
        f"and {policy.row}'s policy needs {policy.missing[table.DISRUPTIVE]} for that "
        f"(export it for this one command: {policy.missing[table.DISRUPTIVE]} make {tool} "
        f"ENV={name})"
    )


def require(tool: str, env: str) -> None:
    """Raises :class:`ToolRefused` (one line) when ``tool`` must not run on ``env``."""
    reason = refusal(tool, env)
    if reason:
        raise ToolRefused(reason)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m scripts.run.tool_guard <tool> <env>", file=sys.stderr)
        return 2
    tool, env = args
    reason = refusal(tool, env)
    if reason:
        print(reason, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
