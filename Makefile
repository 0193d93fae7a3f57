# wenjiang-ops. `make run` and `make test` do all set-up on a fresh machine (see scripts/setup.sh).
.PHONY: setup run test lint format messages screenshots bench bench-rest bench-intake bench-sweep bench-sweep-parts bench-push bench-disputes bench-export bench-figures bench-tracks bench-cameras wrk

PY := .venv/bin/python

setup:
	bash scripts/setup.sh

run: setup
	bash scripts/run.sh

# The browser tests drive Debian's Chromium (never a browser download), with CJK fonts; tests/test_nginx.py
# runs deploy/nginx.conf in Debian's nginx.
# DEBUG=1: the tests run with development settings (DEBUG is off unless set).
test:
	EXTRA_APT_PACKAGES="chromium fonts-noto-cjk nginx-light" bash scripts/setup.sh
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# Refreshes locale/*/LC_MESSAGES/*.po from the code and templates.
messages:
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore='static/vendor/*'

# PNGs of the main pages at phone and desktop sizes (needs `make run` in another terminal).
screenshots:
	$(PY) scripts/screenshots.py

# Benchmarks print their figures as ratios to a baseline measured in the same run; the last line is JSON.
# `make bench` runs them all and ends with one table (bench/summary.py): figure, ours, baseline, ratio, target.
# They use the demo database (`make run` loads it) and start their own servers on ports 18080/18081.
BENCHES := rest intake sweep push disputes export figures tracks cameras
bench:
	@mkdir -p bench/out
	@for b in $(BENCHES); do $(MAKE) --no-print-directory bench-$$b 2>&1 | tee bench/out/$$b.log; done
	$(PY) bench/summary.py $(foreach b,$(BENCHES),bench/out/$(b).log)

wrk:
	@command -v wrk >/dev/null || { sudo=""; [ "$$(id -u)" -ne 0 ] && sudo=sudo; $$sudo apt-get install -y -qq wrk; }

bench-rest: setup wrk
	DEBUG=1 $(PY) manage.py seed_demo >/dev/null
	$(PY) bench/rest_servers.py

# Uses its own database (BENCH_DB, default wenjiang_ops_bench) with 1,000,000 generated events.
bench-intake: setup wrk
	$(PY) bench/intake.py

# The escalation sweep over 1,000,000 open events with 10,000 due, in the benchmark database.
bench-sweep: setup
	$(PY) bench/sweep.py

# The same, then the sweep with parts of its work left out: what each required write costs.
bench-sweep-parts: setup
	$(PY) bench/sweep.py --parts

# Ten years of the district's disputes (~190,000, by COPY): a year's statistics and a town's list page,
# each beside its bare SQL through psycopg2.
bench-disputes: setup
	$(PY) bench/disputes.py

# The demo year of the district's events (26,201) exported as the background job writes it, beside a
# bare openpyxl write-only dump of the same rows from one SQL query.
bench-export: setup
	DEBUG=1 $(PY) manage.py seed_demo >/dev/null
	$(PY) bench/export.py

# 160,000 cameras (COPY): the 10 nearest online cameras a user may watch (video.selectors.camera_nearest,
# permission and household consent inside the KNN query), beside the bare PostGIS KNN through psycopg2.
bench-cameras: setup
	$(PY) bench/cameras.py

# The dashboards' figures of the district and of a simulated city (23 districts, 600,000 events this
# year) from the counters, beside the same figures from the events table: identical, and how fast.
bench-figures: setup
	$(PY) bench/figures.py

# Commit → WebSocket receipt with 1, 100 and 1,000 dashboards at 1 and 10 events/s, beside a raw Redis fan-out.
# 2,000 phones on patrol sending a point every 10 s through the real track endpoint, beside a stock DRF
# create endpoint of the same rows on the same server; and the live patrols map's delay.
bench-tracks: setup wrk
	$(PY) bench/tracks.py

bench-push: setup
	$(PY) bench/push.py
