"""Import a Robot Framework output.xml into Jira Xray as a Test Execution.

Xray maps each test to its Jira test issue by the test's ``PZ-*`` tag.

Xray Cloud:   XRAY_CLIENT_ID, XRAY_CLIENT_SECRET (API key), XRAY_PROJECT_KEY (e.g. PZ)
Server / DC:  XRAY_BASE_URL (your Jira), XRAY_TOKEN (a personal access token), XRAY_PROJECT_KEY
Optional:     XRAY_TEST_PLAN (e.g. PZ-14024), XRAY_TEST_ENVIRONMENT (e.g. staging)

Prints the created Test Execution's key, or one line saying what is missing or wrong.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests

CLOUD = "https://xray.cloud.getxray.app"
TIMEOUT = (10, 120)


def _params() -> dict:
    params = {"projectKey": os.environ["XRAY_PROJECT_KEY"]}
    if os.environ.get("XRAY_TEST_PLAN"):
        params["testPlanKey"] = os.environ["XRAY_TEST_PLAN"]
    if os.environ.get("XRAY_TEST_ENVIRONMENT"):
        params["testEnvironments"] = os.environ["XRAY_TEST_ENVIRONMENT"]
    return params


def _cloud_token(base: str) -> str:
    response = requests.post(
        f"{base}/api/v2/authenticate",
        json={
            "client_id": os.environ["XRAY_CLIENT_ID"],
            "client_secret": os.environ["XRAY_CLIENT_SECRET"],
        },
        timeout=TIMEOUT,
    )
    if response.status_code != 200:
        raise RuntimeError(f"Xray refused the API key (HTTP {response.status_code})")
    return response.json()


def import_results(output_xml: Path) -> str:
    """Send ``output_xml`` to Xray and return the Test Execution key."""
    server = os.environ.get("XRAY_BASE_URL")
    required = ["XRAY_PROJECT_KEY"] + (
        ["XRAY_TOKEN"] if server else ["XRAY_CLIENT_ID", "XRAY_CLIENT_SECRET"]
    )
    missing = [name for name in required if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"set {', '.join(missing)} to publish to Xray")
    if server:
        url = f"{server.rstrip('/')}/rest/raven/2.0/import/execution/robot"
        token = os.environ["XRAY_TOKEN"]
    else:
        url = f"{CLOUD}/api/v2/import/execution/robot"
        token = _cloud_token(CLOUD)
    response = requests.post(
        url,
        params=_params(),
        data=output_xml.read_bytes(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
        timeout=TIMEOUT,
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"Xray import failed: HTTP {response.status_code}: {response.text[:300]}"
        )
    body = response.json()
    return body.get("key") or body.get("testExecIssue", {}).get("key", "?")


def main(argv: list[str]) -> int:
    output_xml = Path(argv[0] if argv else "results/regression/output.xml")
    if not output_xml.exists():
        print(f"xray: {output_xml} does not exist: run the suite first", file=sys.stderr)
        return 2
    try:
        key = import_results(output_xml)
    except (RuntimeError, requests.RequestException) as error:
        print(f"xray: {error}", file=sys.stderr)
        return 1
    print(f"xray: imported {output_xml} as Test Execution {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
