# newscrawl — the two set-up commands are `make demo` and `make test`; both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo demo-distributed test crawl clean redis-server

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Serve the bundled heute.at mirror on 127.0.0.1, crawl it with `scrapy crawl heute`, print a summary.
demo: $(STAMP)
	$(BIN)/python -m newscrawl.demo

## Two workers sharing one Redis queue over a generated mirror (needs redis-server: make redis-server).
demo-distributed: $(STAMP) redis-server
	$(BIN)/python -m newscrawl.demo_distributed

## Run the whole test suite (starts its own loopback servers; installs Debian's redis-server when missing).
test: $(STAMP) redis-server
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

redis-server:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server) \
		|| echo "redis-server could not be installed: the distributed tests will be skipped"

## Crawl the real heute.at (needs internet).
crawl: $(STAMP)
	$(BIN)/scrapy crawl heute $(ARGS)

clean:
	rm -rf $(VENV) output .pytest_cache .scrapy
