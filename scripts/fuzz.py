"""make fuzz [ENV=local]: contract fuzzing of the Focus Server's served OpenAPI.

1. Breaking changes: the served document against the committed snapshot
   (tests/contract/openapi.snapshot.json) with Atlassian's openapi-diff (npm, pinned in
   tools/openapi-diff). A breaking change fails; refresh the snapshot on purpose with
   ``python scripts/fuzz.py --update-snapshot``.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from libraries.load.openapi30 import to_openapi30  # noqa: E402
from libraries.load.targets import environment, plain  # noqa: E402

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


def breaking_changes(served: dict, update: bool) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    if update or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(served, indent=2, sort_keys=True) + "\n")
        print(f"fuzz: snapshot written to {SNAPSHOT.relative_to(ROOT)}")
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
        print(f"fuzz: BREAKING changes against {SNAPSHOT.relative_to(ROOT)}:")
        print(result.stdout[-3000:] + result.stderr[-1000:])
        return 1
    print("fuzz: no breaking change against the snapshot (openapi-diff)")
    return 0


def fuzz(base: str, token: str, verify: str | bool, max_examples: int) -> int:
    command = [
        str(ROOT / ".venv" / "bin" / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
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
    environment_vars = {
        **os.environ,
        "FUZZ_BASE_URL": base,
        "FUZZ_TOKEN": token,
        "FUZZ_CA": verify if isinstance(verify, str) else "",
        "SCHEMATHESIS_HOOKS": "tests.contract.fuzz_hooks",
        "PYTHONPATH": str(ROOT),
    }
    # The token goes in a header; schemathesis masks Authorization in its output.
    command += ["--header", f"Authorization: Bearer {token}"]
    result = subprocess.run(command, env=environment_vars, cwd=ROOT, timeout=FUZZ_TIMEOUT_S)
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--update-snapshot", action="store_true")
    parser.add_argument("--skip-fuzz", action="store_true", help="only the breaking-change check")
    args = parser.parse_args()
    if shutil.which("node") is None and not args.update_snapshot:
        print("fuzz: node is needed for openapi-diff: apt-get install nodejs npm", file=sys.stderr)
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
            return fuzz(base, token, verify, args.max_examples) or rc
    except (RuntimeError, KeyError, ModuleNotFoundError, requests.RequestException) as error:
        print(f"fuzz: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
