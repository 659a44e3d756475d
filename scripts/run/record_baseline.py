"""make baseline [ENV=local]: run the standard load scenarios against an environment and
write its baseline to variables/baselines/<env>.json (the twin starts when ENV=local),
then each endpoint's ratio to a control request (``control_ratios``).

Record a baseline on a quiet machine and commit the file. `Performance Should Not
Regress` compares each run's p95 per endpoint with it (nightly); `Endpoints Should Not
Slow Down` compares each endpoint's ratio to the control with it (every regression).
``--ratios-only`` records the ratios alone (the Locust figures are kept).
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from libraries.load import ratios, stats
from libraries.load.runner import STANDARD_RUNS, run_load, standard_spec
from libraries.load.targets import environment, load_target
from scripts.run import tool_guard

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--scenario", action="append", choices=sorted(STANDARD_RUNS))
    parser.add_argument("--ratios-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=31, help="rounds of the ratio runs")
    args = parser.parse_args()
    try:
        tool_guard.require("baseline", args.env)
    except tool_guard.ToolRefused as error:
        print(error, file=sys.stderr)
        return 2
    try:
        with environment(args.env) as variables:
            target = load_target(variables)
            runs = []
            for scenario in [] if args.ratios_only else args.scenario or list(STANDARD_RUNS):
                result = run_load(standard_spec(scenario), target, progress=print)
                total = result["total"]
                print(
                    f"baseline {scenario}: {total['requests']} requests, "
                    f"{total['failures']} failures, {total['rps']:.0f}/s, p95 {total['p95']:.0f} ms"
                )
                if total["failures"]:
                    print(f"baseline: {scenario} had failures; nothing written", file=sys.stderr)
                    return 1
                runs.append(result)
            measured = ratios.measure_target(
                ratios.Target(target.base_url, target.user, target.password, target.ca_bundle),
                args.rounds,
            )
    except (RuntimeError, ValueError, KeyError, ModuleNotFoundError, OSError) as error:
        print(f"baseline: {error}", file=sys.stderr)
        return 2
    note = f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})"
    directory = ROOT / "variables" / "baselines"
    if runs:
        path = stats.write_baseline(directory, args.env, runs, note)
    path = stats.write_ratio_baseline(directory, args.env, measured, note)
    for name, figures in measured["endpoints"].items():
        print(
            f"baseline ratio {name}: {figures['median_ms']:.1f} ms / control "
            f"{figures['control_median_ms']:.1f} ms = {figures['ratio']:.2f}"
        )
    print(f"baseline: wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
