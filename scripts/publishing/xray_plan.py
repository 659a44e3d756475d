"""Run just the tests of an Xray Test Plan: write a Robot argument file that selects them.

    xray_plan.py PZ-14024 [--suites robot/] [--output results/xray_plan/PZ-14024.args]
    robot --argumentfile results/xray_plan/PZ-14024.args robot/

Fetches the plan's tests from Xray (the same settings as xray_import.py: XRAY_CLOUD_URL,
XRAY_CLIENT_ID, XRAY_CLIENT_SECRET for Cloud; XRAY_BASE_URL, XRAY_TOKEN for Server/DC), finds
the Robot tests here whose Xray Test is one of them (``variables/xray_keys.yaml`` or a
``test:<KEY>`` tag: docs/xray.md), and writes one ``--test <long name>`` line per such Robot
test. Prints, one line each, the plan's tests with no automated test here, then a closing
count. Exits 1 when none of the plan's tests is automated here.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from robot.api import TestSuiteBuilder
from robot.errors import DataError

from scripts.publishing.http import PublishError
from scripts.publishing.results import KEY
from scripts.publishing.xray_import import UsageError, xray_from
from scripts.publishing.xray_keys import KeysError, load_keys


def automated_keys(suites: list[str], prefix: str, keys_file: Path | None = None):
    """Test key -> the long names of the Robot tests here that report on it (parsed only)."""
    try:
        suite = TestSuiteBuilder(process_curdir=False).build(*suites)
    except DataError as error:
        raise UsageError(f"cannot read the suites {' '.join(suites)}: {error}") from None
    try:
        mapping = load_keys(keys_file)
    except KeysError as error:
        raise UsageError(str(error)) from None
    found: dict[str, list[str]] = {}
    for test in suite.all_tests:
        key = mapping.classify(test.full_name, test.tags, prefix).test_key
        if key:
            found.setdefault(key, []).append(test.full_name)
    return found


def write_argfile(path: Path, plan: str, names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# The automated tests of Xray Test Plan {plan}: written by scripts/xray_plan.py"]
    lines += [f"--test {name}" for name in names]
    path.write_text("\n".join(lines) + "\n")


def run(argv: list[str], env: dict[str, str], **http) -> int:
    parser = argparse.ArgumentParser(prog="xray_plan.py", description=__doc__)
    parser.add_argument("plan", help="the Test Plan key, e.g. PZ-14024")
    parser.add_argument("--suites", nargs="+", default=["robot"], help="where the tests are")
    parser.add_argument("--output", type=Path, help="the argument file to write")
    parser.add_argument("--keys-file", type=Path, help="the Xray key mapping (XRAY_KEYS_FILE)")
    args = parser.parse_args(argv)
    plan = args.plan.strip().upper()
    if not KEY.match(plan):
        raise UsageError(f"'{args.plan}' is not an issue key (like PZ-14024)")
    prefix = plan.split("-")[0]
    output = args.output or Path("results/xray_plan") / f"{plan}.args"
    keys_file = args.keys_file or (
        Path(env["XRAY_KEYS_FILE"]) if env.get("XRAY_KEYS_FILE") else None
    )
    here = automated_keys(args.suites, prefix, keys_file)
    xray = xray_from(env, **http)
    in_plan = list(dict.fromkeys(xray.plan_tests(plan)))
    selected = [key for key in in_plan if key in here]
    for key in in_plan:
        if key not in here:
            print(f"{key}: in {plan}, no automated test here")
    if not selected:
        print(
            f"xray: none of the {len(in_plan)} tests of {plan} is automated here", file=sys.stderr
        )
        return 1
    write_argfile(output, plan, [name for key in selected for name in here[key]])
    tests = sum(len(here[key]) for key in selected)
    print(
        f"xray: {plan}: {len(in_plan)} tests in the plan, {len(selected)} automated here "
        f"({tests} Robot tests), {len(in_plan) - len(selected)} not -> {output}"
    )
    print(f"run them: robot --argumentfile {output} {' '.join(args.suites)}")
    return 0


def main(argv: list[str] | None = None, env: dict[str, str] | None = None, **http) -> int:
    try:
        return run(
            sys.argv[1:] if argv is None else argv, dict(os.environ if env is None else env), **http
        )
    except UsageError as error:
        print(f"xray: {error}", file=sys.stderr)
        return 2
    except PublishError as error:
        print(str(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
