"""GitHub Actions expressions (``${{ ... }}``), as "Evaluate expressions in workflows and
actions" documents them, for what the workflows here use: literals, context lookups
(``github.event.pull_request.head.repo.full_name``, ``env.X``, ``matrix.shard``,
``steps.id.outcome``, ``secrets.X``, ``vars.X``, ``needs.job.result``), ``!``, ``==``,
``!=``, ``&&``, ``||``, parentheses, and the status functions ``success()``, ``failure()``,
``cancelled()``, ``always()``.

Documented behaviour kept: ``&&`` and ``||`` return an operand, not a boolean (``vars.X ||
'PZ'`` gives ``'PZ'`` when the variable is empty); ``==`` on strings ignores case; a missing
property is ``null``; an ``if:`` without a status function means ``success() && (...)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||<=|>=|[!()<>.,\[\]*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read '{text[pos:]}' in '{text}'")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def truthy(value) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _equal(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if a is None or b is None:
        return a is b
    if isinstance(a, bool | int | float) and isinstance(b, bool | int | float):
        return float(a) == float(b)
    if isinstance(a, str) != isinstance(b, str):  # coerce to numbers, as documented
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


class _Parser:
    def __init__(self, text: str, contexts: dict, status: Callable[[str], bool]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.contexts = contexts
        self.status = status
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value!r} in '{self.text}'")
        self.pos += 1
        return token

    def parse(self):
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in '{self.text}'")
        return value

    def or_(self):
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self):
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self):
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if (kind, text) == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in '{self.text}'")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            self.take(")")
            if text not in STATUS_FUNCTIONS:
                raise ExpressionError(f"function {text}() is not supported here")
            return self.status(text)
        value = self.contexts.get(text)
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.primary()
                self.take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value


def evaluate(text: str, contexts: dict, status: Callable[[str], bool] | None = None):
    """The value of one expression (without ``${{ }}``)."""
    return _Parser(text, contexts, status or (lambda name: name != "failure")).parse()


def condition(text: str | None, contexts: dict, status: Callable[[str], bool]) -> bool:
    """An ``if:``: ``success()`` is implied unless a status function is used."""
    if text is None or text == "":
        return status("success")
    text = str(text).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    if not any(re.search(rf"\b{f}\s*\(", text) for f in STATUS_FUNCTIONS):
        text = f"success() && ({text})"
    return truthy(evaluate(text, contexts, status))


def interpolate(text, contexts: dict):
    """``${{ expr }}`` in a string replaced by the value (``null`` -> empty)."""
    if not isinstance(text, str) or "${{" not in text:
        return text

    def replace(match: re.Match) -> str:
        value = evaluate(match.group(1), contexts)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", replace, text, flags=re.S)
