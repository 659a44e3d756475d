"""``make prove``'s verdicts: caught only when the clean run is green."""

from __future__ import annotations

import fcntl
import multiprocessing

import pytest

from scripts.run import prove
from scripts.run.prove import CLEAN, Run, _table


def test_a_bug_is_caught_when_one_of_its_tests_fails_and_the_clean_run_is_green():
    assert Run("PZ-13669", tests=2, failed=["x"]).result(clean_green=True) == "caught"
    assert Run("PZ-13669", tests=2, failed=["x"]).result(clean_green=False) == "unproven"


def test_a_bug_is_missed_when_nothing_fails_or_no_test_claims_it():
    assert Run("PZ-13669", tests=2).result(clean_green=True) == "MISSED"
    assert Run("PZ-13669", tests=0).result(clean_green=True) == "MISSED"


def test_the_clean_run_is_green_only_with_tests_and_no_failure():
    assert Run(CLEAN, tests=17).result(True) == "green"
    assert Run(CLEAN, tests=0).result(True) == "RED"
    assert Run(CLEAN, tests=17, failed=["y"]).result(True) == "RED"
    assert Run(CLEAN, tests=17, error="twin did not start").result(True) == "error"


def test_the_table_names_what_went_red_and_what_was_missed():
    table = _table(
        [
            Run(CLEAN, tests=3, seconds=10.0),
            Run("PZ-13669", tests=2, failed=["SingleChannel Needs Min Equal To Max"]),
            Run("PZ-13238", tests=1),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["bug", "tests", "failed", "result", "seconds"]
    assert "caught" in lines[2] and "SingleChannel Needs Min Equal To Max" in lines[2]
    assert "MISSED" in lines[3] and "no test failed: waterfall rows leave out" in lines[3]


# Two runs at a time: a stand-in for _run, in the pool's forked worker processes.
_both_started = multiprocessing.get_context("fork").Barrier(2)


def _fake_run(name, keys, include, outdir, env):
    if name in ("first", "second"):
        _both_started.wait(timeout=30)  # raises BrokenBarrierError unless both run at once
    return Run(name, tests=len(include), failed=[str(prove._twin_dir)])


def test_two_runs_go_at_a_time_each_worker_on_its_own_twin_and_the_table_keeps_the_plan_order(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(prove, "_run", _fake_run)
    plan = [(name, frozenset(), ["x"]) for name in ("first", "second", "third", "fourth")]

    runs = prove._run_all(plan, tmp_path, {}, jobs=2)

    assert [run.name for run in runs] == ["first", "second", "third", "fourth"]
    assert not [run.error for run in runs if run.error]
    twin_dirs = {run.failed[0] for run in runs}
    assert twin_dirs == {str(tmp_path / "twin-1"), str(tmp_path / "twin-2")}
    assert runs[0].failed != runs[1].failed  # the two at once never share a twin


def test_both_twins_keep_their_locks_in_one_directory(tmp_path):
    locks = tmp_path / "locks"
    for name in ("twin-1", "twin-2"):
        (tmp_path / name / "locks").mkdir(parents=True)  # as an earlier run left it
        (tmp_path / name / "locks" / "system.lock").touch()
        prove._share_locks(tmp_path / name, locks)
        prove._share_locks(tmp_path / name, locks)  # again: nothing changes

    assert (tmp_path / "twin-1" / "locks").resolve() == locks.resolve()
    assert (tmp_path / "twin-2" / "locks").resolve() == locks.resolve()


def test_a_twin_starts_only_while_no_destructive_test_holds_the_system_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(prove, "LOCK_TIMEOUT_S", 0.5)
    with open(tmp_path / "system.lock", "w") as destructive_test:
        fcntl.flock(destructive_test, fcntl.LOCK_EX)  # `Hold Lock  system  exclusive`
        waits = pytest.raises(TimeoutError, match="a destructive test holds it")
        with waits, prove._system_shared(tmp_path):
            pass
        fcntl.flock(destructive_test, fcntl.LOCK_UN)
    shared = open(tmp_path / "system.lock", "w")  # noqa: SIM115 (closed below)
    with prove._system_shared(tmp_path):
        fcntl.flock(shared, fcntl.LOCK_SH | fcntl.LOCK_NB)  # other tests share it meanwhile
    shared.close()
