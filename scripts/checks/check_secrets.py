"""Fail if any credential of the twin appears in a run's outputs (console, output.xml, log.html).

Usage: check_secrets.py RESULTS_DIR [SECRETS_JSON]. Prints one line per leak, or one
line saying how many files were checked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from twin import control

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEYS = (
    "focus_password",
    "focus_other_password",
    "token_signing_key",
    "mongo_password",
    "rabbitmq_password",
    "kube_token",
    "erlang_cookie",
)


def main(results: Path, secrets_file: Path) -> int:
    secrets = json.loads(secrets_file.read_text())
    values = {key: secrets[key] for key in SECRET_KEYS if secrets.get(key)}
    files = [
        p
        for p in results.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".html", ".txt", ".log")
    ]
    files = [p for p in files if "twin" not in p.relative_to(results).parts]
    leaks = 0
    for path in files:
        text = path.read_text(errors="replace")
        for key, value in values.items():
            if value in text:
                print(f"LEAK: {key} appears in {path}")
                leaks += 1
    print(f"checked {len(files)} output files for {len(values)} secrets: {leaks} leaks")
    return 1 if leaks or not files else 0


if __name__ == "__main__":
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results"
    secrets_file = Path(sys.argv[2]) if len(sys.argv) > 2 else control.secrets_path()
    sys.exit(main(results, secrets_file))
