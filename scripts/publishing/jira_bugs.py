"""File Jira bugs for failed critical tests, without duplicates (on the ``jira`` package).

    jira_bugs.py [OUTPUT_XML ...] [--tag critical] [--project PZ] [--environment E]
                 [--run-url URL] [--dry-run | --create]

For each failed test tagged ``critical`` (``--tag``/``JIRA_BUG_TAG``) it computes a
fingerprint from the test's identity (its suite file below ``robot/`` and its name) and its
failure message normalised (``rebot --merge`` notes, HTML, timestamps, uuids, ids and
numbers stripped), so the same failure has the same fingerprint after a merge, a rerun or a
pabot run. It searches by JQL for an open Bug labelled with it (Jira Cloud:
``/rest/api/3/search/jql``; Server/DC: ``/rest/api/2/search``). If one exists it comments on it
with this run's link; otherwise it creates a Bug with the summary, the failure message, a log
excerpt, the pod-log excerpt, the environment and the Xray test key.

Jira Cloud's search is eventually consistent (Atlassian, "Search After Write with Search And
Reconcile"): a Bug created a moment ago may not be found. The ids of the Bugs this machine
created recently are kept in ``<workdir>/created-bugs.json`` and sent as ``reconcileIssues``
(at most 50), which makes the search see them.

``--dry-run`` (the default unless JIRA_CREATE_BUGS=1) prints what it would do and changes
nothing; with credentials it still searches, so it can say "would comment on PZ-123".

Jira Cloud:  JIRA_URL, JIRA_USER (the account e-mail), JIRA_API_TOKEN
Server / DC: JIRA_URL, JIRA_TOKEN (a personal access token)
Optional:    JIRA_PROJECT_KEY (default XRAY_PROJECT_KEY, then PZ), JIRA_BUG_TAG,
             XRAY_TEST_ENVIRONMENTS (the environment), XRAY_RUN_URL / BUILD_URL / GitHub run
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import requests
from jira import JIRA, JIRAError

from libraries.common.redact import redact
from scripts.publishing.http import error_text
from scripts.publishing.results import ResultsError, RunTest, collect, load, merge
from scripts.publishing.xray_model import ci_context

DEFAULT_OUTPUT = Path("results/regression/output.xml")
LABEL_PREFIX = "robot-fp-"
TIMEOUT = (10, 60)

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b"
    r"|\b\d{8} \d{2}:\d{2}:\d{2}(\.\d+)?\b"
    r"|\b\d{2}:\d{2}:\d{2}(\.\d+)?\b"
)
_HEX = re.compile(r"\b0x[0-9a-f]+\b", re.I)
# Any word with a digit in it: numbers, ids (task-3f2a, pz-test-ab12), ports, durations.
_WITH_DIGIT = re.compile(r"[A-Za-z0-9_.:-]*\d[A-Za-z0-9_.:-]*")
_TAG = re.compile(r"<[^>]+>")
# rebot --merge rewrites a merged test's message (Robot Framework 7): keep the new message.
_MERGED_NEW = re.compile(
    r'<span class="new-message">New message:</span>\s*(.*?)\s*(?:<br>)?\s*(?:<hr>|$)', re.S
)
_MERGE_NOTES = (
    "Test has been re-executed and results merged.",
    "Re-executed test has been merged.",
    "Test added from merged output.",
)


def failure_text(message: str) -> str:
    """The failure as the test reported it: without ``*HTML*``, tags and merge notes."""
    text = message
    if text.startswith("*HTML*"):
        text = text[len("*HTML*") :]
        merged = _MERGED_NEW.search(text)
        if merged:
            text = merged.group(1)
        text = html.unescape(_TAG.sub(" ", text))
    for note in _MERGE_NOTES:
        text = text.replace(note, " ")
    return redact(" ".join(text.split()))


def normalise(message: str) -> str:
    """The failure message with merge notes, HTML, uuids, timestamps, hex, ids and numbers
    replaced: what stays is the kind of failure."""
    text = failure_text(message)
    text = _UUID.sub("<uuid>", text)
    text = _TIMESTAMP.sub("<time>", text)
    text = _HEX.sub("<hex>", text)
    text = _WITH_DIGIT.sub("<n>", text)
    return " ".join(text.split())


def identity(test: RunTest) -> str:
    """The test, the same wherever and however it ran: its suite file below the last
    ``robot/`` directory (else the file name; else the suite path without the top suite,
    whose name depends on how the run was started) and its name."""
    source = test.source.replace("\\", "/")
    if source:
        where = source.rsplit("/robot/", 1)[1] if "/robot/" in source else source.rsplit("/", 1)[-1]
    else:
        where = test.suite_full_name.split(".", 1)[-1]
    return f"{where}::{test.name}"


def fingerprint(test: RunTest) -> str:
    """``robot-fp-`` and 12 hex digits: the same test failing the same way, the same label."""
    basis = f"{identity(test)}\n{normalise(test.message)}"
    return LABEL_PREFIX + hashlib.sha256(basis.encode()).hexdigest()[:12]


class BugsError(RuntimeError):
    """One line, redacted."""


@dataclass
class Settings:
    url: str
    project: str
    tag: str
    environment: str
    run_url: str
    create: bool
    user: str = ""
    api_token: str = ""
    pat: str = ""

    @property
    def cloud(self) -> bool:
        return bool(self.user and self.api_token)

    @property
    def has_credentials(self) -> bool:
        return bool(self.url and (self.cloud or self.pat))

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.api_token, self.pat) if s]


def _adf(*blocks: tuple[str, str]) -> dict:
    """An Atlassian Document (Jira Cloud's v3 API): ("p", text) paragraphs, ("code", text)."""
    content = []
    for kind, text in blocks:
        if not text:
            continue
        node = {"type": "text", "text": text}
        if kind == "code":
            content.append({"type": "codeBlock", "attrs": {}, "content": [node]})
        else:
            content.append({"type": "paragraph", "content": [node]})
    return {"type": "doc", "version": 1, "content": content}


def _wiki(*blocks: tuple[str, str]) -> str:
    """The same as Jira wiki markup (Server/DC's v2 API)."""
    parts = []
    for kind, text in blocks:
        if text:
            parts.append(f"{{noformat}}\n{text}\n{{noformat}}" if kind == "code" else text)
    return "\n\n".join(parts)


class Ledger:
    """The Bugs this machine created recently (label -> issue id), newest last: their ids go
    to Jira Cloud's search as ``reconcileIssues`` (at most 50, Atlassian's limit)."""

    LIMIT = 50

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.entries: dict[str, str] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def ids(self) -> list[int]:
        return [int(i) for i in list(self.entries.values())[-self.LIMIT :] if str(i).isdigit()]

    def add(self, label: str, issue_id: str) -> None:
        self.entries.pop(label, None)
        self.entries[label] = issue_id
        keep = list(self.entries.items())[-self.LIMIT :]
        self.entries = dict(keep)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.entries, indent=1) + "\n")


class Bugs:
    def __init__(self, settings: Settings, jira: JIRA | None, ledger: Ledger | None = None) -> None:
        self.settings = settings
        self.jira = jira
        self.ledger = ledger

    def _doc(self, *blocks: tuple[str, str]):
        return _adf(*blocks) if self.settings.cloud else _wiki(*blocks)

    def summary(self, test: RunTest) -> str:
        first = (failure_text(test.message).splitlines() or ["failed"])[0]
        return f"[robot] {test.name}: {first}"[:250]

    def description(self, test: RunTest, label: str):
        pods = "\n\n".join(
            f"--- {pod} ---\n" + "\n".join(text.splitlines()[-50:])
            for pod, text in test.pod_logs.items()
        )
        s = self.settings
        return self._doc(
            ("p", f"Robot Framework test '{test.full_name}' failed."),
            ("p", "Failure message:"),
            ("code", failure_text(test.message)),
            ("p", "Log excerpt:" if test.log_lines else ""),
            ("code", "\n".join(test.log_lines)),
            ("p", "Pod-log excerpt:" if pods else ""),
            ("code", pods),
            ("p", f"Environment: {s.environment or 'not given'}"),
            ("p", f"Xray test: {', '.join(test.keys) or 'none (the test has no key tag)'}"),
            ("p", f"Run: {s.run_url}" if s.run_url else ""),
            ("p", f"Fingerprint: {label} (the bug filer finds this bug again by it)"),
        )

    def comment(self, test: RunTest):
        s = self.settings
        return self._doc(
            ("p", f"Failed again in {s.run_url or 'a later run'} ({s.environment or 'no env'})."),
            ("code", failure_text(test.message)),
        )

    def find_open(self, label: str) -> str | None:
        if self.jira is None:  # handle() answers a dry run before it asks
            raise BugsError("no Jira connection: a dry run cannot search")
        jql = (
            f'project = "{self.settings.project}" AND issuetype = Bug AND labels = "{label}"'
            " AND statusCategory != Done ORDER BY created DESC"
        )
        if self.settings.cloud:
            # search/jql is eventually consistent: reconcile the Bugs created here lately.
            found = self.jira.enhanced_search_issues(
                jql,
                maxResults=1,
                fields="summary,labels,status",
                reconcileIssues=(self.ledger.ids() if self.ledger else None) or None,
                use_post=True,
            )
        else:
            found = self.jira.search_issues(jql, maxResults=1, fields="summary,labels,status")
        return found[0].key if found else None

    def handle(self, test: RunTest) -> str:
        label = fingerprint(test)
        who = f"{test.full_name} [{label}]"
        if self.jira is None:
            return (
                f"{who}: would search for an open Bug labelled {label}, then comment on it or"
                f" create '{self.summary(test)}' (dry run without Jira credentials)"
            )
        existing = self.find_open(label)
        if not self.settings.create:
            if existing:
                return f"{who}: would comment on {existing} (dry run)"
            return f"{who}: would create a Bug '{self.summary(test)}' (dry run)"
        if existing:
            self.jira.add_comment(existing, self.comment(test))
            return f"{who}: commented on {existing}"
        fields = {
            "project": {"key": self.settings.project},
            "issuetype": {"name": "Bug"},
            "summary": self.summary(test),
            "description": self.description(test, label),
            "labels": [label, "robot-framework"],
        }
        issue = self.jira.create_issue(fields=fields, prefetch=False)
        if self.ledger is not None:
            self.ledger.add(label, str(issue.id))
        return f"{who}: created {issue.key}"


def settings_from(args: argparse.Namespace, env: dict[str, str]) -> Settings:
    create = args.create or (env.get("JIRA_CREATE_BUGS") == "1" and not args.dry_run)
    ctx = ci_context(env)
    return Settings(
        url=env.get("JIRA_URL", ""),
        project=args.project or env.get("JIRA_PROJECT_KEY") or env.get("XRAY_PROJECT_KEY") or "PZ",
        tag=args.tag or env.get("JIRA_BUG_TAG") or "critical",
        environment=args.environment or env.get("XRAY_TEST_ENVIRONMENTS") or env.get("ENV", ""),
        run_url=args.run_url or ctx["run_url"],
        create=create,
        user=env.get("JIRA_USER", ""),
        api_token=env.get("JIRA_API_TOKEN", ""),
        pat=env.get("JIRA_TOKEN", ""),
    )


def connect(settings: Settings, **options) -> JIRA:
    logging.getLogger("jira").disabled = True  # its warnings may carry URLs and bodies
    jira_options: dict[str, str | bool] = {"server": settings.url, "check_update": False}
    if settings.cloud:
        jira_options["rest_api_version"] = "3"  # /rest/api/3/search/jql
    return JIRA(
        options=jira_options,
        timeout=options.get("timeout", TIMEOUT),
        max_retries=options.get("max_retries", 3),
        basic_auth=(settings.user, settings.api_token) if settings.cloud else None,
        token_auth=None if settings.cloud else settings.pat,
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jira_bugs.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("outputs", nargs="*", type=Path)
    parser.add_argument("--tag", help="only failed tests with this tag (default critical)")
    parser.add_argument("--project", help="Jira project key")
    parser.add_argument("--environment", help="the environment the run was against")
    parser.add_argument("--run-url", help="link to this run (default: from CI variables)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print, change nothing (default)")
    mode.add_argument("--create", action="store_true", help="comment and create for real")
    parser.add_argument("--workdir", type=Path, default=Path("results/jira"))
    return parser.parse_args(argv)


def run(argv: list[str], env: dict[str, str], **options) -> int:
    args = parse(argv)
    settings = settings_from(args, env)
    outputs = args.outputs or [DEFAULT_OUTPUT]
    # Several outputs (regression + nightly): one that a failed stage did not write is skipped.
    present = [o for o in outputs if o.is_file()] or outputs[:1]
    for output in outputs:
        if output not in present:
            print(f"jira: {output} does not exist; skipped")
    for output in present:
        load(output)
    merged = merge(present, args.workdir / "merged.xml")
    tests = collect(merged, settings.project, evidence_dirs=[o.parent for o in present])
    tag = settings.tag.lower()
    failed = [t for t in tests if t.status == "FAIL" and tag in (x.lower() for x in t.tags)]
    if settings.create and not settings.has_credentials:
        raise BugsError(
            "JIRA_CREATE_BUGS=1 needs JIRA_URL and JIRA_USER + JIRA_API_TOKEN (Cloud)"
            " or JIRA_TOKEN (Server/DC)"
        )
    jira = connect(settings, **options) if failed and settings.has_credentials else None
    bugs = Bugs(settings, jira, Ledger(args.workdir / "created-bugs.json"))
    for test in failed:
        print(f"jira: {bugs.handle(test)}")
    mode = "" if settings.create else " (dry run: set JIRA_CREATE_BUGS=1 to file them)"
    print(f"jira: {len(failed)} failed '{settings.tag}' test(s) of {len(tests)}{mode}")
    return 0


def main(argv: list[str] | None = None, env: dict[str, str] | None = None, **options) -> int:
    env = dict(os.environ if env is None else env)
    secrets = [env.get("JIRA_API_TOKEN", ""), env.get("JIRA_TOKEN", "")]
    try:
        return run(sys.argv[1:] if argv is None else argv, env, **options)
    except (BugsError, ResultsError) as error:
        print(f"jira: {redact(str(error), secrets)}", file=sys.stderr)
        return 2
    except JIRAError as error:  # str(error) would include the request headers: never print it
        detail = error_text(error.response) if error.response is not None else error.text
        where = re.sub(r"^https?://[^/]+", "", error.url or "")
        line = f"jira: HTTP {error.status_code} from {where}: {detail}"
        if error.status_code == 401:
            line += " (the credentials were refused; they are not shown here)"
        print(redact(line, secrets), file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(
            redact(f"jira: could not reach {env.get('JIRA_URL')}: {type(error).__name__}", secrets),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
