# 一核多元共治 — the two commands: `make run` and `make test`.
# Knobs: PYTHON (the interpreter that creates the virtualenv), VENV (its folder), HOST and PORT
# (where `make run` serves), PYTEST_ARGS (passed to pytest by `make test`), LOCK_ARGS (passed to
# uv by `make lock`, e.g. --upgrade or --upgrade-package django).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# Reinstall when the lock or pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.9

.PHONY: run test venv lint format migrate demo bench clean lock lock-check

# The pinned, hash-checked dependencies from the lock, then the project itself (editable).
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## Run the site on the embedded default (SQLite, in-process tasks, demo data).
run: demo
	@echo "打开 http://$(HOST):$(PORT)/admin/ 登录（账号见上方）"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (uses DATABASE_URL / REDIS_URL when set).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/run_all.py

## Regenerate requirements.lock and requirements-prod.lock from pyproject.toml (needs the network).
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(PYTHON) deploy/lockfile.py compile $(BIN)/uv $(LOCK_ARGS)

## Fail when pyproject.toml's dependencies changed since `make lock` (no network, no venv).
lock-check:
	$(PYTHON) deploy/lockfile.py check

## Deletes the virtualenv, the SQLite database (all local data), collected static files and media.
clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media .pytest_cache
