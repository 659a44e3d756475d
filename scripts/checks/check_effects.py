"""Every keyword that changes state declares its effect, and every test carries it.

Two passes, both static (nothing runs, no twin is needed):

1. **Library keywords** (``libraries/``, by reading the source): from each ``@keyword``
   method the check walks the calls it makes, project function to project function, to the
   client methods that write:

   - HTTP ``POST``/``PUT``/``PATCH``/``DELETE`` (``session.post(...)``, or
     ``request(method, ...)`` with the method followed through the callers' arguments; a
     method computed at run time counts as a write);
   - pika ``basic_publish``, ``queue_declare``/``exchange_declare`` (not ``passive=True``),
     ``queue_bind``/``exchange_bind``/``queue_unbind``, ``queue_delete``/``exchange_delete``,
     ``queue_purge``, ``basic_get``, ``basic_consume``, ``basic_ack``/``basic_nack``/
     ``basic_reject``;
   - pymongo ``insert_*``, ``update_*``, ``replace_one``, ``delete_*``, ``find_one_and_*``,
     ``bulk_write``, ``drop*``, ``create_index*``;
   - Kubernetes ``create_*``/``patch_*``/``replace_*``/``delete_*`` API calls (scale is a
     ``patch_namespaced_*_scale``), and pod ``exec``;
   - SSH ``exec_command``.

   A keyword fails the check when a path reaches such a write through no declared effect
   (``@own_data``/``@shared``/``@disruptive`` of :mod:`libraries.safety`, on the keyword or
   on a function on the path), or reaches a declared function whose effect is stronger than
   the keyword's own. ``@no_effect("why")`` declares that what follows is a wire write that
   changes nothing others see (issuing a token): the walk stops there.

   Calls are resolved by name: ``self.name()`` to the class's own method when it has one,
   ``anything.name()`` to every project method of that name in the same library package
   (and ``libraries/common``). That over-approximates; it never misses a project call by
   name. It cannot see calls made through ``getattr`` or a callable passed as an argument
   other than a lambda written in place.

2. **Tests and resource keywords** (a Robot dry run of ``robot/``): the effect of each test
   is the strongest effect tag (``own-data`` < ``shared`` < ``disruptive``; the deprecated
   ``destructive`` is ``disruptive``) of the keywords it reaches, through its setup,
   teardown and user keywords, and its suite's setup and teardown. The test must carry that
   tag; every user keyword on the way must carry a tag at least as strong as what it calls.

    python -m scripts.checks.check_effects [--libraries libraries] [robot/]

Prints one line per problem (file:line, the keyword or test, the write or the effect it
reaches and through what), then a summary; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from libraries import safety

ROOT = Path(__file__).resolve().parents[2]

EFFECT_DECORATORS = {
    "own_data": safety.OWN_DATA,
    "shared": safety.SHARED,
    "disruptive": safety.DISRUPTIVE,
    "destructive": safety.DISRUPTIVE,
}
NO_EFFECT = ("no_effect", "cleans_up")
HTTP_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
HTTP_VERBS = HTTP_WRITES | {"GET", "HEAD", "OPTIONS"}

PIKA_WRITES = {
    "basic_publish",
    "queue_declare",
    "exchange_declare",
    "queue_bind",
    "exchange_bind",
    "queue_unbind",
    "exchange_unbind",
    "queue_delete",
    "exchange_delete",
    "queue_purge",
    "basic_get",
    "basic_consume",
    "basic_ack",
    "basic_nack",
    "basic_reject",
}
PASSIVE_ALLOWED = {"queue_declare", "exchange_declare"}
MONGO_WRITE = re.compile(
    r"^(insert_one|insert_many|update_one|update_many|replace_one|delete_one|delete_many|"
    r"find_one_and_update|find_one_and_replace|find_one_and_delete|bulk_write|drop|"
    r"drop_collection|drop_database|drop_index|drop_indexes|create_index|create_indexes|"
    r"create_collection|rename)$"
)
KUBE_WRITE = re.compile(
    r"^(create|patch|replace|delete)_(namespaced_|collection_namespaced_|node|namespace|"
    r"persistent_volume|cluster_|custom_object)|^connect_(get|post)_namespaced_pod_exec$"
)
SSH_WRITES = {"exec_command", "invoke_shell"}
PROJECT_PACKAGES = ("libraries", "contract", "variables", "twin", "scripts", ".")
EXTERNAL = "external"
AMBIGUOUS = "ambiguous"


def sink_of(call: ast.Call) -> str | None:
    """What write ``call`` is, judged by the method name (None: not a write by name)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    name = func.attr
    if name in PIKA_WRITES:
        if name in PASSIVE_ALLOWED and _keyword_true(call, "passive"):
            return None
        return f"pika {name}"
    if MONGO_WRITE.match(name):
        return f"pymongo {name}"
    if KUBE_WRITE.match(name):
        return f"Kubernetes {name}"
    if name in SSH_WRITES:
        return f"SSH {name}"
    if name.upper() in HTTP_WRITES and not _is_self(func.value):
        return f"HTTP {name.upper()}"
    return None


def _keyword_true(call: ast.Call, name: str) -> bool:
    return any(
        k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


@dataclass
class Function:
    """One project function or method, as the walk sees it."""

    qualname: str  # module:Class.name or module:name
    name: str
    module: str
    path: Path
    lineno: int
    cls: str | None
    params: list[str]
    node: ast.FunctionDef | ast.AsyncFunctionDef
    effect: str | None = None  # declared: own-data, shared, disruptive
    no_effect: str | None = None  # declared harmless, with the reason
    keyword: str | None = None  # the Robot keyword name, for @keyword methods
    sinks: list[tuple[str, int]] = field(default_factory=list)
    calls: list[tuple[ast.Call, int]] = field(default_factory=list)
    dispatch: set[int] = field(default_factory=set)  # params that carry an HTTP method

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno}"

    @property
    def label(self) -> str:
        return self.qualname.split(":", 1)[1]

    @property
    def package(self) -> str:
        parts = self.module.split(".")
        return ".".join(parts[:2])


def _decorator_name(node: ast.expr) -> tuple[str, ast.Call | None]:
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call else node
    if isinstance(target, ast.Attribute):
        return target.attr, call
    if isinstance(target, ast.Name):
        return target.id, call
    return "", call


def _keyword_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    for decorator in function.decorator_list:
        name, call = _decorator_name(decorator)
        if name != "keyword":
            continue
        if call and call.args and isinstance(call.args[0], ast.Constant):
            return str(call.args[0].value)
        for item in call.keywords if call else []:
            if item.arg == "name" and isinstance(item.value, ast.Constant):
                return str(item.value.value)
        return function.name.replace("_", " ").title()
    return None


def _declared(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str | None, str | None]:
    """(effect, no-effect reason) from the decorators."""
    for decorator in function.decorator_list:
        name, call = _decorator_name(decorator)
        if name in EFFECT_DECORATORS:
            return EFFECT_DECORATORS[name], None
        if name == "effect" and call and call.args and isinstance(call.args[0], ast.Constant):
            return safety.effect_name(call.args[0].value), None
        if name in NO_EFFECT:
            first = call.args[0] if call and call.args else None
            reason = first.value if isinstance(first, ast.Constant) else ""
            return None, str(reason) or "declared"
    return None, None


class Project:
    """Every function of the Python files under the given roots."""

    def __init__(self, roots: Iterable[Path], base: Path) -> None:
        self.functions: dict[str, Function] = {}
        self.by_name: dict[str, list[Function]] = defaultdict(list)
        self.methods: dict[tuple[str, str], Function] = {}  # (module:Class, name)
        self.classes: dict[str, list[str]] = defaultdict(list)  # Class -> [module:Class]
        self.external_names: dict[str, set[str]] = defaultdict(set)  # module -> names
        self.attribute_types: dict[str, dict[str, str]] = defaultdict(dict)
        roots = list(roots)
        self.packages = PROJECT_PACKAGES + tuple(root.name for root in roots)
        for root in roots:
            for path in sorted(root.rglob("*.py")):
                self._read(path, base)
        self._resolve_dispatch()

    def _read(self, path: Path, base: Path) -> None:
        try:
            relative = path.resolve().relative_to(base.resolve())
        except ValueError:
            relative = path
        module = ".".join(relative.with_suffix("").parts)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                source = node.module if isinstance(node, ast.ImportFrom) else None
                for alias in node.names:
                    origin = source or alias.name
                    if not origin.startswith(self.packages):
                        self.external_names[module].add((alias.asname or alias.name).split(".")[0])
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name].append(f"{module}:{node.name}")
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._add(item, module, relative, node.name)
                self._attribute_types(node, module)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._add(node, module, relative, None)

    def _attribute_types(self, node: ast.ClassDef, module: str) -> None:
        """``self.x = Something(...)`` (or ``self.x: Something``) in any method: the class
        of ``self.x``, a project class name or ``EXTERNAL`` for a class from a library."""
        types = self.attribute_types[f"{module}:{node.name}"]
        for item in ast.walk(node):
            target, value, annotation = None, None, None
            if isinstance(item, ast.Assign) and len(item.targets) == 1:
                target, value = item.targets[0], item.value
            elif isinstance(item, ast.AnnAssign):
                target, value, annotation = item.target, item.value, item.annotation
            if not (isinstance(target, ast.Attribute) and _is_self(target.value)):
                continue
            kind = None
            if isinstance(value, ast.Call):
                kind = self._class_of(value.func, module)
            if kind is None and annotation is not None:
                kind = self._class_of(annotation, module)
            if kind is not None and types.get(target.attr, kind) == kind:
                types[target.attr] = kind
            elif kind is not None:
                types[target.attr] = AMBIGUOUS

    def _class_of(self, node: ast.expr, module: str) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self.external_names[module]:
                return EXTERNAL
            return f"class:{node.id}" if node.id[:1].isupper() else None
        if isinstance(node, ast.Attribute):
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self.external_names[module]:
                return EXTERNAL
        return None

    def _add(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, module: str, path: Path, cls: str | None
    ) -> None:
        qualname = f"{module}:{cls + '.' if cls else ''}{node.name}"
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        effect, no_effect = _declared(node)
        function = Function(
            qualname,
            node.name,
            module,
            path,
            node.lineno,
            cls,
            params,
            node,
            effect=effect,
            no_effect=no_effect,
            keyword=_keyword_name(node),
        )
        for call in ast.walk(node):
            if isinstance(call, ast.Call):
                sink = sink_of(call)
                if sink:
                    function.sinks.append((sink, call.lineno))
                function.calls.append((call, call.lineno))
        self.functions[qualname] = function
        self.by_name[node.name].append(function)
        if cls:
            self.methods[(f"{module}:{cls}", node.name)] = function

    # ------------------------------------------------------------------- resolution

    def resolve(self, caller: Function, call: ast.Call) -> list[Function]:
        """The project functions ``call`` (in ``caller``) may run."""
        func = call.func
        if isinstance(func, ast.Name):
            same = self.functions.get(f"{caller.module}:{func.id}")
            if same:
                return [same]
            return [f for f in self.by_name.get(func.id, []) if f.cls is None]
        if not isinstance(func, ast.Attribute) or func.attr.startswith("__"):
            return []
        if _is_self(func.value) and caller.cls:
            own = self.methods.get((f"{caller.module}:{caller.cls}", func.attr))
            if own:
                return [own]
        if isinstance(func.value, ast.Name) and func.value.id in self.external_names[caller.module]:
            return []  # a library's module or class: subprocess.run, requests.post
        if isinstance(func.value, ast.Attribute) and _is_self(func.value.value) and caller.cls:
            kind = self.attribute_types[f"{caller.module}:{caller.cls}"].get(func.value.attr)
            if kind == EXTERNAL:
                return []  # self._session = requests.Session(): the sinks judge it
            if kind and kind.startswith("class:"):
                found = [
                    self.methods[(qualified, func.attr)]
                    for qualified in self.classes.get(kind[6:], [])
                    if (qualified, func.attr) in self.methods
                ]
                if found:
                    return found
        near = ("libraries.common", caller.package)
        return [
            f
            for f in self.by_name.get(func.attr, [])
            if f.cls is not None and (f.package in near or f.module.startswith(near))
        ]

    def _method_argument(self, callee: Function, call: ast.Call, index: int) -> ast.expr | None:
        """The expression ``call`` passes for ``callee``'s parameter ``index``."""
        name = callee.params[index] if index < len(callee.params) else None
        for item in call.keywords:
            if item.arg == name:
                return item.value
        offset = 1 if callee.cls and callee.params[:1] == ["self"] else 0
        position = index - offset
        if 0 <= position < len(call.args):
            return call.args[position]
        return None

    def http_methods(self, caller: Function, call: ast.Call) -> list[ast.expr]:
        """The HTTP method expressions ``call`` sends (``x.request(method, ...)`` on a
        client, or a project function that forwards its parameter to one)."""
        found: list[ast.expr] = []
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "request":
            targets = self.resolve(caller, call)
            if not targets or not _is_self(func.value):
                method = call.args[0] if call.args else None
                for item in call.keywords:
                    if item.arg == "method":
                        method = item.value
                if method is not None:
                    found.append(method)
        for callee in self.resolve(caller, call):
            for index in callee.dispatch:
                argument = self._method_argument(callee, call, index)
                if argument is not None:
                    found.append(argument)
        return found

    def _resolve_dispatch(self) -> None:
        """Which parameters carry an HTTP method down to a client, to a fixed point; then
        each call with a literal write method (or a computed one) becomes a sink."""
        changed = True
        while changed:
            changed = False
            for function in self.functions.values():
                for call, _ in function.calls:
                    for method in self.http_methods(function, call):
                        if isinstance(method, ast.Name) and method.id in function.params:
                            index = function.params.index(method.id)
                            if index not in function.dispatch:
                                function.dispatch.add(index)
                                changed = True
        for function in self.functions.values():
            for call, lineno in function.calls:
                for method in self.http_methods(function, call):
                    if isinstance(method, ast.Constant) and isinstance(method.value, str):
                        if method.value.upper() in HTTP_WRITES:
                            function.sinks.append((f"HTTP {method.value.upper()}", lineno))
                    elif isinstance(method, ast.Name) and method.id in function.params:
                        if function.keyword:  # the test says which: any method
                            function.sinks.append(
                                (f"HTTP request with the method in argument '{method.id}'", lineno)
                            )
                        # otherwise the callers say which method
                    else:
                        function.sinks.append(("HTTP request with a computed method", lineno))

    # ------------------------------------------------------------------------- walk

    def reach(self, start: Function) -> tuple[list[tuple[str, list[Function], int]], dict]:
        """From ``start``: the raw writes reachable through no declared function
        (write, path, line) and the declared functions reached first on each path."""
        writes: list[tuple[str, list[Function], int]] = []
        declared: dict[str, tuple[Function, list[Function]]] = {}
        seen: set[str] = set()
        stack: list[tuple[Function, list[Function]]] = [(start, [start])]
        while stack:
            function, path = stack.pop()
            if function.qualname in seen:
                continue
            seen.add(function.qualname)
            if function is not start and (function.effect or function.no_effect):
                if function.effect:
                    declared.setdefault(function.qualname, (function, path))
                continue
            for sink, lineno in function.sinks:
                writes.append((sink, path, lineno))
            for call, _ in function.calls:
                for callee in self.resolve(function, call):
                    if callee.qualname not in seen:
                        stack.append((callee, [*path, callee]))
        return writes, declared

    def keyword_problems(self) -> tuple[list[str], int, int]:
        problems: list[str] = []
        keywords = [f for f in self.functions.values() if f.keyword]
        declared_count = 0
        for keyword in keywords:
            own = keyword.effect or safety.READ_ONLY
            if keyword.effect:
                declared_count += 1
            if keyword.no_effect:
                continue
            writes, declared = self.reach(keyword)
            if writes and not keyword.effect:
                sink, path, lineno = writes[0]
                more = f" (and {len(writes) - 1} more)" if len(writes) > 1 else ""
                problems.append(
                    f"{keyword.where}: keyword '{keyword.keyword}' reaches {sink} at "
                    f"{path[-1].path}:{lineno} via {_path(path)} with no declared effect"
                    f"{more}: mark it @own_data, @shared or @disruptive (libraries/safety.py)"
                )
            for function, path in declared.values():
                effect = function.effect or safety.READ_ONLY
                if safety.rank(effect) > safety.rank(own):
                    problems.append(
                        f"{keyword.where}: keyword '{keyword.keyword}' is "
                        f"{'declared ' + own if keyword.effect else 'not declared'} but "
                        f"reaches '{effect}' {function.label} ({function.where}) via "
                        f"{_path(path)}: declare it @{effect.replace('-', '_')} or stronger"
                    )
        return problems, len(keywords), declared_count


def _path(path: list[Function]) -> str:
    return " -> ".join(function.label for function in path)


# ------------------------------------------------------------------------ dry run


# Keywords of other libraries that write, as the dry run names them (normalized).
EXTERNAL_WRITES = {
    "sshlibrary.executecommand": "SSH exec",
    "sshlibrary.startcommand": "SSH exec",
    "sshlibrary.write": "SSH shell input",
    "sshlibrary.writebare": "SSH shell input",
    "sshlibrary.putfile": "SSH file upload",
    "sshlibrary.putdirectory": "SSH file upload",
    "requestslibrary.postonsession": "HTTP POST",
    "requestslibrary.putonsession": "HTTP PUT",
    "requestslibrary.patchonsession": "HTTP PATCH",
    "requestslibrary.deleteonsession": "HTTP DELETE",
    "requestslibrary.post": "HTTP POST",
    "requestslibrary.put": "HTTP PUT",
    "requestslibrary.patch": "HTTP PATCH",
    "requestslibrary.delete": "HTTP DELETE",
}


def _normal_name(name: str) -> str:
    return name.replace(" ", "").replace("_", "").lower()


class EffectCalls:
    """Dry-run listener: the effect each test and user keyword reaches, and what it says."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self.suites: list[str] = []
        self.test: str | None = None
        self.tests: dict[str, tuple[str, str]] = {}  # name -> (tagged effect, where)
        self.test_reach: dict[str, tuple[str, str]] = {}  # name -> (effect, through what)
        self.suite_reach: dict[str, tuple[str, str]] = {}
        self.suite_tests: dict[str, list[str]] = defaultdict(list)
        self.stack: list[tuple[str, str, str]] = []  # user keywords: name, tagged, where
        self.keyword_problems: dict[str, str] = {}
        self.deprecated: set[str] = set()
        self.errors: list[str] = []  # the dry run's own errors (a library that cannot load)

    def start_suite(self, data, result) -> None:
        self.suites.append(result.full_name)

    def end_suite(self, data, result) -> None:
        self.suites.pop()

    def start_test(self, data, result) -> None:
        self.test = result.full_name
        where = f"{data.source}:{data.lineno}" if data.source else result.full_name
        self.tests[self.test] = (safety.effect_of_tags(data.tags), where)
        for suite in self.suites:
            self.suite_tests[suite].append(self.test)
        if safety.deprecated_tags(data.tags):
            self.deprecated.add(where)

    def end_test(self, data, result) -> None:
        self.test = None

    def start_user_keyword(self, data, implementation, result) -> None:
        effect = safety.effect_of_tags(implementation.tags)
        name = implementation.full_name
        if effect != safety.READ_ONLY:
            self._reached(effect, name)
        self.stack.append((name, effect, _where(implementation)))
        if safety.deprecated_tags(implementation.tags):
            self.deprecated.add(_where(implementation))

    def end_user_keyword(self, data, implementation, result) -> None:
        self.stack.pop()

    def start_library_keyword(self, data, implementation, result) -> None:
        name = implementation.full_name
        effect = safety.effect_of_tags(implementation.tags)
        if effect != safety.READ_ONLY:
            self._reached(effect, name)
        write = EXTERNAL_WRITES.get(_normal_name(name))
        if write:
            self._external_write(write, name)

    def _external_write(self, write: str, name: str) -> None:
        """Another library's keyword that writes: the nearest user keyword around it must
        declare an effect (a test body calling it directly counts as own-data)."""
        for caller, tagged, where in reversed(self.stack):
            if where:
                if tagged == safety.READ_ONLY:
                    self.keyword_problems.setdefault(
                        caller,
                        f"{where}: keyword '{caller}' reaches {write} ('{name}') with no "
                        "declared effect: add [Tags]    own-data, shared or disruptive",
                    )
                return
        self._reached(safety.OWN_DATA, f"{name} ({write})")

    def _reached(self, effect: str, name: str) -> None:
        for caller, tagged, where in self.stack:
            if where and safety.rank(tagged) < safety.rank(effect):
                key = f"{caller}"
                self.keyword_problems.setdefault(
                    key,
                    f"{where}: keyword '{caller}' calls '{effect}' keyword '{name}' but is "
                    + (f"tagged '{tagged}'" if tagged != safety.READ_ONLY else "not tagged")
                    + f": add [Tags]    {effect}",
                )
        if self.test is not None:
            known = self.test_reach.get(self.test)
            if known is None or safety.rank(effect) > safety.rank(known[0]):
                self.test_reach[self.test] = (effect, name)
        elif self.suites:
            suite = self.suites[-1]
            known = self.suite_reach.get(suite)
            if known is None or safety.rank(effect) > safety.rank(known[0]):
                self.suite_reach[suite] = (effect, name)

    def problems(self) -> list[str]:
        found = sorted(self.keyword_problems.values())
        for test, (tagged, where) in sorted(self.tests.items()):
            reached, through = self.test_reach.get(test, (safety.READ_ONLY, ""))
            for suite, (suite_effect, suite_through) in self.suite_reach.items():
                if test.startswith(suite + ".") and safety.rank(suite_effect) > safety.rank(
                    reached
                ):
                    reached, through = suite_effect, f"{suite_through} (suite setup/teardown)"
            if safety.rank(tagged) < safety.rank(reached):
                found.append(
                    f"{where}: test '{test}' reaches '{reached}' keyword '{through}' but is "
                    + (f"tagged '{tagged}'" if tagged != safety.READ_ONLY else "not tagged")
                    + f": tag it '{reached}'"
                )
        return found

    def effects(self) -> dict[str, int]:
        counts = dict.fromkeys(safety.EFFECTS, 0)
        for tagged, _ in self.tests.values():
            counts[tagged] += 1
        return counts


def _where(implementation) -> str:
    source, lineno = implementation.source, implementation.lineno
    if not source:
        return implementation.full_name
    try:
        return f"{Path(source).resolve().relative_to(ROOT)}:{lineno}"
    except ValueError:
        return f"{source}:{lineno}"


def dry_run(paths: list[str]) -> EffectCalls:
    import robot

    listener = EffectCalls()
    console = io.StringIO()
    robot.run(
        *paths,
        dryrun=True,
        listener=listener,
        output=None,
        report=None,
        log=None,
        stdout=console,
        stderr=console,
    )
    listener.errors = [
        line.split("]", 1)[1].strip()
        for line in console.getvalue().splitlines()
        if line.startswith("[ ERROR ]")
    ]
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="Robot suites for the dry run (default: robot/)")
    parser.add_argument(
        "--libraries",
        action="append",
        help="Python roots to walk (default: libraries/); repeatable",
    )
    parser.add_argument("--no-dry-run", action="store_true", help="only the library walk")
    args = parser.parse_args(argv)
    roots = [Path(p) for p in args.libraries or [str(ROOT / "libraries")]]
    base = Path.cwd() if args.libraries else ROOT
    project = Project(roots, base)
    problems, keywords, declared = project.keyword_problems()
    summary = f"check_effects: {keywords} library keywords walked, {declared} declare an effect"
    if not args.no_dry_run:
        paths = args.paths or [str(ROOT / "robot")]
        listener = dry_run(paths)
        if not listener.tests:
            print(f"check_effects: no test found in {' '.join(paths)}", file=sys.stderr)
            return 2
        problems += [
            f"the dry run could not read everything, so it would check less than it says: {error}"
            for error in listener.errors
        ]
        problems += listener.problems()
        counts = listener.effects()
        summary += f"; {len(listener.tests)} tests: " + ", ".join(
            f"{count} {effect}" for effect, count in counts.items()
        )
        if listener.deprecated:
            summary += f"; {len(listener.deprecated)} still tagged 'destructive' (deprecated)"
    for line in problems:
        print(line)
    print(f"{summary}; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
