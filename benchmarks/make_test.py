"""Print the wall time and the test counts of each stage of ``make test``, from one run.

Runs ``make test`` once (its output goes to the console as usual) and then prints one
line per stage: setup, lint, pytest, regression, prove, guard, secret check, summary,
with the counts each stage printed (tests passed, failed, skipped; bugs caught; files
checked). Issue 19's target: the whole of ``make test`` in 11 minutes or less on the
2 cores of this machine, with the same counts as before.

How the stages are timed: make runs every recipe line through a tracing shell (a bash
with ``set -x`` whose trace lines carry the time, ``+[make_test LEVEL EPOCH] command``),
so the start of each stage is the moment ``make test``'s own recipe starts it, and a
stage ends when the next one starts. Nothing of ``make test`` changes but the shell
that prints the trace. The merged console is kept, each line with the time it was read,
in ``results/make_test/make_test.log`` (``--save`` to put it elsewhere), so the figures
of a run can be printed again, and compared with another run's::

    flock /work/locks/cpu.lock .venv/bin/python benchmarks/make_test.py
    python benchmarks/make_test.py --log results/make_test/make_test.log
    python benchmarks/make_test.py --log after.log --compare before.log

A plain ``make test`` console has no times: only a log this script wrote can be read.
Exits with ``make test``'s exit code when it runs it, 0 when it reads a log, 2 on a
log it cannot read.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOG = ROOT / "results" / "make_test" / "make_test.log"
TARGET_S = 11 * 60
HEADER = "# benchmarks/make_test.py log"

# make runs each recipe line as `SHELL -c LINE`: this shell traces every command with the
# time and make's recursion level (1 for make test's own recipe, 2 for its sub-makes').
TRACING_SHELL = """#!/bin/bash
PS4='+[make_test ${MAKELEVEL:-0} ${EPOCHREALTIME}] '
eval "set -x
${@: -1}"
"""
TRACE = re.compile(r"^\++\[make_test (\d+) (\d+\.\d+)\] (.*)$")

# What starts each stage in make test's recipe (the first match wins), in run order.
STAGES = [
    ("setup", re.compile(r"\bsetup\.sh\b")),
    ("lint", re.compile(r"\bmake\b.* lint$")),
    ("pytest", re.compile(r"\bmake\b.* pytest$")),
    ("regression", re.compile(r"\bmake\b.* regression$")),
    ("prove", re.compile(r"\bmake\b.* prove$")),
    ("guard", re.compile(r"\bmake\b.* guard$")),
    ("ci-rehearsal", re.compile(r"\bmake\b.* ci-rehearsal$")),
    ("secret check", re.compile(r"\bcheck_secrets\b")),
    ("summary", re.compile(r"\bsummary\b")),
]
END = re.compile(r"^exit (\d+)$")


@dataclass
class Stage:
    name: str
    start: float
    end: float = 0.0
    lines: list[str] = field(default_factory=list)
    commands: int = 0  # commands its sub-make ran (traced one level down)
    failed: bool = False  # make test's recipe set rc=1 after it

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Run:
    started: float
    header: str
    stages: list[Stage]
    ended: float
    exit_code: int | None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


# ---- running make test ---------------------------------------------------------------------
def run_make_test(log_path: Path, make_args: list[str]) -> int:
    """``make test`` with the tracing shell; its console to ours and, timed, to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="make-test-bench-") as tmp:
        shell = Path(tmp) / "tracing-shell"
        shell.write_text(TRACING_SHELL)
        shell.chmod(0o755)
        command = ["make", "test", f"SHELL={shell}", *make_args]
        started = time.time()
        with log_path.open("w") as log:
            log.write(
                f"{HEADER}: started {started:.3f}, commit {commit or '?'}, "
                f"{os.cpu_count()} cores, {' '.join(command[:2] + make_args)}\n"
            )
            process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(f"{time.time():.3f}\t{line}")
                log.flush()
            code = process.wait()
            log.write(f"{time.time():.3f}\t# make exited {code}\n")
    return code


# ---- reading a log -------------------------------------------------------------------------
def parse(log_path: Path) -> Run:
    text = log_path.read_text(errors="replace").splitlines()
    if not text or not text[0].startswith(HEADER):
        raise ValueError(f"{log_path} is not a log written by benchmarks/make_test.py")
    header = re.search(r"started (\d+\.\d+)", text[0])
    if header is None:
        raise ValueError(f"{log_path}: its first line gives no start time")
    started = float(header.group(1))
    entries = []
    for line in text[1:]:
        stamp, _, content = line.partition("\t")
        entries.append((float(stamp), content))
    levels = [int(m.group(1)) for _, content in entries if (m := TRACE.match(content))]
    top = min(levels, default=0)
    stages: list[Stage] = []
    ended, exit_code = entries[-1][0] if entries else started, None
    for _, content in entries:
        match = TRACE.match(content)
        if match is None:
            if stages:
                stages[-1].lines.append(content)
            if content.startswith("# make exited"):
                exit_code = int(content.split()[-1]) if exit_code is None else exit_code
            continue
        level, at, command = int(match.group(1)), float(match.group(2)), match.group(3)
        if level > top:
            if stages:
                stages[-1].commands += 1
            continue
        if command == "rc=1" and stages:
            stages[-1].failed = True
            continue
        end = END.match(command)
        if end:
            ended, exit_code = at, int(end.group(1))
            continue
        for name, pattern in STAGES:
            if pattern.search(command) and name not in {s.name for s in stages}:
                if stages:
                    stages[-1].end = at
                stages.append(Stage(name, at))
                break
    if stages and not stages[-1].end:
        stages[-1].end = ended
    return Run(started, text[0], stages, ended, exit_code)


def _last(pattern: str, lines: list[str]) -> re.Match | None:
    found = None
    for line in lines:
        found = re.search(pattern, line) or found
    return found


def counts(stage: Stage) -> str:
    """What the stage says it ran, from its own console lines."""
    lines = stage.lines
    if stage.name == "lint":
        return f"{stage.commands} commands"
    if stage.name == "pytest":
        summary = _last(r"=+ (\d+ \w+.*) in [\d.]+s", lines)
        return summary.group(1) if summary else "no pytest summary line"
    if stage.name == "regression":
        summary = _last(r"^(\d+ tests?, \d+ passed, \d+ failed(, \d+ skipped)?)", lines)
        return summary.group(1) if summary else "no Robot statistics line"
    if stage.name == "prove":
        matches = (re.match(r"^\s+(\S+(?: \S+)?)\s+(\d+) tests, (\d+) failed", ln) for ln in lines)
        runs = [m for m in matches if m]
        tests = sum(int(m.group(2)) for m in runs)
        verdict = _last(r"prove: (\d+ of \d+ bugs caught; clean run [\w ]+)", lines)
        said = verdict.group(1) if verdict else "no verdict"
        return f"{len(runs)} runs, {tests} tests; {said}"
    if stage.name == "guard":
        rows = sum(1 for line in lines if re.match(r"^(ok  |FAIL) ", line))
        broken = sum(1 for line in lines if line.startswith("FAIL "))
        took = [m.group(1) for line in lines if (m := re.match(r"guard: robot took (.*)", line))]
        verdicts = re.findall(r"^guard: (HOLDS|BROKEN)", "\n".join(lines), re.M)
        return (
            f"{len(verdicts)} pass(es) {'/'.join(verdicts) or 'no verdict'}; {rows} rows, "
            f"{broken} broken; robot took {'; '.join(took) or '?'}"
        )
    if stage.name == "ci-rehearsal":
        jobs = [line for line in lines if re.match(r"^\s+\S+ \| (job|stage) ", line)]
        failed = [line for line in jobs if "| failed" in line or line.rstrip().endswith("failed")]
        return f"{len(jobs)} jobs and stages, {len(failed)} failed"
    if stage.name == "secret check":
        checked = _last(r"checked (\d+ files under .* (\d+) leak\(s\))", lines)
        return checked.group(1) if checked else "no 'checked' line"
    if stage.name == "summary":
        total = _last(r"total: (.*)", lines)
        return total.group(1) if total else "no total line"
    return ""


# ---- printing ------------------------------------------------------------------------------
def report(after: Run, before: Run | None) -> str:
    out = [f"after:  {after.header[len(HEADER) + 2 :]}"] if before else [after.header[2:]]
    if before:
        out.insert(0, f"before: {before.header[len(HEADER) + 2 :]}")
    head = f"{'stage':<13} {'wall':>8}"
    if before:
        head += f" {'before':>8} {'ratio':>6}"
    out += ["", head + "  counts"]
    old = {s.name: s for s in before.stages} if before else {}
    for stage in after.stages:
        row = f"{stage.name:<13} {clock(stage.seconds):>8}"
        if before:
            prior = old.get(stage.name)
            ratio = f"{stage.seconds / prior.seconds:.2f}" if prior and prior.seconds else "-"
            row += f" {clock(prior.seconds) if prior else '-':>8} {ratio:>6}"
        flag = "  (stage FAILED)" if stage.failed else ""
        out.append(f"{row}  {counts(stage)}{flag}")
        if before and prior:
            out.append(f"{'':<13} {'':>8} {'':>8} {'':>6}  before: {counts(prior)}")
    total = f"{'total':<13} {clock(after.seconds):>8}"
    if before:
        total += f" {clock(before.seconds):>8} {after.seconds / before.seconds:>6.2f}"
    verdict = "within" if after.seconds <= TARGET_S else "OVER"
    out.append(
        f"{total}  make test exit {after.exit_code}; {verdict} the {TARGET_S // 60}-minute target"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="print the figures of this log; run nothing")
    parser.add_argument("--compare", type=Path, help="an earlier run's log, shown beside")
    parser.add_argument("--save", type=Path, default=DEFAULT_LOG, help="where the log goes")
    parser.add_argument("make_args", nargs="*", help="passed to make (e.g. MONITOR=)")
    args = parser.parse_args(argv)
    code = 0
    log = args.log
    if log is None:
        code = run_make_test(args.save, args.make_args)
        log = args.save
        print(f"\nmake_test: log in {log}")
    try:
        after = parse(log)
        before = parse(args.compare) if args.compare else None
    except (OSError, ValueError, AttributeError) as error:
        print(f"make_test: cannot read the log: {error}", file=sys.stderr)
        return 2
    print(report(after, before))
    return code


if __name__ == "__main__":
    sys.exit(main())
