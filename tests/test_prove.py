"""``make prove``'s verdicts: caught only when the clean run is green."""

from __future__ import annotations

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
