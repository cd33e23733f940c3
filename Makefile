# Hiến kế: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev translations extract-messages db demo clean

run: install translations db demo
	@echo
	@echo "  Hiến kế đang chạy tại http://$(HOST):$(PORT)"
	@$(BIN)/flask forum demo-logins
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The fault suite runs after the rest, alone: its storms measure waits, which other tests
# running on the same cores would stretch.
test: install-dev translations
	$(BIN)/pytest -n auto --ignore=tests/faults $(PYTEST_ARGS)
	$(BIN)/pytest -p no:xdist tests/faults $(FAULTS_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d forum/translations -f 2>&1 | grep -v "^compiling" || true

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _mark_for_translation --ignore-dirs='.* __pycache__' \
		--add-comments=Translators: --sort-by-file -o forum/translations/messages.pot .
	$(BIN)/pybabel update -i forum/translations/messages.pot -d forum/translations --no-fuzzy-matching

db: install
	$(BIN)/flask db upgrade

demo: install
	$(BIN)/flask forum seed-demo
	$(BIN)/flask search sync
	$(BIN)/flask moderation find-duplicates

clean:
	rm -rf $(VENV) instance .pytest_cache
