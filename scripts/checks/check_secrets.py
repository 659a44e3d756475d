"""Fail if a secret appears in any file under ``results/``, in any form.

Usage: ``check_secrets.py [RESULTS_DIR] [SECRETS_JSON ...]`` (default: ``results/``, and
the ``secrets.json`` of every twin found under it). ``make test`` runs it on ``results/``
after every stage.

What it looks for, in every file under RESULTS_DIR (binary ones too: a screenshot, a zip):

- **configured secrets**: every password, key and token of each twin (its
  ``secrets.json``), and of the process environment (``FOCUS_PASSWORD``,
  ``FOCUS_OTHER_PASSWORD``, ``MONGO_URI``'s and ``RABBITMQ_URL``'s passwords,
  ``XRAY_CLIENT_SECRET``, ``JIRA_API_TOKEN``, ...), each plain, URL-encoded, base64
  (standard and URL-safe, also inside a longer base64 text: the three alignments) and as
  HTTP Basic ``base64(user:password)``;
- **tokens issued during the run**: any ``<payload>.<signature>`` text whose signature is
  valid under a twin's token signing key (the twin's bearer tokens and liveView session
  cookies, ``twin/focus_server/auth.py`` and ``sessions.py``), whichever test obtained it;
- **secret-shaped values left unmasked**: ``Authorization`` and ``Cookie`` values,
  ``password=``, ``passwd``, ``secret``, ``token`` values and ``scheme://user:pass@`` URLs
  in text files: whatever :mod:`libraries.common.redact` would have masked.

Left out, and said so: each twin's own state directory (a directory holding
``secrets.json``: the twin's credentials store, not an output of the suite).

Prints one line per leak (the file and the kind, never the value), then one line with
how many files were checked for how many values; exits 1 on a leak or when no file was
checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from libraries.common import redact as redact_module
from libraries.common.redact import encoded_forms

ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = "secrets.json"
SECRET_KEYS = (
    "focus_password",
    "focus_other_password",
    "token_signing_key",
    "mongo_password",
    "rabbitmq_password",
    "kube_token",
    "erlang_cookie",
)
# Each twin password's user: its HTTP Basic form is base64(user:password).
USERS = {
    "focus_password": "focus_user",
    "focus_other_password": "focus_other_user",
    "mongo_password": "mongo_user",
    "rabbitmq_password": "rabbitmq_user",
}
# Secrets a remote run or a publishing step reads from the process environment.
SECRET_VARIABLES = (
    "FOCUS_PASSWORD",
    "FOCUS_OTHER_PASSWORD",
    "XRAY_CLIENT_SECRET",
    "XRAY_TOKEN",
    "JIRA_API_TOKEN",
    "JIRA_PASSWORD",
    "JENKINS_TOKEN",
)
URL_VARIABLES = ("MONGO_URI", "RABBITMQ_URL")
TOKEN = re.compile(rb"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{16,})\.([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
# Bigger files are read in this many bytes at a time (overlapping): memory stays bounded.
CHUNK = 8 * 1024 * 1024
TEXT_SUFFIXES = {".xml", ".html", ".txt", ".log", ".json", ".md", ".csv", ".js", ".out", ""}


def base64_cores(value: str) -> set[str]:
    """The parts of ``value``'s base64 that do not depend on what surrounds it, for each
    of the three alignments it may have inside a longer base64 text."""
    raw = value.encode("utf-8")
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + raw).decode("ascii")
            start = (offset * 8 + 5) // 6
            end = ((offset + len(raw)) * 8) // 6
            core = text[start:end]
            if len(core) >= 8:
                cores.add(core)
    return cores


def forms_of(value: str, user: str | None = None) -> set[str]:
    """Every form of one secret the check looks for."""
    forms = encoded_forms(value) | base64_cores(value)
    if user:
        forms |= encoded_forms(f"{user}:{value}") - {f"{user}:{value}"}
    return {form for form in forms if len(form) >= 4}


def twin_dirs(results: Path) -> list[Path]:
    return sorted(path.parent for path in results.rglob(SECRETS_FILE))


def configured(secret_files: Iterable[Path], environ: dict[str, str]) -> dict[str, str]:
    """``{form: label}`` of every configured secret; the label names where it comes from."""
    found: dict[str, str] = {}
    for secrets_file in secret_files:
        try:
            secrets = json.loads(secrets_file.read_text())
        except (OSError, ValueError):
            continue
        for key in SECRET_KEYS:
            value = secrets.get(key)
            if isinstance(value, str) and value:
                user = secrets.get(USERS.get(key, ""))
                for form in forms_of(value, user if isinstance(user, str) else None):
                    found.setdefault(form, f"{key} of the twin in {secrets_file.parent}")
    for name in SECRET_VARIABLES:
        if environ.get(name):
            for form in forms_of(environ[name]):
                found.setdefault(form, f"${name}")
    for name in URL_VARIABLES:
        parts = urlsplit(environ.get(name) or "")
        if parts.password:
            password = unquote(parts.password)
            for form in forms_of(password, unquote(parts.username or "")):
                found.setdefault(form, f"the password in ${name}")
    return found


def signing_keys(secret_files: Iterable[Path]) -> list[bytes]:
    keys = []
    for secrets_file in secret_files:
        try:
            key = json.loads(secrets_file.read_text()).get("token_signing_key")
        except (OSError, ValueError):
            continue
        if isinstance(key, str) and key:
            keys.append(key.encode())
    return keys


def _signers(keys: list[bytes]) -> list[tuple[bytes, bytes]]:
    """``(key, prefix)`` of what a twin signs: bearer tokens ``hmac(key, body)``, liveView
    session cookies ``hmac(hmac(key, "liveview-session"), "session:" + body)``
    (``twin/focus_server/auth.py``, ``sessions.py``)."""
    signers = []
    for key in keys:
        signers.append((key, b""))
        session_key = hmac.new(key, b"liveview-session", hashlib.sha256).digest()
        signers.append((session_key, b"session:"))
    return signers


def _signature(key: bytes, prefix: bytes, body: bytes) -> bytes:
    digest = hmac.new(key, prefix + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=")


def issued_tokens(data: bytes, keys: list[bytes]) -> int:
    """How many texts in ``data`` are tokens or session cookies signed by one of ``keys``."""
    signers = _signers(keys)
    count = 0
    for match in TOKEN.finditer(data):
        body, signature = match.group(1), match.group(2)
        if any(
            hmac.compare_digest(_signature(key, prefix, body), signature) for key, prefix in signers
        ):
            count += 1
    return count


def _chunks(path: Path, overlap: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        tail = b""
        while True:
            block = handle.read(CHUNK)
            if not block:
                return
            yield tail + block
            tail = block[-overlap:]


def output_files(results: Path, twins: list[Path]) -> list[Path]:
    return [
        path
        for path in sorted(results.rglob("*"))
        if path.is_file() and not any(path.is_relative_to(twin) for twin in twins)
    ]


_SHAPES = (
    ("an Authorization value", "_AUTHORIZATION"),
    ("a Bearer token", "_BEARER"),
    ("a Cookie value", "_COOKIE_HEADER"),
    ("a URL with a password", "_URL_CREDENTIALS"),
    ("a password/secret/token value", "_QUOTED_PAIR"),
    ("a password/secret/token value", "_BARE_PAIR"),
)


def plausible_secret(value: str) -> bool:
    """Could ``value`` be a real credential? Not a Robot variable (``${token}``), not
    masked, not a word of prose: 8 characters or more, with a digit or 16 or more."""
    value = value.strip("\"'")
    if len(value) < 8 or value[:1] in "$@&%" or set(value) <= {"*"} or " " in value:
        return False
    return any(char.isdigit() for char in value) or len(value) >= 16


def shaped_leaks(text: str) -> list[str]:
    """The kinds of secret-shaped values left unmasked in ``text``, one entry per value:
    the shapes :mod:`libraries.common.redact` masks, holding a plausible secret."""
    if not redact_module._TRIGGERS.search(text):
        return []
    kinds = []
    for kind, name in _SHAPES:
        pattern = getattr(redact_module, name)
        for match in pattern.finditer(text):
            value = match.group("value") or ""
            if kind == "a Cookie value":
                values = [
                    pair.group("value") for pair in redact_module._COOKIE_PAIR.finditer(value)
                ]
            else:
                values = [value]
            kinds += [kind for value in values if plausible_secret(value)]
    return kinds


def check(results: Path, secret_files: list[Path], environ: dict[str, str]) -> tuple[int, int]:
    """Prints each leak; returns ``(files checked, leaks)``."""
    twins = twin_dirs(results)
    forms = configured(secret_files, environ)
    keys = signing_keys(secret_files)
    longest = max((len(form) for form in forms), default=0)
    files = output_files(results, twins)
    leaks = 0
    encoded = {form.encode("utf-8"): label for form, label in forms.items()}
    for path in files:
        found: dict[str, int] = {}
        tokens = 0
        for data in _chunks(path, max(longest, 200)):
            for form, label in encoded.items():
                if form in data:
                    found[label] = found.get(label, 0) + 1
            tokens += issued_tokens(data, keys)
        for label in found:
            print(f"LEAK: {label} appears in {path} (plain or encoded)")
        if tokens:
            print(f"LEAK: {tokens} token(s) or session cookie(s) issued by a twin in {path}")
        shaped: list[str] = []
        if path.suffix in TEXT_SUFFIXES and path.stat().st_size <= 64 * CHUNK:
            shaped = shaped_leaks(path.read_text(errors="replace"))
            for kind in sorted(set(shaped)):
                print(f"LEAK: {shaped.count(kind)} x {kind}, unmasked, in {path}")
        leaks += len(found) + (1 if tokens else 0) + len(set(shaped))
    return len(files), leaks


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    results = Path(args[0]) if args else ROOT / "results"
    environ = dict(os.environ) if environ is None else environ
    if not results.is_dir():
        print(f"check_secrets: {results} is not a directory: run the tests first")
        return 1
    twins = twin_dirs(results)
    secret_files = [Path(arg) for arg in args[1:]] or [twin / SECRETS_FILE for twin in twins]
    values = configured(secret_files, environ)
    files, leaks = check(results, secret_files, environ)
    skipped = f"; left out: {len(twins)} twin state dir(s)" if twins else ""
    print(
        f"checked {files} files under {results} for {len(values)} forms of the configured "
        f"secrets, tokens signed by {len(signing_keys(secret_files))} twin key(s) and "
        f"unmasked secret-shaped values: {leaks} leak(s){skipped}"
    )
    return 1 if leaks or not files else 0


if __name__ == "__main__":
    sys.exit(main())
