"""``make guard``: a whole-suite production rehearsal against a twin, TLS only.

Starts a twin (``results/guard/twin``), points the *production* variable file at it through
the variables an operator exports (FOCUS_BASE_URL, MONGO_URI, ...: remote-style, still
loopback addresses, every one TLS: https, amqps, MongoDB ``tls=true``, verified against
the twin's CA as ``FOCUS_CA_BUNDLE``), and runs the whole suite with ``-v ENV:production``:
what the policy rules out (shared and disruptive tests, without ``ALLOW_SHARED``/
``ALLOW_DISRUPTIVE``) must not run at all, the rest must leave nothing behind. Then it diffs
every store against its state before the run (:mod:`scripts.run.store_diff`):

- MongoDB documents per collection: only test site ids may have appeared, none may remain;
- RabbitMQ queues, exchanges and bindings, and the messages published to the alert
  exchange (a tap queue of the guard's own) with a non-test site id: none;
- Kubernetes: no pod of before the run deleted, no workload scaled, no object left, no
  kill or scale event;
- Focus tasks: every task the run created stopped, none of others touched;
- failed logins of the real user: none (the twin's audit line ``login refused for user``);
- the focus server's access log: each request classified by the effect class of the test
  that made it (``rid=`` and ``libraries/request_origins.py``), none by a test the policy
  rules out, no write by a read-only test;
- Robot's output: every test the policy rules out skipped with nothing of it run.

It prints one table and ``guard: HOLDS`` or the rows that broke. ``--allow-shared`` is the
second pass: ``ALLOW_SHARED=production`` and only the ``shared`` tests: exactly they run,
clean up, and leave nothing.

    python -m scripts.run.production_guard                   # pass 1, the whole suite
    python -m scripts.run.production_guard --allow-shared    # pass 2, the shared tests
    python -m scripts.run.production_guard --runs 2          # twice: nothing accumulates
    python -m scripts.run.production_guard --suite robot/infrastructure/rabbitmq.robot

The rehearsal needs no ``ALLOW_PLAINTEXT``: the twin serves AMQP, the management API and
MongoDB over TLS too (``amqps_port``, ``management_https_port``, ``mongo.tls_port``), and the
production variable file gets only those. The guard's own reads of the stores (the tap,
the snapshots) stay on the plain ports: they are the rehearsal's instruments, not the suite.
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

import pika
import pika.exceptions
import pymongo
import requests
import urllib3.exceptions
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from robot.running import TestSuite

from contract import constants
from scripts.run import store_diff
from scripts.run.robot_run import run_robot
from twin import control

ROOT = Path(__file__).resolve().parents[2]

# RabbitMQ's management statistics refresh every 5 s: wait that long before reading them.
STATS_SETTLE_S = 5.5
# A stopped task's job and pod are deleted by the focus server shortly after the stop.
KUBE_SETTLE_S = 30.0
ROBOT_TIMEOUT_S = 30 * 60
TAP_QUEUE = "guard.tap"
CLEARED = (
    "ALLOW_DESTRUCTIVE",
    "ALLOW_DISRUPTIVE",
    "ALLOW_SHARED",
    "ALLOW_PLAINTEXT",
    "FOCUS_ENV",
    "FOCUS_TWIN_DIR",
)


def production_environment(endpoints: dict, secrets: dict) -> dict[str, str]:
    """What an operator exports for ``-v ENV:production``, pointing at the twin: TLS
    everywhere (the twin's TLS ports), every certificate verified against ``FOCUS_CA_BUNDLE``
    (the twin's CA), so the production rules hold without ``ALLOW_PLAINTEXT``."""
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
            f"mongodb://{mongo_auth}@{host}:{endpoints['mongo']['tls_port']}/"
            f"{constants.MONGO_DATABASE}?authSource={constants.MONGO_AUTH_SOURCE}&tls=true"
        ),
        "RABBITMQ_URL": f"amqps://{rabbit_auth}@{host}:{rabbit['amqps_port']}/%2F",
        "RABBITMQ_MGMT_URL": f"https://{host}:{rabbit['management_https_port']}",
        "KUBECONFIG": endpoints["kube"]["kubeconfig"],
        "SEGY_ROOT": str(control.workload_dir(constants.SEGY_RECORDER_WORKLOAD)),
        # The twin's jump host and worker node: the SSH suites and the pod monitor's fallback.
        "SSH_HOST": f"{host}:{endpoints['ssh']['worker_port']}",
        "SSH_JUMP_HOST": f"{host}:{endpoints['ssh']['jump_port']}",
        "SSH_USER": endpoints["ssh"]["user"],
        "SSH_KEY": endpoints["ssh"]["key"],
        "SSH_KNOWN_HOSTS": endpoints["ssh"]["known_hosts"],
    }


class Tap:
    """A queue of the guard's own, bound with ``#`` to the alert exchange before the run:
    it sees every alert published during it (``x-expires``: gone if the guard dies)."""

    def __init__(self, endpoints: dict, secrets: dict) -> None:
        rabbit = endpoints["rabbitmq"]
        self.parameters = pika.ConnectionParameters(
            host=endpoints["host"],
            port=rabbit["amqp_port"],
            virtual_host=rabbit.get("vhost", "/"),
            credentials=pika.PlainCredentials(
                secrets["rabbitmq_user"], secrets["rabbitmq_password"]
            ),
            blocked_connection_timeout=10,
            socket_timeout=10,
        )

    def _channel(self):
        connection = pika.BlockingConnection(self.parameters)
        return connection, connection.channel()

    def open(self) -> None:
        connection, channel = self._channel()
        try:
            channel.queue_declare(
                TAP_QUEUE, durable=False, arguments={"x-expires": int(ROBOT_TIMEOUT_S * 2000)}
            )
            channel.queue_purge(TAP_QUEUE)
            channel.queue_bind(TAP_QUEUE, constants.ALERT_EXCHANGE, routing_key="#")
        finally:
            connection.close()

    def drain(self) -> list[dict]:
        """Every message the tap saw, as ``{"site", "tag"}``; the tap is deleted."""
        connection, channel = self._channel()
        messages = []
        try:
            while True:
                method, properties, body = channel.basic_get(TAP_QUEUE, auto_ack=True)
                if method is None:
                    break
                if method.routing_key == constants.ALERT_REJECTED_ROUTING_KEY:
                    # The system's own copy of a message it rejected, published without the
                    # test's request id: the original was counted under its test.
                    continue
                try:
                    site = json.loads(body).get("siteId")
                except (ValueError, AttributeError):
                    site = None
                rid = str((properties.headers or {}).get("x-request-id") or "")
                messages.append({"site": site, "tag": rid.rpartition("-")[0] or None})
            channel.queue_delete(TAP_QUEUE)
        finally:
            connection.close()
        return messages


def snapshot(endpoints: dict, secrets: dict, since: datetime) -> dict:
    """Every store's state (see :mod:`scripts.run.store_diff`)."""
    api = k8s_config.new_client_from_config(config_file=endpoints["kube"]["kubeconfig"])
    try:
        kube = store_diff.kube_state(
            k8s.CoreV1Api(api), k8s.AppsV1Api(api), k8s.BatchV1Api(api), constants.K8S_NAMESPACE
        )
    finally:
        api.close()
    rabbit = endpoints["rabbitmq"]
    base = f"http://{endpoints['host']}:{rabbit['mgmt_port']}/api"
    auth = (secrets["rabbitmq_user"], secrets["rabbitmq_password"])

    def management(path: str):
        response = requests.get(f"{base}{path}", auth=auth, timeout=10)
        response.raise_for_status()
        return response.json()

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
        documents = store_diff.mongo_state(db)
        recordings = db["recordings"].count_documents(
            {"start_time": {"$lt": since}, "deleted": {"$ne": True}}
        )
    finally:
        mongo.close()
    return {
        "mongo": documents,
        "recordings_before_run": recordings,
        "rabbit": store_diff.rabbit_state(management),
        "kube": kube,
    }


def _log_offsets(logs: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in logs.glob("*focus-server*.log")}


def _new_lines(logs: Path, offsets: dict[Path, int]) -> list[str]:
    """The focus server's log lines written since ``offsets`` (every pod of it)."""
    lines = []
    for path in sorted(logs.glob("*focus-server*.log")):
        if "grpc" in path.name:
            continue
        with open(path, "rb") as handle:
            handle.seek(offsets.get(path, 0))
            lines += handle.read().decode("utf-8", errors="replace").splitlines()
    return lines


def robot_rows(output: Path, allowed: tuple[str, ...]) -> list[store_diff.Row]:
    """Every test the policy rules out skipped with nothing of it run; the others passed."""
    root = ET.parse(output).getroot()
    counts: dict[str, dict[str, int]] = {e: {} for e in store_diff.EFFECTS}
    ran_refused, failed, not_run = [], [], []
    for test in root.iter("test"):
        effect = store_diff.effect_of(tag.text or "" for tag in test.findall("tag"))
        status = test.find("status")
        state = status.get("status", "") if status is not None else "NOT RUN"
        said = "" if status is None else status.text or ""
        counts[effect][state] = counts[effect].get(state, 0) + 1
        name = test.get("name")
        if effect not in allowed:
            ran = [kw.get("name", "") for kw in test.iter("kw")]
            if state != "SKIP" or ran:
                ran_refused.append(
                    f"'{name}' ({effect}) {state}, ran {', '.join(ran[:3]) or 'nothing'}"
                )
        elif state == "FAIL":
            failed.append(f"'{name}' ({effect}): {said[:100]}")
        elif state == "SKIP" and effect == "shared":  # pass 2: the allowance lets them run
            not_run.append(f"'{name}' skipped: {said[:100]}")
    seen = sum(sum(c.values()) for c in counts.values())
    summary = "; ".join(
        f"{effect}: " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(c.items()))
        for effect, c in counts.items()
        if c
    )
    rows = [
        store_diff.Row("robot: tests the policy rules out ran nothing", seen, ran_refused, summary),
        store_diff.Row("robot: the tests that ran passed", seen, failed),
    ]
    if "shared" in allowed:
        shared = sum(counts["shared"].values())
        rows.append(store_diff.Row("robot: every shared test ran (ALLOW_SHARED)", shared, not_run))
    return rows


def _names(suite: ET.Element, parents: tuple[str, ...] = ()) -> list[tuple[str, list[str], str]]:
    """(long name, tags, status) of every test under an output.xml ``<suite>``."""
    here = (*parents, suite.get("name", ""))
    found = []
    for test in suite.findall("test"):
        status = test.find("status")
        found.append(
            (
                ".".join((*here, test.get("name", ""))),
                [tag.text or "" for tag in test.findall("tag")],
                "NOT RUN" if status is None else status.get("status", ""),
            )
        )
    for child in suite.findall("suite"):
        found += _names(child, here)
    return found


def shared_catalog(suites: list[str], tests: list[str]) -> set[str]:
    """The long names of the tests tagged ``shared`` (as their strongest effect) in
    ``suites``, read from the test data (no run, no library import): what pass 2 must run,
    found independently of its ``--include shared``."""
    suite = TestSuite.from_file_system(*suites)
    suite.filter(included_tests=tests or None, excluded_tags=["nightly"])
    return {
        test.full_name for test in suite.all_tests if store_diff.effect_of(test.tags) == "shared"
    }


def exactly_shared_row(output: Path, catalog: set[str]) -> store_diff.Row:
    """Pass 2: the tests that ran are exactly the catalog's shared tests: none missing, none
    other."""
    root = ET.parse(output).getroot()
    top = root.find("suite")
    ran = {
        name: (tags, status)
        for name, tags, status in ([] if top is None else _names(top))
        if status != "SKIP" or store_diff.effect_of(tags) == "shared"
    }
    broken = [f"'{name}' (shared) is not in the run" for name in sorted(catalog - set(ran))]
    broken += [
        f"'{name}' ({store_diff.effect_of(tags)}) ran {status}, but is not a shared test"
        for name, (tags, status) in sorted(ran.items())
        if name not in catalog
    ]
    return store_diff.Row(
        "robot: exactly the shared tests ran, no other (ALLOW_SHARED)", len(catalog), broken
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "guard")
    parser.add_argument("--suite", action="append", default=[], help="instead of robot/")
    parser.add_argument("--test", action="append", default=[], help="only these tests (robot)")
    parser.add_argument(
        "--processes", type=int, default=4, help="pabot processes (1: plain robot); default 4"
    )
    parser.add_argument(
        "--allow-shared",
        action="store_true",
        help="pass 2: ALLOW_SHARED=production and only the shared tests",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="run the pass N times against the same twin, each diffed against the state it "
        "found (nothing accumulates); default 1",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    name = "shared" if args.allow_shared else "whole"
    os.environ["FOCUS_TWIN_DIR"] = str(args.outputdir.resolve() / "twin")
    os.environ[control.BUGS_ENV_VAR] = ""
    allowed = ("read-only", "own-data") + (("shared",) if args.allow_shared else ())
    suites = [str(ROOT / s) for s in args.suite] or [str(ROOT / "robot")]
    started = time.monotonic()
    verdicts = []
    try:
        control.down()
        control.up(owners=[os.getpid()], timeout=120)
        endpoints, secrets = control.endpoints(), control.secrets()
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        # pabot starts `robot` from PATH: this interpreter's.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(production_environment(endpoints, secrets))  # TLS only: no ALLOW_PLAINTEXT
        if args.allow_shared:
            env["ALLOW_SHARED"] = "production"
        for number in range(1, args.runs + 1):
            outdir = args.outputdir.resolve() / (name if number == 1 else f"{name}-{number}")
            outdir.mkdir(parents=True, exist_ok=True)
            if args.runs > 1:
                print(f"guard: run {number} of {args.runs}, against the state the last one left")
            verdicts.append(
                _rehearse(args, outdir, suites, allowed, endpoints, secrets, env, started)
            )
    except (control.TwinError, subprocess.TimeoutExpired, OSError, ValueError) as error:
        print(f"guard: the run failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    except (
        pika.exceptions.AMQPError,
        requests.RequestException,
        pymongo.errors.PyMongoError,
        urllib3.exceptions.HTTPError,
        k8s.ApiException,
    ) as error:
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"guard: a store could not be read: {type(error).__name__}: {first}", file=sys.stderr)
        if not control.is_up():
            print(f"guard: the twin stopped during the run: {_last_twin_line()}", file=sys.stderr)
        return 2
    except NoRobotOutput as error:
        print(f"guard: no Robot output: {error}", file=sys.stderr)
        return 2
    finally:
        control.down()
    return max(verdicts)


def _last_twin_line() -> str:
    """The supervisor's last line (why a leased twin stopped, for one)."""
    log = control.twin_dir() / "logs" / "supervisor.log"
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return f"no {log}"
    return f"{lines[-1] if lines else '(empty)'} ({log})"


class NoRobotOutput(Exception):
    """The run wrote no readable output.xml."""


def _rehearse(
    args: argparse.Namespace,
    outdir: Path,
    suites: list[str],
    allowed: tuple[str, ...],
    endpoints: dict,
    secrets: dict,
    env: dict,
    started: float,
) -> int:
    """One run of the pass against the twin as it is now: its table and verdict (0 or 1)."""
    origins_file = outdir / "request-origins.jsonl"
    origins_file.unlink(missing_ok=True)
    logs = control.twin_dir() / "logs"
    since = datetime.now(UTC)
    tap = Tap(endpoints, secrets)
    tap.open()
    before = snapshot(endpoints, secrets, since)
    offsets = _log_offsets(logs)
    options = ["-v", "ENV:production", "--exclude", "nightly"]
    options += ["--listener", f"libraries.request_origins.RequestOrigins:{origins_file}"]
    if args.allow_shared:
        options += ["--include", "shared"]
    for name in args.test:
        options += ["--test", name]
    print(
        f"guard: {'ALLOW_SHARED=production ' if args.allow_shared else ''}"
        f"{'pabot --processes ' + str(args.processes) if args.processes > 1 else 'robot'} "
        f"{' '.join(o for o in options if 'request_origins' not in o)} "
        f"{' '.join(args.suite) or 'robot/'} ({outdir}); TLS only: https, amqps, MongoDB "
        "tls=true, verified against the twin's CA"
    )
    ran = time.monotonic()
    run_robot(options, outdir, env, ROBOT_TIMEOUT_S, suites=suites, processes=args.processes)
    ran = time.monotonic() - ran
    time.sleep(STATS_SETTLE_S)
    after = _settled(endpoints, secrets, since, before)
    messages = tap.drain()
    lines = _new_lines(logs, offsets)

    run = store_diff.Run(
        before=before,
        after=after,
        messages=messages,
        access=store_diff.access_log(lines),
        logins=store_diff.refused_logins(lines),
        tests=store_diff.origins(origins_file),
        real_site=constants.SITE_ID,
        real_user=secrets["focus_user"],
        allowed=allowed,
        ignored_queues=(TAP_QUEUE,),
    )
    rows, by_effect = store_diff.rules(run)
    rows.append(
        store_diff.Row(
            "request origins: every test that ran recorded (requests classified)",
            len(run.tests),
            [] if run.tests else ["no test recorded: the request-origin listener did not run"],
        )
    )
    rows.append(
        store_diff.recordings_row(
            run, before["recordings_before_run"], after["recordings_before_run"]
        )
    )
    try:
        rows += robot_rows(outdir / "output.xml", allowed)
        if args.allow_shared:
            catalog = shared_catalog(suites, args.test)
            rows.append(exactly_shared_row(outdir / "output.xml", catalog))
    except (OSError, ET.ParseError) as error:
        raise NoRobotOutput(str(error)) from None
    print(store_diff.table(rows, by_effect))
    broken = [row for row in rows if not row.holds]
    total = time.monotonic() - started
    print(f"guard: robot took {ran:.0f} s, the whole rehearsal {total:.0f} s")
    print(
        f"guard: {'HOLDS' if not broken else 'BROKEN'}"
        + (f" ({len(broken)} row(s))" if broken else "")
    )
    return 1 if broken else 0


def _settled(endpoints: dict, secrets: dict, since: datetime, before: dict) -> dict:
    """The state after the run, once the stopped tasks' jobs are gone (at most
    ``KUBE_SETTLE_S``): what is still there then was left behind."""
    deadline = time.monotonic() + KUBE_SETTLE_S
    while True:
        after = snapshot(endpoints, secrets, since)
        left = set(after["kube"]["objects"]) - set(before["kube"]["objects"])
        if not left or time.monotonic() > deadline:
            return after
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
