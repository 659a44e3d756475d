"""What each of a test's Jira keys means to Xray: its Test key, requirement keys, bug keys.

Xray reads the tags of the uploaded output.xml (docs/xray.md, rules T1-T3): a tag that is
a Test key puts the result on that Test; a requirement key links the test to it; a test
without a Test key goes to a Generic Test. The suite's `PZ-*` tags are requirement and bug
keys, so the import rewrites each test's key tags in the copy it uploads: the Test key (from
``variables/xray_keys.yaml`` or a ``test:<KEY>`` tag) and the requirement keys go, bug keys
and keys the file does not know stay behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "variables" / "xray_keys.yaml"
KEY = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")


class KeysError(RuntimeError):
    """One line: what is wrong with the mapping file."""


@dataclass(frozen=True)
class TestKeys:
    """The keys of one Robot test, by what they mean to Xray."""

    test_key: str | None
    requirements: tuple[str, ...] = ()
    bugs: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def sent(self) -> list[str]:
        """The key tags the import sends to Xray for this test."""
        return ([self.test_key] if self.test_key else []) + list(self.requirements)


@dataclass
class KeyMap:
    tests: dict[str, str] = field(default_factory=dict)
    requirements: set[str] = field(default_factory=set)
    bugs: set[str] = field(default_factory=set)
    requirement_types: set[str] = field(default_factory=lambda: {"Story", "Epic", "Requirement"})
    test_tag: re.Pattern = re.compile(r"^test:(?P<key>[A-Z][A-Z0-9]+-[0-9]+)$")
    source: str = "(built in)"

    def classify(self, long_name: str, tags, project: str = "PZ") -> TestKeys:
        """The test's keys, from its tags and the mapping (keys of other projects are ignored)."""
        test_key = self.tests.get(long_name)
        requirements: list[str] = []
        bugs: list[str] = []
        unknown: list[str] = []
        prefix = f"{project.upper()}-"
        for tag in tags:
            text = str(tag).strip()
            named = self.test_tag.match(text)
            if named:
                test_key = test_key or named.group("key")
                continue
            key = text.upper()
            if not (KEY.match(key) and key.startswith(prefix)):
                continue
            if key == test_key:
                continue
            if key in self.requirements:
                bucket = requirements
            elif key in self.bugs:
                bucket = bugs
            else:
                bucket = unknown
            if key not in bucket:
                bucket.append(key)
        return TestKeys(test_key, tuple(requirements), tuple(bugs), tuple(unknown))

    def is_key_tag(self, tag: str, project: str = "PZ") -> bool:
        """A tag the import rewrites (a key of the project, or a Test-key tag)."""
        text = str(tag).strip()
        key = text.upper()
        return bool(self.test_tag.match(text)) or bool(
            KEY.match(key) and key.startswith(f"{project.upper()}-")
        )


def load_keys(path: Path | None = None) -> KeyMap:
    """The mapping file (``XRAY_KEYS_FILE``, default ``variables/xray_keys.yaml``)."""
    path = path or DEFAULT_FILE
    if not path.is_file():
        raise KeysError(f"{path} does not exist (the Xray key mapping; see docs/xray.md)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise KeysError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise KeysError(f"{path}: expected a mapping with tests, requirements and bugs")
    tests = data.get("tests") or {}
    if not isinstance(tests, dict):
        raise KeysError(f"{path}: 'tests' maps a test's long name to its Test key")
    mapping = KeyMap(source=str(path))
    for name, key in tests.items():
        key = str(key).strip().upper()
        if not KEY.match(key):
            raise KeysError(f"{path}: '{key}' (test '{name}') is not an issue key like PZ-123")
        mapping.tests[str(name)] = key
    for section in ("requirements", "bugs"):
        values = data.get(section) or []
        if not isinstance(values, list):
            raise KeysError(f"{path}: '{section}' is a list of issue keys")
        keys = {str(v).strip().upper() for v in values}
        bad = sorted(k for k in keys if not KEY.match(k))
        if bad:
            raise KeysError(f"{path}: '{bad[0]}' in '{section}' is not an issue key like PZ-123")
        setattr(mapping, section, keys)
    both = sorted(mapping.requirements & mapping.bugs)
    if both:
        raise KeysError(f"{path}: {both[0]} is listed both as a requirement and as a bug")
    if data.get("requirement_types"):
        mapping.requirement_types = {str(t) for t in data["requirement_types"]}
    if data.get("test_tag_pattern"):
        try:
            mapping.test_tag = re.compile(str(data["test_tag_pattern"]))
        except re.error as error:
            raise KeysError(f"{path}: test_tag_pattern does not compile: {error}") from None
        if "key" not in mapping.test_tag.groupindex:
            raise KeysError(f"{path}: test_tag_pattern needs a group named 'key'")
    return mapping


def rewrite_tags(result, mapping: KeyMap, project: str) -> dict[str, int]:
    """In a Robot result (``robot.api.ExecutionResult``), give every test the key tags Xray
    should read: its Test key and its requirement keys; bug keys and unknown keys go.

    Returns counts: tests with a Test key, tests left to a Generic Test, bug and unknown
    key tags left out.
    """
    counts = {"test_key": 0, "generic": 0, "bugs": 0, "unknown": 0}
    unknown: set[str] = set()
    for test in result.suite.all_tests:
        keys = mapping.classify(test.full_name, test.tags, project)
        kept = [t for t in test.tags if not mapping.is_key_tag(t, project)]
        test.tags = [*kept, *keys.sent]
        counts["test_key" if keys.test_key else "generic"] += 1
        counts["bugs"] += len(keys.bugs)
        counts["unknown"] += len(keys.unknown)
        unknown.update(keys.unknown)
    counts["unknown_keys"] = sorted(unknown)  # type: ignore[assignment]
    return counts
