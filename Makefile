# The two commands: `make run` opens the kiosk on the demo event, `make test`
# runs every test. Both install the Debian packages they need first.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
# English locale: Fyne logs an error for the C locale.
export LANG := en_US.UTF-8

DEMO := .demo

.PHONY: all deps build run test bench fuzz sim screenshot package clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	$(GO) build -o bin/usher .
	$(GO) build -o bin/usher-central ./cmd/usher-central

# The demo kiosk database is made once; `make clean` starts over.
$(DEMO)/kiosk.db: | build
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	bin/usher-central demo --dir $(DEMO)
	bin/usher load --db $(DEMO)/kiosk.db --event $(DEMO)/event.toml --roster $(DEMO)/roster.csv

run: build $(DEMO)/kiosk.db
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  echo "run: no display here. To see the kiosk headless: make screenshot (PNGs in screenshots/)"; exit 1; fi
	@echo "Opening the kiosk at the demo's main entrance. Badge codes: column 4 of $(DEMO)/roster.csv; staff PIN 2468 (F2)."
	bin/usher --db $(DEMO)/kiosk.db --door main

screenshot: build
	@scripts/deps.sh screenshot
	scripts/screenshot.sh

package: build
	GOBIN=$(CURDIR)/bin $(GO) install fyne.io/tools/cmd/fyne@v1.7.4
	bin/fyne package -os linux --exe bin/usher --name Usher
	@echo "Usher.tar.xz: unpack and run 'sudo make install' inside it."

# The tests get a throwaway PostgreSQL server (scripts/pg.sh), named in
# USHER_TEST_POSTGRES, and stopped afterwards whether the tests pass or not;
# one that was already running (`scripts/pg.sh start` by hand) is reused and left running.
test:
	@scripts/deps.sh test
	$(GO) vet ./...
	$(GO) build ./...
	@if scripts/pg.sh status >/dev/null 2>&1; then stop=:; else stop='scripts/pg.sh stop'; fi; \
	  trap "$$stop" EXIT; \
	  scripts/pg.sh start >/dev/null || exit; \
	  export USHER_TEST_POSTGRES="$$(cat .cache/pg.url)"; \
	  echo "USHER_TEST_POSTGRES=$$USHER_TEST_POSTGRES $(GO) test -count=1 ./..."; \
	  $(GO) test -count=1 ./...

# Each benchmark beside its floor, measured in the same run (see the issue
# notes for figures): scans at 500,000 people against a bare lookup+insert,
# CSV import against a bulk insert, full and incremental pulls, 10,000 badges.
bench: deps
	$(GO) test -run '^$$' -bench 'BenchmarkScan' -benchtime 3000x -count 3 ./store/
	$(GO) test -run '^$$' -bench 'BenchmarkImport' -benchtime 1x -count 3 ./store/
	$(GO) test -run '^$$' -bench 'BenchmarkPull' -benchtime 1x -count 2 ./sync/server/
	$(GO) test -run '^$$' -bench 'BenchmarkBadgesPDF' -benchtime 1x -count 2 ./badge/

# Every fuzz target (func FuzzX in a _test.go file) for FUZZTIME each, one
# after another: badge codes, rosters, revocation lists, event files, the
# center's API, kiosk scans, enrollment codes. Fails if any finds an input
# that breaks it, and says where that input was saved. `make test` runs
# their seeds and saved inputs (testdata/fuzz/).
FUZZTIME ?= 30s
fuzz: deps
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The capacity simulation at length: 400 seeds of 2,500 steps, a million
# steps in all (`make test` runs 20 seeds of 1,500). Here kiosks sync only
# after scans and when a step says so, not on a 10-second ticker as well:
# three times faster per step, with staler kiosks. Each run's databases
# are real SQLite files; a failing seed prints how to replay it.
SIM_SEEDS ?= 400
SIM_STEPS ?= 2500
SIM_INTERVAL ?= 0
sim:
	set -o pipefail; $(GO) test -count=1 -timeout 180m -run '^TestSimulation$$' ./sim -v \
	  -sim.seeds=$(SIM_SEEDS) -sim.steps=$(SIM_STEPS) -sim.interval=$(SIM_INTERVAL) | grep --line-buffered -v -e '^=== ' -e '^    --- PASS'

clean:
	rm -rf bin $(DEMO) screenshots
