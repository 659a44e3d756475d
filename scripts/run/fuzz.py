"""make fuzz [ENV=local]: contract fuzzing of the Focus Server's served OpenAPI.

1. Breaking changes: the served document against the committed snapshot
   (tests/contract/openapi.snapshot.json) with Atlassian's openapi-diff (npm, pinned in
   tools/openapi-diff). A breaking change fails; refresh the snapshot on purpose with
   ``python -m scripts.run.fuzz --update-snapshot``.
2. schemathesis: every check (tests/contract/schemathesis.toml), all phases including
   the stateful links configure -> metadata/ack/waterfall/reconfigure -> delete. Fails on
   any failure. Reports in results/fuzz/ (JUnit XML).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from libraries.common.arguments import plain
from libraries.load.openapi30 import to_openapi30
from libraries.load.targets import environment
from scripts.run import tool_guard

ROOT = Path(__file__).resolve().parents[2]

SNAPSHOT = ROOT / "tests" / "contract" / "openapi.snapshot.json"
CONFIG = ROOT / "tests" / "contract" / "schemathesis.toml"
OPENAPI_DIFF = ROOT / "tools" / "openapi-diff" / "node_modules" / ".bin" / "openapi-diff"
OUT = ROOT / "results" / "fuzz"
FUZZ_TIMEOUT_S = 900


def _token(base: str, user: str, password: str, verify: str | bool) -> str:
    response = requests.post(
        f"{base}/auth/token",
        json={"username": user, "password": password},
        verify=verify,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _breaking_summary(output: str) -> list[str]:
    """One line per breaking difference of openapi-diff's JSON report."""
    start = output.find("{")
    try:
        report = json.loads(output[start:]) if start >= 0 else {}
    except ValueError:
        return []
    lines = []
    for difference in report.get("breakingDifferences", []):
        entities = difference.get("sourceSpecEntityDetails") or difference.get(
            "destinationSpecEntityDetails", []
        )
        where = entities[0].get("location", "?") if entities else "?"
        lines.append(f"{difference.get('code')} ({difference.get('action')}) at {where}")
    return lines


def breaking_changes(served: dict, update: bool) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    if update or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(served, indent=2, sort_keys=True) + "\n")
        print(f"fuzz: snapshot written to {_shown(SNAPSHOT)}")
        return 0
    if not OPENAPI_DIFF.exists():
        print(
            "fuzz: openapi-diff is not installed: make setup (npm ci --prefix tools/openapi-diff)",
            file=sys.stderr,
        )
        return 1
    old, new = OUT / "snapshot-3.0.json", OUT / "served-3.0.json"
    old.write_text(json.dumps(to_openapi30(json.loads(SNAPSHOT.read_text()))))
    new.write_text(json.dumps(to_openapi30(served)))
    result = subprocess.run(
        [str(OPENAPI_DIFF), str(old), str(new)], capture_output=True, text=True, timeout=120
    )
    (OUT / "openapi-diff.txt").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        print(f"fuzz: BREAKING changes against {_shown(SNAPSHOT)}:")
        for line in _breaking_summary(result.stdout) or [result.stdout[-2000:] + result.stderr]:
            print(f"  {line}")
        print(f"  (full report: {_shown(OUT / 'openapi-diff.txt')})")
        return 1
    print("fuzz: no breaking change against the snapshot (openapi-diff)")
    return 0


def server_root(base: str, document: dict) -> str:
    """The URL the document's paths are relative to: ``base`` without the prefix that every
    path already carries (``/focus-server``)."""
    paths = list(document.get("paths", {}))
    prefix = "/" + paths[0].strip("/").split("/")[0] if paths else ""
    if prefix and all(path.startswith(prefix + "/") for path in paths) and base.endswith(prefix):
        return base[: -len(prefix)]
    return base


def fuzz_command(base: str, root: str, verify: str | bool, max_examples: int) -> list[str]:
    """schemathesis' command line: no token or password on it (``ps`` shows it)."""
    command = [
        str(ROOT / ".venv" / "bin" / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--url",
        root,
        "--checks",
        "all",
        # DELETE /task/{id} stops the task; its record stays readable on purpose (see
        # tests/contract/schemathesis.toml): schemathesis' use-after-free check is left out.
        "--exclude-checks",
        "use_after_free",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max_examples),
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(OUT),
        "--seed",
        "1",
    ]
    if isinstance(verify, str):
        command += ["--tls-verify", verify]
    return command


def fuzz(base: str, root: str, token: str, verify: str | bool, max_examples: int) -> int:
    command = fuzz_command(base, root, verify, max_examples)
    environment_vars = {
        **os.environ,
        "FUZZ_BASE_URL": base,
        "FUZZ_TOKEN": token,
        "FUZZ_CA": verify if isinstance(verify, str) else "",
        "SCHEMATHESIS_HOOKS": "tests.contract.fuzz_hooks",
        "PYTHONPATH": str(ROOT),
    }
    # The token reaches schemathesis through its environment only: the config file's
    # ``headers`` read ${FUZZ_TOKEN} (tests/contract/schemathesis.toml). On the command line
    # every user of the machine would see it (ps, /proc/<pid>/cmdline); schemathesis masks
    # Authorization in its own output.
    result = subprocess.run(command, env=environment_vars, cwd=ROOT, timeout=FUZZ_TIMEOUT_S)
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--update-snapshot", action="store_true")
    parser.add_argument("--skip-fuzz", action="store_true", help="only the breaking-change check")
    args = parser.parse_args()
    if shutil.which("node") is None and not args.update_snapshot:
        print("fuzz: node is needed for openapi-diff: apt-get install nodejs npm", file=sys.stderr)
    try:
        tool_guard.require("fuzz", args.env)
    except tool_guard.ToolRefused as error:
        print(error, file=sys.stderr)
        return 2
    try:
        with environment(args.env) as variables:
            base = variables["FOCUS_BASE_URL"].rstrip("/")
            verify: str | bool = variables.get("CA_BUNDLE") or True
            served = requests.get(f"{base}/openapi.json", verify=verify, timeout=10).json()
            rc = breaking_changes(served, args.update_snapshot)
            if args.skip_fuzz or args.update_snapshot:
                return rc
            token = _token(
                base, plain(variables["FOCUS_USER"]), plain(variables["FOCUS_PASSWORD"]), verify
            )
            root = server_root(base, served)
            return fuzz(base, root, token, verify, args.max_examples) or rc
    except (RuntimeError, ValueError, KeyError, requests.RequestException) as error:
        print(f"fuzz: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
