"""The pod monitor as a Robot Framework listener (API version 3)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn
from robot.running.context import EXECUTION_CONTEXTS

from contract import constants
from libraries.common import request_ids
from libraries.pod_monitor import report
from libraries.pod_monitor.buffer import LineStore
from libraries.pod_monitor.kube_source import KubeSource, SourceUnavailable, api_client
from libraries.pod_monitor.patterns import PatternFileError, load_patterns
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
      of a test for lines still on their way (default 0.01).

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
                api_client(kubeconfig, context), namespace, self.store.add, self.store.mark_gone
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
            self.store.add,
            self.store.mark_gone,
        )
        try:
            source.start()
        except SshError as error:
            self._off(f"{api_error}, and the SSH fallback failed: {error}")
            return None
        logger.info(f"Pod monitor: {api_error}; following the pods through {source.where}")
        return source

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
        if self.source is not None:
            self.source.stop()
        if self.state != "running" or self.output_dir is None:
            return
        root = report.results_root(self.output_dir)
        try:
            report.write_summary(root, self.output_dir, {"tests": self.counts})
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
