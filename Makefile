# Two commands on a fresh Debian machine: `make crawl` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
REPLICAS := tests/replicas

.PHONY: setup crawl test test-shifted-clock bench bench-extract bench-faults db-start db-stop db-status clean bench-dedup

$(STAMP): pyproject.toml scripts/install-system-deps
	./scripts/install-system-deps
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,scrapyd]'
	touch $(STAMP)

setup: $(STAMP)

## End-to-end: embedded DB + every outlet replica + every spider, then a per-outlet summary.
crawl: setup
	$(VENV)/bin/newscrawler crawl --replicas $(REPLICAS)

## The whole test suite (starts its own embedded DB; MONGO_URI=… runs it against a real mongod).
test: setup
	$(VENV)/bin/ruff check newscrawler spiders pipelines settings bench tests
	$(PY) -m pytest -q -n 2 --dist loadfile

## The suite once more with the clock 400 days ahead (libfaketime): nothing may depend on the day it runs.
test-shifted-clock: setup
	faketime -f +400d $(PY) -m pytest -q -n 2 --dist loadfile

db-start: setup
	$(VENV)/bin/newscrawler db start
db-stop: setup
	$(VENV)/bin/newscrawler db stop
db-status: setup
	$(VENV)/bin/newscrawler db status

clean:
	rm -rf $(VENV) data build *.egg-info .pytest_cache

## Extraction quality and cost: ours vs vanilla trafilatura (Zyte benchmark + our fixtures).
bench-extract: setup
	$(PY) bench/bench_extract.py

## Faults (database outages, truncated and bomb bodies) on real crawls: stored/quarantined/lost, RSS, stalls.
bench-faults: setup
	$(PY) bench/bench_faults.py

## Near-duplicate quality (labelled corpus) and lookup cost at 10k / 100k stored articles.
bench-dedup: setup
	$(PY) bench/bench_dedup.py

## Crawl throughput on a generated Al-Mada site (2,000 / 20,000 pages) vs the extraction ceiling, re-crawl, store rates.
bench: setup
	$(PY) bench/bench_crawl.py
