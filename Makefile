# certportal — quick start: `make run`, then `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The server's port also makes the e-mail links when SITE_URL is not set (config/settings.py).
export PORT
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run serve worker beat test lint format migrations-check seed bench bench-2m seed-scale bench-notifications clean

# `supervise NAME COMMAND...` (a shell function for the recipes below): runs COMMAND and
# starts it again 2 s after it exits, for any reason, until the shell gets TERM (passed on
# to COMMAND) or INT (which the terminal already sent COMMAND). No process is trusted to
# stay up: a Celery worker or beat that dies comes back (docs/operations.md).
SUPERVISE = supervise() { \
	name=$$1; shift; child=; stopping=; \
	trap 'stopping=1' INT; \
	trap 'stopping=1; [ -z "$$child" ] || kill -TERM "$$child" 2>/dev/null' TERM; \
	while :; do \
		"$$@" & child=$$!; \
		wait "$$child"; status=$$?; \
		while kill -0 "$$child" 2>/dev/null; do wait "$$child"; status=$$?; done; \
		[ -z "$$stopping" ] || return 0; \
		echo "$$name exited (status $$status); starting it again in 2 s" >&2; \
		sleep 2; \
		[ -z "$$stopping" ] || return 0; \
	done; \
}

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting a Celery worker and beat alongside the web server (restarted if they die)"; \
		$(SUPERVISE); \
		supervise worker $(BIN)/celery -A config worker --loglevel INFO --concurrency 2 & worker=$$!; \
		supervise beat $(BIN)/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule & beat=$$!; \
		trap 'kill -TERM $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	else \
		echo "No REDIS_URL: background tasks run in-process after each commit"; \
	fi; \
	echo "Serving on http://127.0.0.1:$(PORT)/ — demo logins above, password 'demo'"; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

serve: install
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: install
	@$(SUPERVISE); supervise worker $(BIN)/celery -A config worker --loglevel INFO --concurrency 2

beat: install
	@mkdir -p var
	@$(SUPERVISE); supervise beat $(BIN)/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint migrations-check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

seed: install
	$(BIN)/python manage.py seed_demo

# Performance (PostgreSQL): `make seed-scale` then `make bench`; see README "Performance".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/certportal
BENCH_ARGS ?=

seed-scale: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench --seed-only $(BENCH_ARGS)

bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench $(BENCH_ARGS)

# 2,000,000 requests (seeded with COPY on first use: the JSON meta records how long that
# took and the database size) against 20,000, the size the growth budgets compare with.
bench-2m: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench --sizes 20000,2000000 \
		--output var/bench/latest-2m.json $(BENCH_ARGS)

bench-notifications: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_notifications --count 10000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
