# Earnings scorecards: `make` sets up and builds every scorecard; `make test` runs the tests.
# Variables you can override: make PYTHON=python3.12 JOBS=4 LOCALE=zh-Hant ...

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BUILD ?= build
INPUTS ?= inputs
JOBS ?=
LOCALE ?=
INCLUDE_HELD ?=        # make email INCLUDE_HELD=1: send held scorecards too, with their reasons

PY := $(VENV)/bin/python
SCORECARD := $(PY) -m scorecards
SETUP := $(VENV)/.setup-done
BYTECODE := scorecards/__pycache__/.compiled
JOBS_FLAG := $(if $(JOBS),--jobs $(JOBS))
# make LOCALE=zh-Hant builds that language only (into build/zh-Hant/; the default language into build/);
# without LOCALE, every language of the languages setting.
LOCALES := $(subst _,-,$(LOCALE))
LOCALE_FLAG := $(foreach l,$(LOCALES),--locale $(l))

# The translation catalogues, one per language (see docs/languages.md).
CATALOGUES := $(wildcard locale/*/LC_MESSAGES/messages.po)

# What a scorecard build depends on: the company files, the templates, the code, the settings and the catalogues.
# Only a file whose name can name a page (lower-case letters, digits and hyphens) is a prerequisite: make splits
# "inputs/my co.yaml" into two names and cannot name "a:b.yaml" at all. Any other *.yaml there (ODD_FILES) makes
# every make run the build, which refuses it with a located message and fails, after building every good company.
SLUG_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 -
without = $(if $(2),$(call without,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
YAML_WORDS := $(wildcard $(INPUTS)/*.yaml)
NAMED := $(filter $(INPUTS)/%.yaml,$(YAML_WORDS))
# Every name good is checked at once (file by file would cost 60 ms of every make at 500 companies).
ifeq ($(strip $(call without,$(patsubst $(INPUTS)/%.yaml,%,$(NAMED)),$(SLUG_CHARS))),)
COMPANY_FILES := $(sort $(wildcard $(NAMED)))
else
COMPANY_FILES := $(sort $(wildcard $(foreach f,$(NAMED),\
                   $(if $(call without,$(patsubst $(INPUTS)/%.yaml,%,$(f)),$(SLUG_CHARS)),,$(f)))))
endif
ODD_FILES := $(filter-out $(COMPANY_FILES),$(YAML_WORDS))
SLUGS := $(patsubst $(INPUTS)/%.yaml,%,$(COMPANY_FILES))
# The languages and the season's outputs as the last build wrote them (build/outputs.mk: DEFAULT_LANGUAGE,
# LANGUAGES, SEASON_OUTPUTS and SEASON_OUTPUTS_<language>; the book only up to book_max_companies).
-include $(BUILD)/outputs.mk
BUILD_LANGUAGES := $(if $(LOCALES),$(LOCALES),$(LANGUAGES))
language_dir = $(if $(filter $(1),$(DEFAULT_LANGUAGE)),$(BUILD),$(BUILD)/$(1))
OUTPUTS := $(foreach l,$(BUILD_LANGUAGES),$(foreach s,$(SLUGS),$(call language_dir,$(l))/$(s).html \
                                                                 $(call language_dir,$(l))/$(s).pdf) $(SEASON_OUTPUTS_$(l))) \
           $(BUILD)/index.html $(BUILD)/scorecard.schema.json $(SEASON_OUTPUTS)
DEPS := $(COMPANY_FILES) $(wildcard $(INPUTS)/fx.yaml templates/* templates/assets/*) \
        $(wildcard scorecards/*.py scorecards/*/*.py scorecards/*.yaml) $(wildcard pyproject.toml scorecard.toml) $(CATALOGUES)
# ... and what they take from: SEC filing facts, consensus files, call transcripts, closing prices (the folders
# too, so that adding or removing a file is noticed)
DEPS += $(wildcard $(INPUTS)/sec $(INPUTS)/sec/*.json $(INPUTS)/consensus $(INPUTS)/consensus/*.csv \
                   $(INPUTS)/transcripts $(INPUTS)/transcripts/*.txt $(INPUTS)/prices $(INPUTS)/prices/*.csv)
EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
STAMP := $(BUILD)/.stamp$(subst $(SPACE),,$(foreach l,$(LOCALES),-$(l)))  # one file: LOCALE="zh-Hant zh-Hans" too

# System packages WeasyPrint needs to be fast and complete, and the fonts the templates use.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 \
                   fonts-inter fonts-noto-cjk poppler-utils
# ... and the browser the tests of scorecard serve drive (make test installs them)
TEST_SYSTEM_PACKAGES := chromium chromium-driver

.PHONY: all html pdf validate test lint serve clean help setup system-deps update-golden bench bench-send bench-dask translations

all: $(STAMP) ## Set up (first time) and build every scorecard, the index and the schema

# One process renders every out-of-date company (make only decides whether anything is).
$(STAMP): $(DEPS) $(SETUP) $(BYTECODE)
	$(SCORECARD) build $(JOBS_FLAG) $(LOCALE_FLAG)
	@touch $@

# The package's modules compiled once per change of the code, as pip compiles an installed package's: where
# PYTHONDONTWRITEBYTECODE is set (containers often set it), Python would otherwise compile them on every build.
$(BYTECODE): $(wildcard scorecards/*.py scorecards/*/*.py)
	@$(PY) -m compileall -q scorecards && touch $@

# Anything missing from build/ forces a build; so does a company file make cannot name (the build reports it).
ifneq ($(filter-out $(wildcard $(OUTPUTS)),$(OUTPUTS))$(ODD_FILES),)
.PHONY: $(STAMP)
endif

html: $(SETUP) ## Build the HTML pages only
	$(SCORECARD) build --format html $(LOCALE_FLAG)

pdf: $(SETUP) ## Build the PDFs only
	$(SCORECARD) build --format pdf $(JOBS_FLAG) $(LOCALE_FLAG)

validate: $(SETUP) ## Check every company file and report every problem
	$(SCORECARD) validate

test: $(SETUP) ## Run the tests
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)"
	$(PY) -m pytest

lint: $(SETUP) ## Check the code: ruff (lint and format), mypy, and the import-linter layers contract
	$(VENV)/bin/ruff check scorecards tests bench
	$(VENV)/bin/ruff format --check scorecards tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

serve: $(SETUP) ## Build, serve build/ on http://127.0.0.1:8000/ and rebuild on every save (PORT=8001 to change)
	$(SCORECARD) serve $(if $(PORT),--port $(PORT))

BENCH_N ?= 500
BENCH_SEASONS ?= 8
bench: $(SETUP) ## Benchmark a synthetic season of BENCH_N companies (and its history over BENCH_SEASONS seasons); writes docs/benchmarks.md
	$(PY) bench/run.py --companies $(BENCH_N) --seasons $(BENCH_SEASONS) $(if $(BENCH_OUTPUT),--output $(BENCH_OUTPUT))

BENCH_RECIPIENTS ?= 10000
bench-send: $(SETUP) ## Benchmark make send to a local SMTP server for BENCH_RECIPIENTS (10000); writes docs/benchmarks.md
	$(PY) bench/send.py --recipients $(BENCH_RECIPIENTS) $(if $(BENCH_OUTPUT),--output $(BENCH_OUTPUT))

bench-dask: $(SETUP) ## The Dask cluster path against the local pool on 127.0.0.1 (BENCH_N companies); writes docs/cluster.md
	$(PY) bench/cluster.py --companies $(BENCH_N) $(if $(BENCH_OUTPUT),--output $(BENCH_OUTPUT))

update-golden: $(SETUP) ## Rewrite the golden HTML files in tests/golden/ from the current templates
	UPDATE_GOLDEN=1 $(PY) -m pytest tests/test_golden.py -q

translations: $(SETUP) ## Extract the messages of templates and code into every locale/*/LC_MESSAGES/messages.po, and compile them (a check)
	@mkdir -p $(BUILD)/locale
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -w 100 -o $(BUILD)/locale/messages.pot . 2>/dev/null
	@set -e; for po in $(CATALOGUES); do \
	  lang=$$(basename $$(dirname $$(dirname $$po))); \
	  $(VENV)/bin/pybabel update -i $(BUILD)/locale/messages.pot -o $$po -l $${lang//-/_} -w 100 --ignore-obsolete; \
	  mkdir -p $(BUILD)/locale/$$lang/LC_MESSAGES; \
	  $(VENV)/bin/pybabel compile -i $$po -o $(BUILD)/locale/$$lang/LC_MESSAGES/messages.mo -l $${lang//-/_} --statistics; \
	done
	@echo "Translate every new or fuzzy message (msgstr \"\" or #, fuzzy) in the catalogues above; make test checks them."

email: $(SETUP) ## Build, then write each list's e-mail into build/outbox/ (a dry run), held scorecards left out (INCLUDE_HELD=1: with them)
	$(SCORECARD) email $(if $(INCLUDE_HELD),--include-held)

send: $(SETUP) ## Send the messages in build/outbox/ over SMTP (SCORECARD_SMTP_*); nobody gets one twice
	$(SCORECARD) send

.PHONY: email send

clean: ## Delete build/ (outputs only), but keep build/outbox/ledger.jsonl: the record of what was e-mailed
	@if [ -f $(BUILD)/outbox/ledger.jsonl ] || [ -f $(BUILD)/outbox/ledger.json ]; then \
	  find $(BUILD) -mindepth 1 -depth ! -path $(BUILD)/outbox ! -path $(BUILD)/outbox/ledger.jsonl \
	    ! -path $(BUILD)/outbox/ledger.json -delete; \
	  echo "kept the ledger in $(BUILD)/outbox/ (what was e-mailed to whom; without it make send sends everything again)"; \
	else rm -rf $(BUILD); fi

setup: $(SETUP) ## Install system packages (as root on Debian), the virtual environment and Python packages

$(SETUP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

system-deps: ## Install the system packages WeasyPrint and the fonts need (Debian, as root)
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "Not a Debian system: install Pango (>= 1.44), HarfBuzz with its subset library," \
	       "fontconfig, and the Inter and Noto Sans CJK fonts with your package manager." >&2; exit 0; \
	fi; \
	wanted="$(SYSTEM_PACKAGES)"; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || wanted="$$wanted python3-venv"; \
	missing=""; \
	for p in $$wanted; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "Missing system packages. As root, run: apt-get install$$missing" >&2; \
	  echo "(continuing: PDFs render without them, but slower and with fallback fonts)" >&2; \
	fi

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/:.*## /\t/' | expand -t 16
