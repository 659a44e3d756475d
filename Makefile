# The two commands: `make smoke` and `make test`. Both set up first (idempotent).
SHELL := /bin/bash
VENV := .venv/bin

# The environment of make fuzz/load/baseline/nightly: ENV=<name> on the make command line,
# else FOCUS_ENV, else local. An ENV exported by the shell is ignored: shells use ENV for
# other things, and a production ENV left in a shell must not aim these tools at it.
ifneq ($(origin ENV),command line)
ENV := $(or $(FOCUS_ENV),local)
endif

# pabot starts `robot` from PATH: the venv's, as if it were activated.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
PROCESSES ?= 4
RESULTS := results
ROBOT_OPTS ?=
# The pod monitor files each test's pod logs under it (log.html, results/*/pod_logs/).
# Off with `make test MONITOR=`; options: MONITOR="--listener libraries.pod_monitor.PodMonitor:fail_on_errors=true".
MONITOR ?= --listener libraries.pod_monitor.PodMonitor
TAGLINK := $(if $(JIRA_URL),--tagstatlink "PZ-*:$(JIRA_URL)/browse/PZ-%1:Jira",)

.PHONY: setup smoke test nightly lint format pytest regression prove guard docs dist repeat clean \
	twin-up twin-down dashboard shard-demo plan ui-baselines baseline load fuzz \
	xray jira-bugs ci-shard ci-destructive ci-merge ci-summary ci-xray ci-verdict ci-rehearsal

setup:
	@scripts/run/setup.sh

smoke: setup
	$(VENV)/robot --outputdir $(RESULTS)/smoke --include smoke $(MONITOR) $(ROBOT_OPTS) robot/

# Runs every stage even when one fails, then prints one closing line with the counts.
test: setup
	@rc=0; \
	$(MAKE) --no-print-directory lint || rc=1; \
	$(MAKE) --no-print-directory pytest || rc=1; \
	$(MAKE) --no-print-directory regression || rc=1; \
	$(MAKE) --no-print-directory prove || rc=1; \
	$(MAKE) --no-print-directory guard || rc=1; \
	$(MAKE) --no-print-directory ci-rehearsal || rc=1; \
	$(VENV)/python -m scripts.checks.check_secrets $(RESULTS) || rc=1; \
	$(VENV)/python -m scripts.run.summary $(RESULTS)/pytest.xml $(RESULTS)/regression/output.xml || rc=1; \
	exit $$rc

# The conflict-marker and README-path checks come first: they need nothing but git.
lint:
	$(VENV)/python -m scripts.checks.check_conflict_markers
	$(VENV)/python -m scripts.checks.check_readme_paths README.md twin/README.md
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports
	$(VENV)/robocop check robot resources
	$(VENV)/robocop check --extend-select ANN02 --configure ANN02.severity=W resources
	$(VENV)/robocop format --check robot resources
	$(VENV)/python -m scripts.checks.check_tags robot
	$(VENV)/python -m scripts.checks.check_effects robot
	$(VENV)/python -m scripts.checks.check_coverage robot/CONTRACT_COVERAGE.md
	$(VENV)/actionlint .github/workflows/*.yml
	@scripts/checks/check_jenkinsfile.sh Jenkinsfile

format:
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .
	$(VENV)/robocop format robot resources

# Two pytest-xdist workers; the tests that share a twin or another costly fixture run on
# the same one (groups: tests/conftest.py). PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 2
pytest:
	$(VENV)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --junitxml=$(RESULTS)/pytest.xml

regression:
	$(VENV)/pabot --processes $(PROCESSES) --outputdir $(RESULTS)/regression \
		--exclude nightly $(TAGLINK) $(MONITOR) $(ROBOT_OPTS) robot/

# The suite catches the seven known bugs of contract section 6: the tests tagged with each
# key run against a twin with that bug switched on (twin/bugs.py), then all with none.
prove: setup
	$(VENV)/python -m scripts.run.prove

# The production rehearsal: the whole suite with -v ENV:production against a twin given as
# remote-style variables, every store diffed before/after (one table, HOLDS or the broken
# rows); then the shared tests again with ALLOW_SHARED=production. See README, Live systems.
guard: setup
	@rc=0; \
	$(VENV)/python -m scripts.run.production_guard || rc=1; \
	$(VENV)/python -m scripts.run.production_guard --allow-shared || rc=1; \
	exit $$rc

# Everything, the long load and soak tests (tag nightly) included, then the contract fuzzing.
# The nightly tests run after the rest, one at a time: a soak or a timing comparison that
# shares the cores with other suites measures them, not the system. The two outputs merge
# into results/nightly/output.xml.
nightly: setup
	@$(VENV)/python -m scripts.run.tool_guard nightly $(ENV)
	@rc=0; \
	$(VENV)/pabot --processes $(PROCESSES) --outputdir $(RESULTS)/nightly/rest -v ENV:$(ENV) \
		--exclude nightly $(TAGLINK) $(MONITOR) $(ROBOT_OPTS) robot/ || rc=1; \
	$(VENV)/robot --outputdir $(RESULTS)/nightly/long --include nightly -v ENV:$(ENV) \
		$(TAGLINK) $(MONITOR) $(ROBOT_OPTS) robot/ || rc=1; \
	$(VENV)/rebot --merge --outputdir $(RESULTS)/nightly --output output.xml $(TAGLINK) \
		$(RESULTS)/nightly/rest/output.xml $(RESULTS)/nightly/long/output.xml || rc=1; \
	$(MAKE) --no-print-directory fuzz ENV=$(ENV) || rc=1; \
	exit $$rc

# Performance baseline of an environment: variables/baselines/$(ENV).json (commit it).
baseline: setup
	@$(VENV)/python -m scripts.run.tool_guard baseline $(ENV)
	$(VENV)/python -m scripts.run.record_baseline --env $(ENV)

# make load [SCENARIO=health USERS=50 DURATION=60 WORKERS=2]: Locust's distributed mode
# (one master, WORKERS worker processes) against the twin; the figures go to results/perf/.
SCENARIO ?= health
USERS ?= 50
DURATION ?= 60
WORKERS ?= 2
load: setup
	@$(VENV)/python -m scripts.run.tool_guard load $(ENV)
	$(VENV)/python -m scripts.run.run_load --env $(ENV) --scenario $(SCENARIO) --users $(USERS) \
		--duration $(DURATION) --workers $(WORKERS)

# Contract fuzzing of the served OpenAPI with schemathesis (all checks, stateful links),
# and the breaking-change check against the committed snapshot.
fuzz: setup
	@$(VENV)/python -m scripts.run.tool_guard fuzz $(ENV)
	$(VENV)/python -m scripts.run.fuzz --env $(ENV)

# Trends: adds each run's output.xml to results/dashboard.db, writes results/dashboard.html.
DASHBOARD_OUTPUTS ?= $(RESULTS)/regression/output.xml
dashboard: setup
	$(VENV)/python -m scripts.publishing.dashboard --db $(RESULTS)/dashboard.db --html $(RESULTS)/dashboard.html \
		$(DASHBOARD_OUTPUTS)

# The regression as CI runs it: 3 pabot shards (--shard i/3, destructive left out), then the
# destructive tests serially, merged with rebot --merge and compared with one unsharded run:
# every test exactly once, the same counts. UNSHARDED=results/regression/output.xml reuses
# `make test`'s unsharded run instead of running it again.
SHARD_SUITES ?= robot/
UNSHARDED ?=
shard-demo: setup
	$(VENV)/python -m scripts.run.shard_demo --shards 3 --processes 2 \
		$(if $(UNSHARDED),--unsharded $(UNSHARDED),) --outputdir $(RESULTS)/shard-demo $(SHARD_SUITES)

# Publishing the last regression run (settings from the environment: see README, Publishing).
# XRAY_OUTPUTS: the output.xml files to import (shards merge); XRAY_OPTS: more options.
XRAY_OUTPUTS ?= $(RESULTS)/regression/output.xml
XRAY_OPTS ?=
xray: setup
	$(VENV)/python -m scripts.publishing.xray_import $(XRAY_OUTPUTS) $(XRAY_OPTS)

JIRA_OUTPUTS ?= $(RESULTS)/regression/output.xml
JIRA_OPTS ?=
jira-bugs: setup
	$(VENV)/python -m scripts.publishing.jira_bugs $(JIRA_OUTPUTS) $(JIRA_OPTS)

# ---- CI: the steps of .github/workflows/*.yml and the Jenkinsfile, one target each ----
# Every CI step is `make <target>`: make puts the venv on PATH (see the top), so pabot finds
# `robot` on a runner where nothing else does. `make ci-rehearsal` runs them as a runner does.
# A test run's failed tests are not a CI step's failure (exit codes 1-250 are the failed
# count): the merge job's verdict says it; errors (251-255) still fail the step.
SHARD ?= 1
SHARDS ?= 4
ci-shard: setup
	@rc=0; $(VENV)/pabot --processes 2 --shard $(SHARD)/$(SHARDS) --outputdir $(RESULTS)/shard-$(SHARD) \
		$(MONITOR) --exclude nightly --exclude disruptive $(ROBOT_OPTS) robot/ || rc=$$?; \
		[ $$rc -le 250 ] || { echo "ci-shard: pabot exited $$rc"; exit $$rc; }

ci-destructive: setup
	@rc=0; $(VENV)/robot --outputdir $(RESULTS)/destructive $(MONITOR) \
		--include disruptive --exclude nightly $(ROBOT_OPTS) robot/ || rc=$$?; \
		[ $$rc -le 250 ] || { echo "ci-destructive: robot exited $$rc"; exit $$rc; }

# The shards' outputs (GitHub: downloaded to results/parts/<artifact>/) -> results/merged.
CI_PARTS ?= $(RESULTS)/parts/*/output.xml
ci-merge: setup
	@parts=$$(ls $(CI_PARTS) 2>/dev/null); \
		[ -n "$$parts" ] || { echo "ci-merge: no output.xml in $(CI_PARTS)"; exit 1; }; \
		$(VENV)/rebot --merge --outputdir $(RESULTS)/merged --output output.xml --name Robot \
			--nostatusrc $(TAGLINK) $$parts

# The Markdown summary of a run: to CI_OUTPUT's directory (summary.md) and, on GitHub, to
# the job summary ($$GITHUB_STEP_SUMMARY).
CI_OUTPUT ?= $(RESULTS)/merged/output.xml
CI_TITLE ?= regression
CI_XRAY ?= $(dir $(CI_OUTPUT))xray.json
ARTIFACT_URL ?=
ci-summary: setup
	@if [ ! -f $(CI_OUTPUT) ]; then echo "ci-summary: no $(CI_OUTPUT): its stage did not finish"; exit 0; fi; \
	$(VENV)/python -m scripts.publishing.ci_summary $(CI_OUTPUT) --title "$(CI_TITLE)" \
		$(if $(ARTIFACT_URL),--artifact-url "$(ARTIFACT_URL)",) --xray-result $(CI_XRAY) \
		> $(dir $(CI_OUTPUT))summary.md || exit 1; \
	if [ -n "$$GITHUB_STEP_SUMMARY" ]; then cat $(dir $(CI_OUTPUT))summary.md >> "$$GITHUB_STEP_SUMMARY"; fi; \
	cat $(dir $(CI_OUTPUT))summary.md

# The Xray import where CI may have no Xray settings: one line and success when there are none.
ci-xray: setup
	$(VENV)/python -m scripts.publishing.xray_import --if-configured $(XRAY_OUTPUTS) $(XRAY_OPTS)

# The verdict: fails when a test failed, naming each failed test.
ci-verdict: setup
	$(VENV)/python -m scripts.run.summary $(CI_OUTPUT)

# The regression workflow's jobs and the Jenkinsfile's stages, run here as a runner runs
# them: fresh clones, a runner's environment (env -i), artifacts and stashes copied, the Xray
# import against the documented stand-in. The smoke tests are the shards' content.
# CI_REHEARSAL_OPTS="--only github" (or jenkins) rehearses one of the two; --keep keeps the clones.
CI_REHEARSAL_OPTS ?=
ci-rehearsal: setup
	$(VENV)/python -m scripts.run.ci_rehearsal --outputdir $(RESULTS)/ci-rehearsal $(CI_REHEARSAL_OPTS)

# make plan PLAN=PZ-14024: just the automated tests of an Xray Test Plan (needs the Xray settings).
PLAN ?= PZ-14024
plan: setup
	$(VENV)/python -m scripts.publishing.xray_plan $(PLAN) --output $(RESULTS)/xray_plan/$(PLAN).args
	$(VENV)/robot --outputdir $(RESULTS)/plan-$(PLAN) \
		--argumentfile $(RESULTS)/xray_plan/$(PLAN).args $(TAGLINK) $(ROBOT_OPTS) robot/

docs: setup
	$(VENV)/python -m scripts.run.make_docs docs/keywords

# The keyword libraries as a wheel (dist/focus_robot_libraries-*.whl) that another product's
# suite installs alone, without the twin: see README, "Reusing the keyword libraries".
dist: setup
	rm -rf dist build
	$(VENV)/python -m pip wheel -q --no-deps --wheel-dir dist .
	rm -rf build
	@ls dist/*.whl

# make ui-baselines: rewrite robot/ui/baselines/*.png from the current UI (review, then commit).
ui-baselines: setup
	$(VENV)/robot --outputdir $(RESULTS)/ui-baselines -v UPDATE_BASELINES:True --parse-include visual.robot robot/ui

# The flakiness loop: any folder selection N times in a row under pabot, stopping at the
# first failed run; ROBOT_OPTS go to pabot as given. For example
# make repeat SUITE="robot/performance robot/load" N=5 PROCESSES=4 ROBOT_OPTS="--exclude nightly"
SUITE ?= robot/api
N ?= 10
repeat: setup
	$(VENV)/python -m scripts.run.repeat --times $(N) --processes $(PROCESSES) $(ROBOT_OPTS) $(SUITE)

twin-up:
	$(VENV)/python -m twin up

twin-down:
	$(VENV)/python -m twin down

clean: twin-down
	rm -rf $(RESULTS)/* docs/keywords
