"""make baseline [ENV=local]: run the standard load scenarios against an environment and
write its baseline to variables/baselines/<env>.json (the twin starts when ENV=local).

Record a baseline on a quiet machine and commit the file. `Performance Should Not
Regress` compares each run's p95 per endpoint with it.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from libraries.load import stats
from libraries.load.runner import STANDARD_RUNS, run_load, standard_spec
from libraries.load.targets import environment, load_target

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--scenario", action="append", choices=sorted(STANDARD_RUNS))
    args = parser.parse_args()
    try:
        with environment(args.env) as variables:
            target = load_target(variables)
            runs = []
            for scenario in args.scenario or list(STANDARD_RUNS):
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
    except (RuntimeError, ValueError, KeyError, ModuleNotFoundError) as error:
        print(f"baseline: {error}", file=sys.stderr)
        return 2
    note = f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})"
    path = stats.write_baseline(ROOT / "variables" / "baselines", args.env, runs, note)
    print(f"baseline: wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
