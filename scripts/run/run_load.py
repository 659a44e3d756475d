"""make load [ENV=local SCENARIO=health USERS=50 DURATION=60 WORKERS=2]: one scenario in
Locust's distributed mode (a master and WORKERS worker processes on this machine).

The figures are printed, appended to results/perf/history.jsonl and drawn into
results/perf/trend-<env>-<scenario>.png. To put workers on other machines, see README
("Load beyond one machine").
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from libraries.load import stats
from libraries.load.runner import SCENARIOS, LoadSpec, run_load
from libraries.load.targets import environment, load_target
from scripts.run import tool_guard

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--scenario", default="health", choices=SCENARIOS)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=None)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec = LoadSpec(
        args.scenario,
        args.users,
        args.spawn_rate or float(args.users),
        args.duration,
        workers=args.workers,
    )
    try:
        tool_guard.require("load", args.env)
    except tool_guard.ToolRefused as error:
        print(error, file=sys.stderr)
        return 2
    try:
        with environment(args.env) as variables:
            site = f"{variables.get('SITE_ID', 'load')}.{uuid.uuid4().hex[:12]}"
            target = load_target(variables, site if args.scenario == "alerts" else None)
            result = run_load(spec, target, progress=print)
    except (RuntimeError, ValueError, KeyError, ModuleNotFoundError) as error:
        print(f"load: {error}", file=sys.stderr)
        return 2
    for name, figures in [*result["endpoints"].items(), ("all", result["total"])]:
        shown = {key: figures[key] for key in ("requests", "failures", "rps", "p95")}
        print(f"{name:32} {json.dumps(shown)}")
    history = ROOT / "results" / "perf" / "history.jsonl"
    records = stats.append_history(history, result, args.env)
    png = stats.draw_trend(
        records,
        history.parent / f"trend-{args.env}-{args.scenario}.png",
        f"{args.scenario} on {args.env} ({args.workers} workers)",
    )
    print(f"load: {len(records)} runs in {history.relative_to(ROOT)}; trend {png}")
    return 1 if result["total"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
