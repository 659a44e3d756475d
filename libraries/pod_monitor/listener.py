"""The pod monitor as a Robot Framework listener (API version 3)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import requests
from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn
from robot.running.context import EXECUTION_CONTEXTS

from contract import constants
from libraries.common import request_ids
from libraries.pod_monitor import report
from libraries.pod_monitor.buffer import LineStore
from libraries.pod_monitor.kube_source import KubeSource, SourceUnavailable, api_client
from libraries.pod_monitor.patterns import PatternFileError, load_patterns
from libraries.pod_monitor.probe import FALLBACK, RequestIdProbe
from libraries.pod_monitor.ssh_source import SshSource
from libraries.ssh.client import SshError, connect_worker

TAG = "pod-errors"
STATS_FILE = "pod_monitor_stats.json"
EXPECTED_TAG = "pod-errors-expected"
_TRUE = ("1", "true", "yes", "on")


def _flag(value: str | bool) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE


class PodMonitor:
    """Follows every pod's log in the namespace and files each test's lines under the test.

    Use: ``robot --listener libraries.pod_monitor.PodMonitor robot/`` (the make targets
    do). Options are listener arguments, ``name=value`` separated by ``:``, e.g.
    ``--listener libraries.pod_monitor.PodMonitor:fail_on_errors=true:passing=false``:

    - ``namespace``: the pods' namespace (default ``${K8S_NAMESPACE}``, else ``panda``);
    - ``patterns``: the error patterns YAML (default ``variables/pod_error_patterns.yaml``);
    - ``passing``: whether passing tests get their logs (files and log.html), default true;
      failing tests, and tests with error lines, always get them;
    - ``fail_on_errors``: a passing test during which an error line appears fails
      (default false: it gets a warning and the tag ``pod-errors``);
    - ``kubeconfig``, ``context``: default ``${KUBECONFIG}`` and ``${KUBE_CONTEXT}``;
    - ``max_lines``: lines kept per pod (default 5000); ``shown``: lines per pod in
      log.html (default 200; the file has all); ``settle``: seconds to wait at the end
      of a test for lines still on their way (default 0.01); ``probe_timeout``: seconds
      to wait for the access line of the start-of-run probe (default 10).

    At the start of a run it checks its own input: lines are filed under the test that
    caused them by the request id the system writes into them. It sends one probe request
    with an id (``libraries/pod_monitor/probe.py``) and looks for its access line; when
    the line lacks the id (or never comes), it logs one warning, "attribution by time
    window only: ...", and ``pod_logs/summary.txt`` says so.

    A test tagged ``pod-errors-expected`` (it provokes errors on purpose) gets its
    excerpt with the error lines highlighted, but no warning, tag or failure.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(
        self,
        namespace: str = "",
        patterns: str = "",
        passing: str = "true",
        fail_on_errors: str = "false",
        kubeconfig: str = "",
        context: str = "",
        max_lines: str = "5000",
        shown: str = "200",
        settle: str = "0.01",
        probe_timeout: str = "10",
    ) -> None:
        self.namespace = namespace
        self.passing = _flag(passing)
        self.fail_on_errors = _flag(fail_on_errors)
        self.kubeconfig = kubeconfig
        self.context = context
        self.shown = int(shown)
        self.settle = float(settle)
        try:
            store = LineStore(load_patterns(patterns or None), int(max_lines))
        except PatternFileError as error:
            logger.warn(f"Pod monitor is off: {error}")
            store = None
        self.store: LineStore | None = store
        self.source: KubeSource | SshSource | None = None
        self.state = "idle"  # idle -> running | off
        self.test_number = 0
        self.test_start_ns = 0
        self.window_pending = False
        self.counts: dict[str, dict[str, int]] = {}
        self.output_dir: Path | None = None
        self.probe_timeout = float(probe_timeout)
        self.probe: RequestIdProbe | None = None
        self.probe_reported = False
        self.notes: list[dict] = []

    # ------------------------------------------------------------------ start
    def _variable(self, name: str) -> str | None:
        value = BuiltIn().get_variable_value(f"${{{name}}}")
        return str(value) if value not in (None, "") else None

    def _start(self) -> None:
        """Start following at the first test: the environment's variables are set by then."""
        if self.store is None:
            self.state = "off"
            return
        namespace = self.namespace or self._variable("K8S_NAMESPACE") or constants.K8S_NAMESPACE
        kubeconfig = self.kubeconfig or self._variable("KUBECONFIG") or os.environ.get("KUBECONFIG")
        context = self.context or self._variable("KUBE_CONTEXT")
        self.output_dir = Path(self._variable("OUTPUT DIR") or ".").resolve()
        if not kubeconfig:
            self._off("no kubeconfig: set KUBECONFIG or pass kubeconfig= to the listener")
            return
        try:
            source = KubeSource(
                api_client(kubeconfig, context), namespace, self._line, self.store.mark_gone
            )
            source.start()
        except SourceUnavailable as error:
            source = self._through_ssh(namespace, str(error))
            if source is None:
                return
        except Exception as error:
            reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
            self._off(f"cannot use kubeconfig {kubeconfig}: {reason}")
            return
        self.source = source
        self.state = "running"
        logger.info(f"Pod monitor: following the pods of {source.where}")
        self._start_probe()

    def _through_ssh(self, namespace: str, api_error: str) -> SshSource | None:
        """The API is unreachable from here: follow through kubectl on the worker node."""
        host, user, key = (self._variable(n) for n in ("SSH_HOST", "SSH_USER", "SSH_KEY"))
        if not (host and user and key):
            self._off(api_error)
            return None
        jump, known_hosts = self._variable("SSH_JUMP_HOST"), self._variable("SSH_KNOWN_HOSTS")
        source = SshSource(
            lambda: connect_worker(host, user, key, jump, known_hosts, timeout=10),
            namespace,
            self._line,
            self.store.mark_gone,
        )
        try:
            source.start()
        except SshError as error:
            self._off(f"{api_error}, and the SSH fallback failed: {error}")
            return None
        logger.info(f"Pod monitor: {api_error}; following the pods through {source.where}")
        return source

    def _line(self, pod: str, ns: int, text: str) -> None:
        """A line from a source: buffered, and shown to the probe while it waits."""
        self.store.add(pod, ns, text)
        if self.probe is not None and self.probe.verdict is None:
            self.probe.see(text)

    def _start_probe(self) -> None:
        """Send the request-id probe to the Focus Server (its verdict comes in a thread)."""
        base_url = self._variable("FOCUS_BASE_URL")
        if not base_url:
            logger.info("Pod monitor: no FOCUS_BASE_URL, request ids in access lines not checked")
            return
        verify: str | bool = self._variable("CA_BUNDLE") or True
        timeout = self.probe_timeout

        def send(path: str, request_id: str) -> None:
            with requests.Session() as session:
                session.trust_env = False  # REQUESTS_CA_BUNDLE would beat verify
                session.get(
                    base_url.rstrip("/") + path,
                    headers={request_ids.HTTP_HEADER: request_id},
                    verify=verify,
                    timeout=timeout,
                    allow_redirects=False,
                )

        self.probe = RequestIdProbe(send, timeout=timeout)
        self.probe.start()

    def _report_probe(self, wait: float = 0.0) -> None:
        """Once the probe has its verdict: one warning when lines lack request ids."""
        if self.probe is None or self.probe_reported:
            return
        verdict = self.probe.wait(wait)
        if verdict is None:
            return
        self.probe_reported = True
        if not verdict:
            logger.info("Pod monitor: access lines carry request ids; lines go to their test")
            return
        self.notes.append({"attribution": FALLBACK, "reason": verdict})
        logger.warn(
            f"Pod monitor: {FALLBACK}: {verdict}. A test gets every line written during its "
            "time, also lines that another test (another pabot process) caused."
        )

    def _off(self, reason: str) -> None:
        self.state = "off"
        logger.warn(f"Pod monitor is off for this run: {reason}. Tests run on without pod logs.")

    # ------------------------------------------------------------------ tests
    def start_test(self, data, result) -> None:
        context = EXECUTION_CONTEXTS.current
        if context is None or context.dry_run:
            return
        if self.state == "idle":
            self._start()
        self._report_probe()
        self.test_number += 1
        request_ids.set_current(request_ids.test_tag(self.test_number))
        # The window opens with the test's first keyword, not here: other listeners (the
        # system lock) may still make the test wait, and what another process's test
        # does meanwhile is not this test's business.
        self.test_start_ns = time.time_ns()
        self.window_pending = True

    def start_keyword(self, data, result) -> None:
        if self.window_pending:
            self.window_pending = False
            self.test_start_ns = time.time_ns()

    def end_test(self, data, result) -> None:
        request_ids.set_current(None)
        self._report_probe()
        if self.window_pending:  # a test without keywords: its window is its end
            self.window_pending = False
            self.test_start_ns = time.time_ns()
        if self.state != "running" or self.store is None or self.output_dir is None:
            return
        end_ns = time.time_ns()
        if self.settle > 0:
            time.sleep(self.settle)
        excerpts = self.store.select(
            self.test_start_ns, end_ns, request_ids.process_prefix(), self.test_number
        )
        self.store.note_peak()
        self.store.prune(self.test_start_ns)
        if not excerpts:
            return
        counts = report.error_counts(excerpts)
        if counts:
            self.counts[result.full_name] = {f"{p}|{n}": c for (p, n), c in counts.items()}
        if not (self.passing or counts or not result.passed):
            return
        root = report.results_root(self.output_dir)
        paths = report.write_test_logs(root, result.parent.full_name, result.name, excerpts)
        log_dir = Path(self._variable("LOG FILE") or self.output_dir / "log.html").parent
        logger.info(report.excerpt_html(excerpts, paths, log_dir, self.shown), html=True)
        if counts and result.passed and EXPECTED_TAG not in result.tags:
            self._flag_errors(result, counts)

    def _flag_errors(self, result, counts: Counter) -> None:
        found = ", ".join(
            f"{pattern} in {pod} ({count})" for (pod, pattern), count in sorted(counts.items())
        )
        text = f"Error lines in pod logs during '{result.name}': {found}"
        if self.fail_on_errors:
            result.status = "FAIL"
            result.message = text
        else:
            result.tags.add(TAG)
            logger.warn(text)

    # ------------------------------------------------------------------ end
    def close(self) -> None:
        self._report_probe(wait=self.probe_timeout)
        if self.source is not None:
            self.source.stop()
        if self.state != "running" or self.output_dir is None:
            return
        root = report.results_root(self.output_dir)
        try:
            report.write_summary(root, self.output_dir, {"tests": self.counts, "notes": self.notes})
            stats = {**self.store.stats(), "tests": self.test_number}
            (self.output_dir / STATS_FILE).write_text(json.dumps(stats))
        except OSError:
            return
        if self.counts:
            tests = len(self.counts)
            logger.console(
                f"Pod monitor: error lines in the pod logs of {tests} test"
                f"{'s' if tests != 1 else ''}; see {root / 'pod_logs' / 'summary.txt'}"
            )
