"""What Xray makes of an uploaded Robot Framework output.xml, as Xray's documentation says.

Every rule cites its page. Where a page was not available in full through the research
tools, the rule says so and what the stand-in does instead; nothing here is taken from the
client it checks.

Pages:

- [ROBOT] "Taking advantage of Robot XML reports", Xray Cloud and Xray Server/DC:
  https://docs.getxray.app/display/XRAYCLOUD/Taking+advantage+of+Robot+XML+reports
  https://docs.getxray.app/display/XRAY/Taking+Advantage+of+Robot+XML+Reports
- [MAPPING] "How results are mapped to Test entities" (Xray docs, page 76982723):
  https://docs.getxray.app/pages/diffpages.action?pageId=76982723&originalId=68411481
- [TESTRUNS] "Test Runs - REST" (Xray Server/DC): a Test Run is found by its Test Execution
  and its Test issue: https://docs.getxray.app/display/XRAY/Test+Runs+-+REST
- [REQ-ERROR] Xray Server's answer to a key that is neither a requirement nor an issue, as
  reported in https://github.com/Xray-App/xray-junit-extensions/issues/28 (JUnit import).
- [PABOT594] https://github.com/mkorpela/pabot/issues/594: a team's Xray did not read Robot
  Framework 7's output (schema 5) and needed ``--legacyoutput``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

# Robot statuses and the Test Run statuses Xray gives them. [ROBOT] shows PASS and FAIL on
# its example; SKIP is read from Robot Framework 4 on ("Starting from version 5.0.0, Xray
# supports output format from Robot Framework 4.0, including new features such as the SKIP
# status", Xray Server page). The stored copy does not show Xray's name for a skipped run:
# the stand-in keeps Robot's word.
STATUSES = {"PASS": "PASSED", "FAIL": "FAILED", "SKIP": "SKIP", "NOT RUN": "TODO"}


class ImportRefused(Exception):
    """The whole import is refused with HTTP 400 and ``{"error": message}``."""


@dataclass
class RobotTest:
    name: str
    suites: list[str]
    tags: list[str]
    status: str
    html: str = ""

    @property
    def definition(self) -> str:
        """[ROBOT] "Entities": the Generic Test Definition holds the concatenated names of the
        test suites along with the test's name. The stored copy of the page stops at "Note
        that the Robot Framework considers the base folder ..."; the stand-in joins the names
        with dots, the way Robot names a test in its own output (``Robot.Api.A test``)."""
        return ".".join([*self.suites, self.name])


@dataclass
class Parsed:
    tests: list[RobotTest] = field(default_factory=list)
    schema_version: int | None = None
    generator: str = ""


def parse(data: bytes, *, newest_schema: int | None = None) -> Parsed:
    """The tests of an output.xml, or :class:`ImportRefused`.

    ``newest_schema``: the newest Robot output schema this Xray reads. Robot Framework 7
    writes ``schemaversion="5"``; [PABOT594] reports an Xray that read only the older
    format. The message Xray gives then is not documented: the stand-in's own text says so.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ImportRefused(f"Error parsing the results file: {error}") from None
    if root.tag != "robot":
        raise ImportRefused("Error parsing the results file: not a Robot Framework output")
    parsed = Parsed(generator=root.get("generator", ""))
    if root.get("schemaversion"):
        parsed.schema_version = int(root.get("schemaversion"))
    if (
        newest_schema is not None
        and parsed.schema_version is not None
        and parsed.schema_version > newest_schema
    ):
        raise ImportRefused(
            f"stand-in: this Xray reads Robot output up to schema {newest_schema}, got "
            f"{parsed.schema_version} (undocumented message; rebot --legacyoutput writes the"
            " older format)"
        )
    suites = root.findall("suite")
    if not suites:
        raise ImportRefused("Error parsing the results file: no <suite> element")
    for suite in suites:
        _walk(suite, [], parsed)
    return parsed


def _walk(suite: ET.Element, path: list[str], parsed: Parsed) -> None:
    here = [*path, suite.get("name", "")]
    for test in suite.findall("test"):
        status = test.find("status")
        if status is None or status.get("status") not in STATUSES:
            raise ImportRefused(
                f"Error parsing the results file: test '{test.get('name')}' has no status"
            )
        html = "".join(m.text or "" for m in test.iter("msg") if m.get("html") in ("true", "yes"))
        parsed.tests.append(
            RobotTest(
                name=test.get("name", ""),
                suites=here,
                tags=[(t.text or "").strip() for t in test.findall("tag")],
                status=status.get("status"),
                html=html,
            )
        )
    for child in suite.findall("suite"):
        _walk(child, here, parsed)


@dataclass
class Outcome:
    """What one import did: the runs it made, the Generic Tests it made, the links."""

    runs: dict[str, list[RobotTest]] = field(default_factory=dict)  # Test key -> Robot tests
    created_generic: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (Test key, requirement key)


def apply(parsed: Parsed, issues, *, project: str, requirement_types: set[str], new_generic):
    """Map each Robot test onto Xray's entities.

    ``issues``: key -> object with ``type`` and, for Generic Tests, ``definition``.
    ``new_generic(summary, definition)``: creates a Generic Test and returns its key.

    - [ROBOT] "Identifying a Test case with an Issue key Tag, will create a test execution
      for the pre-existing Test (it does not create any new Test in this case)": a tag that
      is the key of a Test issue puts the result on that Test.
    - [ROBOT] "Tagging a requirement in a test case will create a link between the test
      case and the requirement", provided the "Requirements issue types mapping" is set:
      a tag that is the key of an issue of a requirement type links the Test to it.
    - [ROBOT] "Entities" + [MAPPING]: a test without a Test key maps to a Generic Test with
      the test's name as summary and its suite path and name as definition; reporting again
      finds the same Generic Test ("there won't be duplicated Test entities").
    - [TESTRUNS]: a Test Run is identified by its Test Execution and its Test, so a Test
      has one run per execution; Robot tests that share a Test share its run.
    - A tag that looks like a key of the project but is neither a Test nor a requirement
      (a Bug, a missing issue): [ROBOT] does not say. The only Xray answer to such a key on
      record is [REQ-ERROR] (HTTP 400, "<KEY> is not a requirement issue or is not a valid
      issue key."), given for JUnit's requirement property; the stand-in refuses the Robot
      import the same way, which is the strict reading.
    """
    outcome = Outcome()
    problems: list[str] = []
    prefix = f"{project}-"
    classified: list[tuple[RobotTest, list[str], list[str]]] = []
    for test in parsed.tests:
        test_keys: list[str] = []
        requirement_keys: list[str] = []
        for tag in test.tags:
            key = tag.upper()
            if not key.startswith(prefix) or not key[len(prefix) :].isdigit():
                continue
            issue = issues.get(key)
            if issue is not None and issue.type == "Test":
                test_keys.append(key)
            elif issue is not None and issue.type in requirement_types:
                requirement_keys.append(key)
            else:
                message = f"{key} is not a requirement issue or is not a valid issue key."
                if message not in problems:
                    problems.append(message)
        classified.append((test, test_keys, requirement_keys))
    if problems:  # refused as a whole: nothing is created
        raise ImportRefused(" ".join(problems))
    for test, test_keys, requirement_keys in classified:
        if test_keys:
            # Several Test keys on one Robot test: [ROBOT] does not say; the stand-in uses
            # the first, as a test has one result.
            test_key = test_keys[0]
        else:
            test_key = next(
                (
                    k
                    for k, i in issues.items()
                    if i.type == "Test" and getattr(i, "definition", None) == test.definition
                ),
                None,
            )
            if test_key is None:
                test_key = new_generic(test.name, test.definition)
                outcome.created_generic.append(test_key)
        outcome.runs.setdefault(test_key, []).append(test)
        outcome.links += [
            (test_key, r) for r in requirement_keys if (test_key, r) not in outcome.links
        ]
    return outcome


def run_status(tests: list[RobotTest]) -> str:
    """The status of a Test Run that several Robot tests report on: [ROBOT] does not say how
    Xray consolidates them; the stand-in takes the worst (FAIL over SKIP over PASS)."""
    order = ["FAIL", "SKIP", "NOT RUN", "PASS"]
    worst = min((t.status for t in tests), key=order.index)
    return STATUSES[worst]
