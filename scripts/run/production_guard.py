"""``make guard``: on production nothing of a destructive test runs, proven against a twin.

Starts a twin (``results/guard/twin``), points the *production* variable file at it
through the environment variables it reads (FOCUS_BASE_URL, MONGO_URI, ...), and runs
every test of ``robot/`` tagged ``destructive`` with ``-v ENV:production`` and without
``ALLOW_DESTRUCTIVE``. Those are the tests that may act; the others never call a
destructive keyword, which ``scripts/checks/check_destructive.py`` proves statically (a dry
run of the whole suite) and this script runs too.

Then it checks the system, before against after:

- Kubernetes: no pod deleted or created (same pod uids, no new event), no workload
  scaled (same replicas and generation of every Deployment and StatefulSet);
- RabbitMQ: nothing published (exchange ``prisma`` publish count), no queue emptied
  or deleted (same queues, same message counts);
- MongoDB: no task created (no fill), no alert stored (no flood), recordings, indexes
  unchanged;
- Robot's output: every destructive test skipped with the guard's message, not one
  keyword of it run (no setup, body, teardown), no suite setup run for them.

Prints one line per check and exits 1 when one fails (2 when the run itself failed).

    python -m scripts.run.production_guard
    python -m scripts.run.production_guard --allow --test "Health Answers*"  # a control: fails
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pymongo
import requests
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from contract import constants
from libraries.safety import is_destructive
from scripts.checks import check_effects
from scripts.run.robot_run import run_robot
from twin import control

ROOT = Path(__file__).resolve().parents[2]

# RabbitMQ's management statistics refresh every 5 s: wait that long before reading them.
STATS_SETTLE_S = 5.5
ROBOT_TIMEOUT_S = 15 * 60
GUARD_MESSAGE = "no setup, body or teardown ran"


def production_environment(endpoints: dict, secrets: dict) -> dict[str, str]:
    """What an operator exports for ``-v ENV:production``, pointing at the twin."""
    host = endpoints["host"]
    rabbit = endpoints["rabbitmq"]
    mongo_auth = f"{quote(secrets['mongo_user'])}:{quote(secrets['mongo_password'], safe='')}"
    rabbit_password = quote(secrets["rabbitmq_password"], safe="")
    rabbit_auth = f"{quote(secrets['rabbitmq_user'])}:{rabbit_password}"
    return {
        "FOCUS_BASE_URL": endpoints["focus"]["base_url"],
        "FOCUS_USER": secrets["focus_user"],
        "FOCUS_PASSWORD": secrets["focus_password"],
        "FOCUS_CA_BUNDLE": endpoints["ca"],
        "MONGO_URI": (
            f"mongodb://{mongo_auth}@{host}:{endpoints['mongo']['port']}/"
            f"{constants.MONGO_DATABASE}?authSource={constants.MONGO_AUTH_SOURCE}"
        ),
        "RABBITMQ_URL": f"amqp://{rabbit_auth}@{host}:{rabbit['amqp_port']}/%2F",
        "RABBITMQ_MGMT_URL": f"http://{host}:{rabbit['mgmt_port']}",
        "KUBECONFIG": endpoints["kube"]["kubeconfig"],
        "SEGY_ROOT": str(control.workload_dir(constants.SEGY_RECORDER_WORKLOAD)),
    }


def snapshot(endpoints: dict, secrets: dict, since: datetime) -> dict:
    """What a destructive test would change, as plain comparable values.

    The recorder keeps recording: only recordings started before ``since`` count.
    """
    namespace = constants.K8S_NAMESPACE
    api = k8s_config.new_client_from_config(config_file=endpoints["kube"]["kubeconfig"])
    try:
        core, apps = k8s.CoreV1Api(api), k8s.AppsV1Api(api)
        pods = sorted(
            f"{pod.metadata.name} {pod.metadata.uid}"
            for pod in core.list_namespaced_pod(namespace, _request_timeout=10).items
        )
        events = sorted(
            f"{event.reason} {event.involved_object.name}"
            for event in core.list_namespaced_event(namespace, _request_timeout=10).items
        )
        workloads = {
            f"{kind} {item.metadata.name}": (item.spec.replicas, item.metadata.generation)
            for kind, items in (
                ("Deployment", apps.list_namespaced_deployment(namespace, _request_timeout=10)),
                ("StatefulSet", apps.list_namespaced_stateful_set(namespace, _request_timeout=10)),
            )
            for item in items.items
        }
    finally:
        api.close()
    rabbit = endpoints["rabbitmq"]
    management = f"http://{endpoints['host']}:{rabbit['mgmt_port']}/api"
    auth = (secrets["rabbitmq_user"], secrets["rabbitmq_password"])
    exchange = requests.get(
        f"{management}/exchanges/%2F/{constants.ALERT_EXCHANGE}", auth=auth, timeout=10
    ).json()
    queues = requests.get(f"{management}/queues/%2F", auth=auth, timeout=10).json()
    mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        host=endpoints["host"],
        port=endpoints["mongo"]["port"],
        username=secrets["mongo_user"],
        password=secrets["mongo_password"],
        authSource=constants.MONGO_AUTH_SOURCE,
        serverSelectionTimeoutMS=5000,
    )
    try:
        db = mongo[constants.MONGO_DATABASE]
        documents = {name: db[name].count_documents({}) for name in ("tasks", "alerts")}
        documents["recordings before the run"] = db["recordings"].count_documents(
            {"start_time": {"$lt": since}, "deleted": {"$ne": True}}
        )
        active = db["tasks"].count_documents({"status": {"$in": ["waiting", "running"]}})
        indexes = {
            name: sorted(db[name].index_information()) for name in ("tasks", "alerts", "recordings")
        }
    finally:
        mongo.close()
    return {
        "kubernetes pods (name, uid)": pods,
        "kubernetes events": events,
        "workload replicas and generation": workloads,
        "rabbitmq messages published to 'prisma'": exchange.get("message_stats", {}).get(
            "publish_in", 0
        ),
        "rabbitmq queues and their messages": {q["name"]: q.get("messages", 0) for q in queues},
        "mongodb tasks, alerts, recordings": documents,
        "mongodb active tasks": active,
        "mongodb indexes": indexes,
    }


def robot_findings(output: Path) -> tuple[int, list[str]]:
    """Destructive tests seen, and every sign that any part of one ran."""
    root = ET.parse(output).getroot()
    seen, problems = 0, []
    for test in root.iter("test"):
        tags = [tag.text for tag in test.findall("tag")]
        if not is_destructive(tags):
            problems.append(f"'{test.get('name')}' is not tagged destructive but was run")
            continue
        seen += 1
        status = test.find("status")
        said = "" if status is None else status.text or ""
        verdict = None if status is None else status.get("status")
        if verdict != "SKIP" or GUARD_MESSAGE not in said:
            problems.append(f"'{test.get('name')}' {verdict}: {said[:120]}")
        ran = [kw.get("name", "") for kw in test.iter("kw")]
        if ran:
            problems.append(f"'{test.get('name')}' ran keywords: {', '.join(ran[:5])}")
    for suite in root.iter("suite"):
        tests = suite.findall("test")
        setups = [kw for kw in suite.findall("kw") if kw.get("type") in ("SETUP", "TEARDOWN")]
        if tests and setups and not suite.findall("suite"):
            names = ", ".join(f"{kw.get('type', '').lower()} {kw.get('name')}" for kw in setups)
            problems.append(f"suite '{suite.get('name')}' ran its {names}")
    return seen, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "guard")
    parser.add_argument("--test", action="append", default=[], help="only these tests (robot)")
    parser.add_argument(
        "--allow", action="store_true", help="set ALLOW_DESTRUCTIVE=1 (a control: must fail)"
    )
    args = parser.parse_args(argv)
    outdir = args.outputdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    os.environ["FOCUS_TWIN_DIR"] = str(outdir / "twin")
    os.environ[control.BUGS_ENV_VAR] = ""
    problems: list[str] = []

    print("guard: dry run of robot/: every test that reaches a destructive keyword is tagged so")
    if check_effects.main([str(ROOT / "robot")]) != 0:
        problems.append("an untagged test calls a destructive keyword (see above)")

    try:
        control.down()
        control.up(owners=[os.getpid()], timeout=120)
        endpoints, secrets = control.endpoints(), control.secrets()
        since = datetime.now(UTC)
        before = snapshot(endpoints, secrets, since)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("ALLOW_DESTRUCTIVE", "FOCUS_ENV", "FOCUS_TWIN_DIR")
        }
        env.update(production_environment(endpoints, secrets))
        if args.allow:
            env["ALLOW_DESTRUCTIVE"] = "1"
        options = ["-v", "ENV:production", "--include", "disruptive"]
        for name in args.test:
            options += ["--test", name]
        print(f"guard: robot -v ENV:production --include disruptive robot/ ({outdir})")
        run_robot(options, outdir, env, ROBOT_TIMEOUT_S)
        time.sleep(STATS_SETTLE_S)
        after = snapshot(endpoints, secrets, since)
    except (control.TwinError, subprocess.TimeoutExpired, OSError, ValueError) as error:
        print(f"guard: the run failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        control.down()

    for check, value in before.items():
        same = after[check] == value
        print(f"  {'ok  ' if same else 'FAIL'} {check}: {'unchanged' if same else 'CHANGED'}")
        if not same:
            problems.append(
                f"{check} changed: before {json.dumps(value)[:300]}, "
                f"after {json.dumps(after[check])[:300]}"
            )
    try:
        seen, found = robot_findings(outdir / "output.xml")
    except (OSError, ET.ParseError) as error:
        print(f"guard: no Robot output: {error}", file=sys.stderr)
        return 2
    print(f"  {'ok  ' if not found and seen else 'FAIL'} {seen} destructive tests: none ran")
    problems += found if seen else ["no destructive test found: nothing was proven"]
    for problem in problems:
        print(f"guard: {problem}")
    print(f"guard: {'HOLDS' if not problems else 'BROKEN'} ({len(problems)} problem(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
