# certportal — quick start: `make run`, then `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run serve worker beat test lint format migrations-check seed bench seed-scale bench-notifications clean

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
		echo "REDIS_URL is set: starting a Celery worker and beat alongside the web server"; \
		$(BIN)/celery -A config worker --loglevel INFO --concurrency 2 & worker=$$!; \
		$(BIN)/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule & beat=$$!; \
		trap 'kill $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	else \
		echo "No REDIS_URL: background tasks run in-process after each commit"; \
	fi; \
	echo "Serving on http://127.0.0.1:$(PORT)/ — demo logins above, password 'demo'"; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

serve: install
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(BIN)/celery -A config worker --loglevel INFO --concurrency 2

beat: install
	@mkdir -p var
	$(BIN)/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule

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

bench-notifications: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_notifications --count 10000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
