"""`make ci-rehearsal`: run the regression workflow's jobs and the Jenkinsfile's stages the
way a runner and Jenkins run them, here.

- The commit: the working tree as it is (tracked and untracked files, not ignored ones),
  committed to a temporary ref; every job gets a fresh shallow clone of it, as
  ``actions/checkout`` (fetch-depth 1) and Jenkins' ``checkout scm`` give.
- The environment: ``env -i`` with what a runner sets (``PATH=/usr/bin:/bin``, ``CI``,
  ``GITHUB_*``, ``RUNNER_TEMP``, a fresh ``HOME``; Jenkins: ``BRANCH_NAME``, ``BUILD_TAG``,
  ``WORKSPACE`` ...) and nothing from this shell. The job's container image is not pulled:
  this Debian 12 host plays ``python:3.11-bookworm``.
- GitHub: ``.github/workflows/regression.yml`` as a push to main. Jobs in ``needs`` order, a
  matrix's jobs in parallel, ``if:`` evaluated (scripts/run/gha_expressions.py), each
  ``run:`` step with ``bash -e``, ``actions/upload-artifact`` and ``download-artifact`` (v4:
  the least common ancestor of the paths is the artifact's root; with ``pattern`` each
  artifact lands in ``path/<name>/``) done by copying. The publish job imports into the Xray
  Cloud stand-in (tests/publishing/standin), given as the repository's vars and secrets.
- Jenkins: the Jenkinsfile run by scripts/run/jenkins_stand_in.groovy (a multibranch build
  of main), stashes copied, credentials from a store that holds the Xray ones only.
- The tests: the smoke tests are the shards' content (``ROBOT_OPTS=--include smoke``) and
  one capacity test the destructive job's, so the whole rehearsal stays within a few
  minutes; ``make lint`` and ``make pytest`` steps are skipped (``make test`` runs them
  first, and pytest would run this rehearsal again).
- The venv: a runner runs ``make setup`` in every job (pip, about 2 minutes each). Here the
  jobs reuse one venv, as after a cache restore: a fresh clone gets a hard-linked copy of
  this checkout's .venv and runs ``make setup``, which reinstalls only when the commit's
  requirements differ (its own stamp). Each job's venv is then made from that one
  (``share_venv``): its own ``bin/`` and site-packages' top-level files, with the absolute
  paths a venv records (script shebangs, pyvenv.cfg, the editable installs' finders and
  .pth files) rewritten for the job's clone, and the package folders linked. The job's own
  ``make setup`` step runs and finds it complete. openapi-diff's node_modules (``npm ci``
  in ``make setup``) is reused the same way: a fresh ``HOME`` has no npm configuration, and
  this machine's npm reaches its registry only with it.

Checks: every job and stage ends as expected, the merged output holds every selected test
exactly once, the Xray stand-in received the import. On failure one line names the job and
the step, with the step's last output lines.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scripts.run import gha_expressions as expr

ROOT = Path(__file__).resolve().parents[2]
RUNNER_PATH = "/usr/bin:/bin"
SKIPPED = {
    "lint": "make test runs it",
    "pytest": "make test runs it (and pytest would run this rehearsal again)",
}
NODE_MODULES = "tools/openapi-diff/node_modules"
SHARD_OPTS = "--include smoke"
DESTRUCTIVE_TEST = "Robot.Api.Capacity.Stopping A Task Frees Its Capacity"
DESTRUCTIVE_OPTS = f"--test '{DESTRUCTIVE_TEST}'"
ACTIONS = {
    "actions/checkout",
    "actions/upload-artifact",
    "actions/download-artifact",
    "actions/cache/restore",
    "actions/cache/save",
    "actions/github-script",
}
_print_lock = threading.Lock()
# The Jenkins stand-in's lines worth showing on the console (all of them go to the log).
SHOWN = re.compile(r"\[[^\]]+\] (\+ |ERROR|Stage|robot:|Stashed|Unstashed|xray:|jira:)")


def say(line: str) -> None:
    with _print_lock:
        print(line, flush=True)


class RehearsalError(RuntimeError):
    """One line: which job or stage failed, and why."""


# -- the commit and the workspaces --------------------------------------------------------
def git(*args: str, cwd: Path = ROOT, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RehearsalError(f"git {' '.join(args)}: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


def snapshot(ref: str) -> str:
    """Commit the working tree (tracked and untracked, not ignored) to ``ref``; the index,
    HEAD and the branch stay as they are."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git("read-tree", "HEAD", env=env)
        git("add", "-A", env=env)
        tree = git("write-tree", env=env)
    commit = git(
        "-c", "user.name=ci-rehearsal", "-c", "user.email=ci-rehearsal@localhost",
        "commit-tree", tree, "-p", "HEAD", "-m", "ci-rehearsal snapshot",
    )  # fmt: skip
    git("update-ref", ref, commit)
    return commit


@dataclass
class Workspaces:
    """Fresh clones of the snapshot, each with a venv copied from the template."""

    root: Path
    ref: str
    template: Path | None = None  # a checkout whose .venv the clones reuse
    made: list[Path] = field(default_factory=list)
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new(self, name: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        while True:  # the Jenkins stand-in's agents ask from processes of their own
            with self._lock:
                self._count += 1
                path = self.root / f"{self._count:02d}-{slug}"
            try:
                path.mkdir(parents=True)
                break
            except FileExistsError:
                continue
        git("init", "-q", cwd=path)
        git("fetch", "-q", "--depth", "1", f"file://{ROOT}", self.ref, cwd=path)
        git("checkout", "-q", "FETCH_HEAD", cwd=path)
        if self.template == ROOT:  # the template clone: a copy pip may change safely
            copy_venv(ROOT / ".venv", path / ".venv")
            modules = ROOT / NODE_MODULES
            if modules.is_dir():
                subprocess.run(["cp", "-al", str(modules), str(path / NODE_MODULES)], check=True)
        elif self.template is not None:
            share_venv(self.template / ".venv", path / ".venv")
            # make setup's other install: openapi-diff's node_modules (npm ci), shared too
            # (a folder of its own, so that git ignores it as it ignores the real one).
            modules = self.template / NODE_MODULES
            if modules.is_dir():
                (path / NODE_MODULES).mkdir()
                for entry in modules.iterdir():
                    (path / NODE_MODULES / entry.name).symlink_to(entry)
        with self._lock:
            self.made.append(path)
        return path


def copy_venv(source: Path, target: Path) -> None:
    """A hard-linked copy of a venv, with its absolute paths rewritten for ``target``.

    Files that mention the source's checkout (script shebangs, activate, .pth and editable
    finders, pyvenv.cfg) are written anew (new inodes), so nothing a job writes reaches the
    source through a shared link.
    """
    subprocess.run(["cp", "-al", str(source), str(target)], check=True, timeout=300)
    old, new = str(source.parent).encode(), str(target.parent).encode()
    candidates = [p for p in (target / "bin").iterdir() if p.is_file() and not p.is_symlink()]
    candidates += [target / "pyvenv.cfg"]
    for site in target.glob("lib/python*/site-packages"):
        candidates += list(site.glob("*.pth")) + list(site.glob("__editable__*"))
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if old not in data:
            continue
        mode = path.stat().st_mode
        fresh = path.with_name(path.name + ".rehearsal-tmp")
        fresh.write_bytes(data.replace(old, new))
        fresh.chmod(mode)
        os.replace(fresh, path)
    # The pth that make setup rewrites in place: a file of its own.
    for pth in target.glob("lib/python*/site-packages/*.pth"):
        if pth.stat().st_nlink > 1:
            data = pth.read_bytes()
            pth.unlink()
            pth.write_bytes(data)


def _own_copy(source: Path, target: Path, old: bytes, new: bytes) -> None:
    """``target`` as ``source``: a symlink stays a symlink, a file that names the source's
    checkout is written anew with ``new`` in its place, any other file is hard-linked."""
    if source.is_symlink():
        target.symlink_to(os.readlink(source))
        return
    data = source.read_bytes()
    if old in data or source.suffix == ".pth":  # make setup edits .pth files in place
        target.write_bytes(data.replace(old, new))
        target.chmod(source.stat().st_mode)
    else:
        os.link(source, target)


def share_venv(source: Path, target: Path) -> None:
    """A job's venv made from the template's in a few hundred entries, not 50,000 links.

    The job's own: ``bin/`` (scripts whose shebang names the venv), ``pyvenv.cfg``, the
    stamp, and site-packages' top-level files (the editable installs' finders and .pth
    files, which name the checkout, rewritten for the job's) with an empty ``__pycache__``
    of its own. Each package directory is a symlink to the template's: the same files,
    which name no checkout (Python fixes a cached module's file name when it loads it).
    ``make setup`` in the job finds this complete and installs nothing.
    """
    old, new = str(source.parent).encode(), str(target.parent).encode()
    target.mkdir()
    for entry in source.iterdir():
        if entry.name in ("bin", "lib"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            (target / entry.name).symlink_to(entry, target_is_directory=True)
        else:
            _own_copy(entry, target / entry.name, old, new)
    folders = [source / "bin", *source.glob("lib/python*/site-packages")]
    for folder in folders:
        mine = target / folder.relative_to(source)
        mine.mkdir(parents=True)
        for entry in folder.iterdir():
            if entry.name == "__pycache__":
                (mine / entry.name).mkdir()
            elif entry.is_dir() and not entry.is_symlink():
                (mine / entry.name).symlink_to(entry, target_is_directory=True)
            else:
                _own_copy(entry, mine / entry.name, old, new)


def runner_env(workspace: Path, home: Path, extra: dict[str, str]) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": RUNNER_PATH, "HOME": str(home), "LANG": "C.UTF-8", "CI": "true", **extra}


def stop_twin(workspace: Path) -> None:
    """What a runner's end of job does to the processes a job left: here, the job's twin."""
    python = workspace / ".venv" / "bin" / "python"
    if not (python.exists() and (workspace / "results" / "twin" / "state.json").exists()):
        return  # no twin was ever started there
    env = runner_env(workspace, workspace.parent / "home-down", {})
    env["FOCUS_TWIN_DIR"] = str(workspace / "results" / "twin")
    subprocess.run(
        [str(python), "-m", "twin", "down"],
        cwd=workspace,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


# -- GitHub Actions -----------------------------------------------------------------------
@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    seconds: float = 0.0
    tail: list[str] = field(default_factory=list)


@dataclass
class JobResult:
    name: str
    result: str
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    workspace: Path | None = None

    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.outcome == "failure"), None)


class GitHubRun:
    """One workflow run: jobs in ``needs`` order, matrix jobs in parallel."""

    def __init__(
        self,
        workflow: Path,
        *,
        workspaces: Workspaces,
        outdir: Path,
        github: dict,
        vars_: dict[str, str],
        secrets: dict[str, str],
        selection: dict[str, str],
    ) -> None:
        self.workflow_path = workflow
        self.workflow = yaml.safe_load(workflow.read_text())
        self.workspaces = workspaces
        self.outdir = outdir
        self.github = github
        self.vars = vars_
        self.secrets = secrets
        self.selection = selection
        self.artifacts = outdir / "artifacts"
        self.results: dict[str, list[JobResult]] = {}

    # -- orchestration ---------------------------------------------------------------------
    def run(self) -> dict[str, list[JobResult]]:
        """Each job starts as soon as the jobs it needs have ended, as on GitHub (jobs
        without ``needs`` start together)."""
        jobs = self.workflow["jobs"]
        done: set[str] = set()
        running: dict = {}
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            while len(done) < len(jobs):
                for name, job in jobs.items():
                    if name in done or name in running or not set(_needs(job)) <= done:
                        continue
                    running[name] = pool.submit(self.run_job, name, job)
                if not running:
                    raise RehearsalError(f"{self.workflow_path.name}: a cycle in needs")
                finished, _ = wait(running.values(), return_when=FIRST_COMPLETED)
                for name, future in list(running.items()):
                    if future in finished:
                        self.results[name] = future.result()
                        done.add(name)
                        del running[name]
        return self.results

    def needs_context(self, job: dict) -> dict:
        out = {}
        for need in _needs(job):
            results = [r.result for r in self.results[need]]
            result = (
                "failure" if "failure" in results
                else "success" if "success" in results
                else "skipped"
            )  # fmt: skip
            out[need] = {"result": result}
        return out

    def run_job(self, name: str, job: dict) -> list[JobResult]:
        needs = self.needs_context(job)

        def status(function: str) -> bool:
            results = [n["result"] for n in needs.values()]
            if function == "always":
                return True
            if function == "cancelled":
                return False
            if function == "failure":
                return "failure" in results
            return all(r == "success" for r in results)

        contexts = self.contexts(job, {}, needs)
        if not expr.condition(job.get("if"), contexts, status):
            say(f"gh: job {name}: skipped (if: {str(job.get('if')).strip()})")
            return [JobResult(name, "skipped")]
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        cells = _matrix_cells(matrix)
        with ThreadPoolExecutor(max_workers=max(1, len(cells))) as pool:
            futures = [pool.submit(self.run_cell, name, job, cell, needs) for cell in cells]
            return [f.result() for f in futures]

    def contexts(self, job: dict, matrix: dict, needs: dict, steps: dict | None = None) -> dict:
        contexts = {
            "github": self.github,
            "vars": self.vars,
            "secrets": self.secrets,
            "matrix": matrix,
            "needs": needs,
            "steps": steps or {},
            "env": {},
        }
        env: dict[str, str] = {}
        for source in (self.workflow.get("env") or {}, job.get("env") or {}):
            for key, value in source.items():
                contexts["env"] = env
                env[key] = str(expr.interpolate(value, contexts))
        contexts["env"] = env
        return contexts

    def run_cell(self, name: str, job: dict, matrix: dict, needs: dict) -> JobResult:
        label = name + (f" ({', '.join(str(v) for v in matrix.values())})" if matrix else "")
        started = time.monotonic()
        workspace = self.workspaces.new(label)

        temp = Path(tempfile.mkdtemp(prefix=f"{workspace.name}-runner-", dir=workspace.parent))
        summary = temp / "step_summary.md"
        summary.touch()
        base = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REF": self.github["ref"],
            "GITHUB_REF_NAME": self.github["ref_name"],
            "GITHUB_SHA": self.github["sha"],
            "GITHUB_EVENT_NAME": self.github["event_name"],
            "GITHUB_REPOSITORY": self.github["repository"],
            "GITHUB_RUN_ID": self.github["run_id"],
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SERVER_URL": self.github["server_url"],
            "GITHUB_JOB": name,
            "RUNNER_TEMP": str(temp),
        }
        if name in self.selection:
            base["ROBOT_OPTS"] = self.selection[name]
        steps_context: dict[str, dict] = {}
        result = JobResult(label, "success", workspace=workspace)
        failed = False
        say(f"gh: job {label}: started in {workspace}")
        try:
            for index, step in enumerate(job.get("steps") or [], 1):
                contexts = self.contexts(job, matrix, needs, steps_context)
                title = step.get("name") or step.get("uses") or step.get("run", "")
                step_name = str(expr.interpolate(title, contexts)).splitlines()[0]

                def status(function: str, failed=failed) -> bool:
                    return {
                        "always": True,
                        "cancelled": False,
                        "failure": failed,
                        "success": not failed,
                    }[function]

                if not expr.condition(step.get("if"), contexts, status):
                    result.steps.append(StepResult(step_name, "skipped"))
                    say(f"gh: job {label}: step '{step_name}': skipped")
                    continue
                output = temp / f"output-{index}"
                output.touch()
                env = runner_env(workspace, temp / "home", {**base, "GITHUB_OUTPUT": str(output)})
                env.update(contexts["env"])
                for key, value in (step.get("env") or {}).items():
                    env[key] = str(expr.interpolate(value, contexts))
                step_started = time.monotonic()
                folder = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)
                log = self.outdir / "logs" / folder / f"{index:02d}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                if "uses" in step:
                    ok, lines = self.use(step, contexts, workspace, label)
                else:
                    ok, lines = self.run_script(step, contexts, workspace, env, log, job)
                outcome = "success" if ok else "failure"
                result.steps.append(
                    StepResult(step_name, outcome, time.monotonic() - step_started, lines[-5:])
                )
                outputs = dict(
                    line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
                )
                if step.get("id"):
                    steps_context[step["id"]] = {
                        "outcome": outcome,
                        "conclusion": "success" if step.get("continue-on-error") else outcome,
                        "outputs": outputs,
                    }
                say(
                    f"gh: job {label}: step '{step_name}': {outcome} "
                    f"({time.monotonic() - step_started:.1f} s)"
                )
                if not ok and not step.get("continue-on-error"):
                    failed = True
        finally:
            stop_twin(workspace)
        result.result = "failure" if failed else "success"
        result.seconds = time.monotonic() - started
        say(f"gh: job {label}: {result.result} ({result.seconds:.0f} s)")
        return result

    def run_script(self, step, contexts, workspace, env, log: Path, job) -> tuple[bool, list[str]]:
        script = str(expr.interpolate(step["run"], contexts))
        make = re.match(r"\s*make\s+([A-Za-z0-9_.-]+)\b", script)
        if make and make.group(1) in SKIPPED and script.strip().count("\n") == 0:
            line = f"skipped: make {make.group(1)} ({SKIPPED[make.group(1)]})"
            log.write_text(line + "\n")
            return True, [line]
        path = log.with_suffix(".sh")
        path.write_text(script)
        minutes = float(job.get("timeout-minutes") or 360)
        try:
            with open(log, "w") as sink:
                done = subprocess.run(
                    ["bash", "-e", str(path)],
                    cwd=workspace,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    timeout=minutes * 60,
                    check=False,
                )
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = -1
        lines = log.read_text(errors="replace").splitlines()
        if code != 0:
            lines.append(f"Error: Process completed with exit code {code}.")
        return code == 0, lines

    # -- actions ---------------------------------------------------------------------------
    def use(self, step, contexts, workspace: Path, job: str) -> tuple[bool, list[str]]:
        action = step["uses"].split("@", 1)[0]
        if action not in ACTIONS:
            return False, [f"{action}: no stand-in for this action"]
        inputs = {k: expr.interpolate(v, contexts) for k, v in (step.get("with") or {}).items()}
        if action == "actions/checkout":
            return True, [f"checkout: the fresh clone of {self.github['sha'][:12]}"]
        if action == "actions/upload-artifact":
            return self.upload(inputs, workspace)
        if action == "actions/download-artifact":
            return self.download(inputs, workspace)
        return True, [f"{action}: not rehearsed (needs GitHub's service)"]

    def upload(self, inputs: dict, workspace: Path) -> tuple[bool, list[str]]:
        name = inputs["name"]
        includes: list[str] = []
        excludes: list[str] = []
        for line in str(inputs["path"]).splitlines():
            line = line.strip()
            if line:
                (excludes if line.startswith("!") else includes).append(line.lstrip("!"))
        files: list[Path] = []
        roots: list[Path] = []
        for pattern in includes:
            search = pattern.split("*", 1)[0].rstrip("/")
            roots.append(workspace / search if search else workspace)
            for match in sorted(workspace.glob(pattern.rstrip("/"))):
                if match.is_file():
                    files.append(match)
                else:
                    files += sorted(p for p in match.rglob("*") if p.is_file())
        excluded = [workspace / e.rstrip("/") for e in excludes]
        files = [
            f
            for f in dict.fromkeys(files)
            if not any(f == e or e in f.parents for e in excluded)
            and not any(part.startswith(".") for part in f.relative_to(workspace).parts)
        ]
        if not files:
            mode = inputs.get("if-no-files-found", "warn")
            message = f"upload-artifact {name}: no files found at {includes}"
            return mode != "error", [message]
        if len(roots) == 1 and roots[0].is_file():
            base = roots[0].parent
        else:
            base = Path(os.path.commonpath([str(r) for r in roots]))
            if base.is_file():
                base = base.parent
        target = self.artifacts / name
        if target.exists():
            return False, [f"upload-artifact {name}: an artifact of that name exists (v4)"]
        for file in files:
            dest = target / file.relative_to(base)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
        return True, [f"upload-artifact {name}: {len(files)} file(s)"]

    def download(self, inputs: dict, workspace: Path) -> tuple[bool, list[str]]:
        path = workspace / str(inputs.get("path") or ".")
        if inputs.get("name"):
            source = self.artifacts / inputs["name"]
            if not source.is_dir():
                return False, [f"download-artifact: no artifact {inputs['name']}"]
            shutil.copytree(source, path, dirs_exist_ok=True)
            return True, [f"download-artifact {inputs['name']} -> {path}"]
        pattern = inputs.get("pattern") or "*"
        stored = sorted(p.name for p in self.artifacts.iterdir()) if self.artifacts.is_dir() else []
        names = [n for n in stored if fnmatch.fnmatch(n, pattern)]
        merge = str(inputs.get("merge-multiple", "false")).lower() == "true"
        for artifact in names:
            target = path if merge else path / artifact
            shutil.copytree(self.artifacts / artifact, target, dirs_exist_ok=True)
        return True, [f"download-artifact {names} -> {path}"]


def _needs(job: dict) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _matrix_cells(matrix: dict) -> list[dict]:
    cells: list[dict] = [{}]
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        cells = [{**cell, key: value} for cell in cells for value in values]
    return cells


# -- Jenkins ------------------------------------------------------------------------------
def groovy_env() -> dict[str, str]:
    env = {"PATH": RUNNER_PATH, "HOME": os.environ.get("HOME", "/root")}
    java = shutil.which("java", path=RUNNER_PATH)
    if java:
        env["JAVA_HOME"] = str(Path(os.path.realpath(java)).parents[1])
    return env


def run_jenkins(workspaces: Workspaces, outdir: Path, creds: dict, build_tag: str) -> dict:
    config = {
        "jenkinsfile": str(ROOT / "Jenkinsfile"),
        "workspaceCommand": [
            sys.executable,
            "-m",
            "scripts.run.ci_rehearsal",
            "--new-workspace",
            str(workspaces.root),
            workspaces.ref,
            str(workspaces.template or ""),
        ],
        "stashDir": str(outdir / "jenkins-stash"),
        "env": {
            "PATH": RUNNER_PATH,
            "HOME": str(outdir / "jenkins-home"),
            "LANG": "C.UTF-8",
            "JENKINS_URL": "http://127.0.0.1:9/jenkins/",
            "BUILD_URL": "http://127.0.0.1:9/jenkins/job/focus/job/main/1/",
            "BUILD_TAG": build_tag,
            "BRANCH_NAME": "main",
            "JOB_NAME": "focus/main",
            "BUILD_NUMBER": "1",
            "XRAY_RUN_ID": build_tag,
        },
        "credentials": creds,
        "robotStep": json.loads(
            (ROOT / "tests" / "publishing" / "fixtures" / "jenkins_robot_step.json").read_text()
        ),
        "skipTargets": SKIPPED,
        "stageEnv": {
            "Shards": {"ROBOT_OPTS": SHARD_OPTS},
            "Destructive": {"ROBOT_OPTS": DESTRUCTIVE_OPTS},
        },
    }
    (outdir / "jenkins-home").mkdir(parents=True, exist_ok=True)
    path = outdir / "jenkins.json"
    path.write_text(json.dumps(config, indent=1))
    log = outdir / "logs" / "jenkins.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    groovy = shutil.which("groovy", path=RUNNER_PATH) or "groovy"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [groovy, str(ROOT / "scripts" / "run" / "jenkins_stand_in.groovy"), str(path)],
            cwd=ROOT,
            env=groovy_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        result = None
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            sink.write(line)
            if line.startswith("JENKINS-RESULT "):
                result = json.loads(line[len("JENKINS-RESULT ") :])
            elif SHOWN.match(line):
                say("jenkins: " + line.rstrip())
        process.wait(timeout=60 * 30)
    path.unlink()  # it holds the stand-in's credentials store
    if result is None:
        tail = log.read_text(errors="replace").splitlines()[-5:]
        raise RehearsalError(f"the Jenkins stand-in ended without a result: {' | '.join(tail)}")
    return result


# -- checks -------------------------------------------------------------------------------
def expected_tests(workspace: Path) -> set[str]:
    """The tests the shards and the destructive job should have run, exactly once each."""
    from robot.api import TestSuiteBuilder

    suite = TestSuiteBuilder(process_curdir=False).build(str(workspace / "robot"))
    selected = set()
    for test in suite.all_tests:
        tags = {t.lower() for t in test.tags}
        if "nightly" in tags:
            continue
        if "disruptive" in tags or "destructive" in tags:  # destructive: the old name
            if test.full_name == DESTRUCTIVE_TEST:
                selected.add(test.full_name)
        elif "smoke" in tags:
            selected.add(test.full_name)
    return selected


def check_merged(output: Path, expected: set[str], where: str) -> list[str]:
    from robot.api import ExecutionResult

    if not output.is_file():
        return [f"{where}: {output} was not written"]
    names = [t.full_name for t in ExecutionResult(str(output)).suite.all_tests]
    problems = []
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        problems.append(f"{where}: {len(doubles)} test(s) more than once, e.g. {doubles[0]}")
    missing = sorted(expected - set(names))
    extra = sorted(set(names) - expected)
    if missing:
        problems.append(f"{where}: {len(missing)} test(s) missing, e.g. {missing[0]}")
    if extra:
        problems.append(f"{where}: {len(extra)} unexpected test(s), e.g. {extra[0]}")
    if not problems:
        say(f"ci-rehearsal: {where}: {len(names)} tests, each exactly once")
    return problems


# -- main ---------------------------------------------------------------------------------
EXPECTED_JOBS = {
    "checks": "success",
    "shard": "success",
    "destructive": "success",
    "merge": "success",
    "publish": "success",
    "comment": "skipped",
}
EXPECTED_STAGES = ["Setup", "Smoke", "Shards", "Destructive", "Merge", "Publish", "post always"]


def venv_template(workspaces: Workspaces) -> Path:
    """A fresh clone whose .venv ``make setup`` has made complete for the commit.

    This checkout's venv (and openapi-diff's node_modules) is copied in first; the clone's
    own ``make setup`` then decides, by its own stamp, whether the commit's requirements need
    a reinstall. The jobs copy their venv from this clone.
    """
    workspaces.template = ROOT if (ROOT / ".venv" / "bin" / "python").exists() else None
    started = time.monotonic()
    template = workspaces.new("venv-template")
    done = subprocess.run(
        ["make", "setup"],
        cwd=template,
        env=runner_env(template, workspaces.root / "home-template", {}),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RehearsalError(f"make setup in a fresh clone failed: {done.stdout[-300:]}")
    what = (
        "installed the commit's requirements"
        if "installing Python packages" in done.stdout
        else "found this checkout's venv complete for the commit"
    )
    say(f"ci-rehearsal: venv template: make setup {what} ({time.monotonic() - started:.0f} s)")
    return template


def imports_labelled(xray, marker: str) -> list[dict]:
    """The stand-in's imports whose Test Execution carries this run's marker label."""
    return [i for i in xray.imports if marker in (i["info"].get("fields") or {}).get("labels", [])]


def check_import(xray, marker: str, expected: set[str], where: str) -> list[str]:
    found = imports_labelled(xray, marker)
    if len(found) != 1:
        return [f"{where}: {len(found)} Xray import(s) labelled {marker}, not 1"]
    if set(found[0]["tests"]) != expected:
        return [f"{where}: the Xray import does not hold the merged tests"]
    say(f"ci-rehearsal: {where}: Test Execution {found[0]['key']} with {len(expected)} tests")
    return []


def job_problems(workflow: str, results: dict[str, list[JobResult]], expected: dict) -> list[str]:
    """One line per job that did not end as expected, naming its first failed step."""
    problems = []
    for job, want in expected.items():
        for cell in results.get(job, []):
            if cell.result == want:
                continue
            step = cell.failed_step()
            detail = f" at step '{step.name}': {' | '.join(step.tail[-3:])}" if step else ""
            problems.append(f"{workflow} job '{cell.name}' ended {cell.result}, not {want}{detail}")
    return problems


def rehearse_github(workspaces, outdir, xray, commit, expected) -> tuple[dict, list[str]]:
    run_id = str(int(time.time()))
    github = {
        "event_name": "push",
        "ref": "refs/heads/main",
        "ref_name": "main",
        "sha": commit,
        "repository": "qa/focus-suite",
        "run_id": run_id,
        "server_url": "http://127.0.0.1:9",
        "event": {},
    }
    run = GitHubRun(
        ROOT / ".github" / "workflows" / "regression.yml",
        workspaces=workspaces,
        outdir=outdir / "github",
        github=github,
        vars_={"XRAY_CLOUD_URL": xray.url, "XRAY_PROJECT_KEY": "PZ", "JIRA_URL": ""},
        secrets={"XRAY_CLIENT_ID": xray.client_id, "XRAY_CLIENT_SECRET": xray.client_secret},
        selection={"shard": SHARD_OPTS, "destructive": DESTRUCTIVE_OPTS},
    )
    results = run.run()
    problems = job_problems("regression.yml", results, EXPECTED_JOBS)
    merge = results["merge"][0].workspace
    if merge:
        output = merge / "results" / "merged" / "output.xml"
        problems += check_merged(output, expected, "regression.yml merge")
    marker = f"robot-run-gh-{run_id}-1"
    problems += check_import(xray, marker, expected, "regression.yml publish")
    return results, problems


def rehearse_jenkins(workspaces, outdir, xray, expected, build_tag) -> tuple[dict, list[str]]:
    creds = {
        "xray-cloud-api-key": {"username": xray.client_id, "password": xray.client_secret},
        "xray-cloud-url": {"secret": xray.url},
    }
    jenkins = run_jenkins(workspaces, outdir, creds, build_tag)
    problems = []
    for stage in EXPECTED_STAGES:
        state = jenkins["stages"].get(stage, "did not run")
        if not state.startswith("success"):
            problems.append(f"Jenkinsfile stage '{stage}': {state}")
    if jenkins["result"] != "SUCCESS":
        problems.append(f"Jenkinsfile: the build is {jenkins['result']}")
    output = Path(jenkins["workspace"]) / "results" / "merged" / "output.xml"
    problems += check_merged(output, expected, "Jenkinsfile Merge")
    problems += check_import(xray, f"robot-run-{build_tag}", expected, "Jenkinsfile Publish")
    return jenkins, problems


def rehearse(outdir: Path, keep: bool, only: str | None = None) -> int:
    from scripts.publishing.xray_keys import load_keys
    from tests.publishing.standin import Standin

    started = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    for old in ("artifacts", "logs", "github", "jenkins-stash"):
        shutil.rmtree(outdir / old, ignore_errors=True)
    ref = f"refs/ci-rehearsal/{os.getpid()}"
    root = Path(tempfile.mkdtemp(prefix="workspaces-", dir=outdir))
    workspaces = Workspaces(root, ref)
    problems: list[str] = []
    try:
        commit = snapshot(ref)
        workspaces.template = venv_template(workspaces)
        expected = expected_tests(ROOT)
        mapping = load_keys(ROOT / "variables" / "xray_keys.yaml")
        with Standin(deployment="Cloud", clock=time.monotonic, search_lag=2.0) as xray:
            for key in sorted(mapping.requirements):
                xray.add_issue(key, "Story")
            for key in sorted(mapping.bugs):
                xray.add_issue(key, "Bug")
            tag = f"jenkins-focus-main-{int(time.time())}"
            # The workflow, then the pipeline: each starts its shards' twins at once, and
            # both together (7 twins on 2 cores) once failed a RabbitMQ node's start three
            # times in a Jenkins shard (integration run of 2026-12-07), a failure of this
            # machine's capacity, not of the CI files.
            results: dict = {}
            jenkins_result: dict = {"stages": {}}
            with ThreadPoolExecutor(max_workers=1) as pool:
                if only in (None, "github"):
                    github = pool.submit(
                        rehearse_github, workspaces, outdir, xray, commit, expected
                    )
                if only in (None, "jenkins"):
                    jenkins = pool.submit(rehearse_jenkins, workspaces, outdir, xray, expected, tag)
                if only in (None, "github"):
                    results, found = github.result()
                    problems += found
                if only in (None, "jenkins"):
                    jenkins_result, found = jenkins.result()
                    problems += found
        for line in _table(results, jenkins_result):
            say(line)
    except RehearsalError as error:
        problems.append(str(error))
    finally:
        # Every workspace, the Jenkins agents' too (made by the stand-in's own processes).
        for workspace in sorted(p for p in root.iterdir() if (p / ".git").exists()):
            stop_twin(workspace)
        try:
            git("update-ref", "-d", ref)
        except RehearsalError:
            pass
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    for problem in problems:
        print(f"ci-rehearsal: {problem}")
    verdict = "FAILED" if problems else "passed"
    seconds = time.monotonic() - started
    print(f"ci-rehearsal: {verdict} in {seconds:.0f} s (step logs under {outdir})")
    return 1 if problems else 0


def _table(results: dict[str, list[JobResult]], jenkins: dict) -> list[str]:
    lines = ["ci-rehearsal: where | what | result"]
    for cells in results.values():
        for cell in cells:
            took = f"{cell.seconds:.0f} s"
            lines.append(f"  regression.yml | job {cell.name} | {cell.result} ({took})")
    for stage, state in jenkins["stages"].items():
        lines.append(f"  Jenkinsfile | stage {stage} | {state}")
    for report in jenkins.get("robot", []):
        if report.get("found"):
            counts = f"{report['pass']} passed, {report['fail']} failed"
            lines.append(f"  Jenkinsfile | robot step | {counts}: {report['result']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--new-workspace"]:  # called by the Jenkins stand-in for each agent
        root, ref, template, label = argv[1:5]
        workspaces = Workspaces(Path(root), ref, Path(template) if template else None)
        workspaces._count = len(list(Path(root).iterdir())) + 100
        print(workspaces.new(f"jenkins-{label}"))
        return 0
    parser = argparse.ArgumentParser(prog="ci_rehearsal", description=__doc__.splitlines()[0])
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "ci-rehearsal")
    parser.add_argument("--keep", action="store_true", help="keep the job workspaces")
    parser.add_argument(
        "--only", choices=["github", "jenkins"], help="rehearse one of the two (default: both)"
    )
    args = parser.parse_args(argv)
    return rehearse(args.outputdir.resolve(), args.keep, args.only)


if __name__ == "__main__":
    sys.exit(main())
