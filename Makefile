# 编办移动办公 — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := PWA_ENV=$${PWA_ENV:-development} $(BIN)/flask --app pwa
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test test-fast bench lint format seed install install-test translations translations-update

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[postgres,dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

# The English catalogue is compiled at install; the .mo files are build output, not source.
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d pwa/translations 2>&1 | grep -v "^compiling" || true

run: install
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo --if-empty
	@$(FLASK) demo-accounts
	@echo
	@echo "  编办移动办公 已启动：在浏览器（或手机）中打开 http://$(HOST):$(PORT)/"
	@echo "  按 Ctrl+C 停止。"
	@echo
	@# The push worker drains the notification outbox beside the web server; both stop together.
	@$(FLASK) push-worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
		PWA_ENV=$${PWA_ENV:-development} $(BIN)/gunicorn --config gunicorn.conf.py \
		--workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - --log-level warning 'pwa:create_app()'

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Unit and web tests only: no browser, no PostgreSQL.
test-fast: install-test
	$(BIN)/python -m pytest -m "not browser and not postgres" $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check pwa auth tests bench
	$(BIN)/ruff format --check pwa auth tests bench

format: install-test
	$(BIN)/ruff format pwa auth tests bench
	$(BIN)/ruff check --fix pwa auth tests bench

# Rebuild the demo database from scratch (destroys local data).
seed: install
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo --reset

# After changing user-visible strings: re-extract, merge into the English catalogue, then
# translate what `make test` reports as missing (tests/web/test_i18n.py).
translations-update: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
		--omit-header -o pwa/translations/messages.pot .
	$(BIN)/pybabel update -i pwa/translations/messages.pot -d pwa/translations -l en \
		--no-fuzzy-matching --width 100
