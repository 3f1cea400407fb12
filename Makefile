# The two commands: `make run` opens the kiosk on the demo event, `make test`
# runs every test. Both install the Debian packages they need first.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
# English locale: Fyne logs an error for the C locale.
export LANG := en_US.UTF-8

DEMO := .demo

.PHONY: all deps build run test crash bench fuzz sim faults load screenshot package clean

all: build

deps:
	@scripts/deps.sh build

# The kiosk is built without Fyne's animations: the text cursor's fade
# repaints the whole window 60 times a second, 15 % of a core on a kiosk
# without a GPU (BenchmarkIdleCPU).
KIOSK_TAGS := no_animations

build: deps
	$(GO) build -tags $(KIOSK_TAGS) -o bin/usher .
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
	bin/usher --db $(DEMO)/kiosk.db --door main --signing-key $(DEMO)/keys/signing.key

screenshot: build
	@scripts/deps.sh screenshot
	scripts/screenshot.sh

package: build
	GOBIN=$(CURDIR)/bin $(GO) install fyne.io/tools/cmd/fyne@v1.7.4
	bin/fyne package -os linux --exe bin/usher --name Usher
	@echo "Usher.tar.xz: unpack and run 'sudo make install' inside it."

# The tests get a throwaway PostgreSQL server (scripts/pg.sh), named in
# USHER_TEST_POSTGRES, and a throwaway CUPS with a PDF printer
# (scripts/cups.sh, as root), named in CUPS_SERVER and USHER_TEST_CUPS_*;
# both are stopped afterwards whether the tests pass or not. One that was
# already running (started by hand) is reused and left running. The
# simulation's package takes 6 to 9 minutes on 2 busy cores: past go
# test's default 10-minute limit for one package's binary is too close.
test:
	@scripts/deps.sh test
	$(GO) vet ./...
	$(GO) build ./...
	@stop=:; \
	  scripts/pg.sh status >/dev/null 2>&1 || stop="$$stop; scripts/pg.sh stop"; \
	  scripts/cups.sh status >/dev/null 2>&1 || stop="$$stop; scripts/cups.sh stop"; \
	  trap "$$stop" EXIT; \
	  scripts/pg.sh start >/dev/null || exit; \
	  scripts/cups.sh start >/dev/null || exit; \
	  export USHER_TEST_POSTGRES="$$(cat .cache/pg.url)"; \
	  set -a; . .cache/cups.env; set +a; \
	  echo "USHER_TEST_POSTGRES=$$USHER_TEST_POSTGRES CUPS_SERVER=$$CUPS_SERVER $(GO) test -count=1 -timeout 14m ./..."; \
	  $(GO) test -count=1 -timeout 14m ./...

# Crashes and a full disk, on their own (`make test` runs them too):
# usher scan killed with SIGKILL at random moments (CRASH_SEED=N replays
# a run), a decision printed only after its log is fsynced (under strace),
# and scans on a real full tmpfs at the store, usher scan and the screen.
crash:
	@scripts/deps.sh test
	USHER_CRASH_SEED=$(CRASH_SEED) $(GO) test -count=1 -run '^(TestCrash|TestCrashAckAfterFsync|TestDiskFull)$$' ./store ./kiosk ./app

# Each operation at 500,000 people beside its floor, measured in the same
# run, and make load on SQLite and PostgreSQL, then BENCHMARKS.md written
# from the output (internal/benchmd): the machine, each figure against its
# goal, the raw lines. Each `go test` builds its fixtures once (a million
# scans for the restart, a million events at the center for the status
# poll); USHER_BENCH_PEOPLE=20000 makes a quick run while working on
# them. About 40 minutes on two cores.
BENCH_OUT := .cache/bench.txt
bench:
	@scripts/deps.sh test
	@mkdir -p .cache
	@if scripts/pg.sh status >/dev/null 2>&1; then stop=:; else stop='scripts/pg.sh stop'; fi; \
	  trap "$$stop" EXIT; \
	  scripts/pg.sh start >/dev/null || exit; \
	  set -o pipefail; { \
	  $(GO) test -run '^$$' -bench 'BenchmarkScan' -benchtime 3000x -count 3 ./store/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkSearch' -benchtime 1x -count 3 ./store/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkImport' -benchtime 1x -count 2 ./store/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkRestart' -benchtime 1x -count 1 -timeout 60m ./store/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkPull|BenchmarkPush' -benchtime 1x -count 1 -timeout 30m ./sync/server/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkStatusPoll' -benchtime 500x -count 1 -timeout 60m ./centralstore/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkBadgesPDF' -benchtime 1x -count 1 ./badge/ && \
	  $(GO) test -run '^$$' -bench 'BenchmarkLoadPeak|BenchmarkIdleCPU' -benchtime 1x -count 1 -timeout 30m . && \
	  $(GO) build -o bin/usher-central ./cmd/usher-central && \
	  { bin/usher-central loadtest --kiosks $(LOAD_KIOSKS) --every $(LOAD_EVERY) --duration $(LOAD_DURATION) --bench SQLite; \
	    bin/usher-central loadtest --kiosks $(LOAD_KIOSKS) --every $(LOAD_EVERY) --duration $(LOAD_DURATION) \
	      --db "$$(cat .cache/pg.url)" --bench PostgreSQL; true; }; \
	} 2>&1 | tee $(BENCH_OUT)
	$(GO) run ./internal/benchmd -o BENCHMARKS.md $(BENCH_OUT)
	@echo "BENCHMARKS.md written."

# Every fuzz target (func FuzzX in a _test.go file) for FUZZTIME each, one
# after another: badge codes, rosters, revocation lists, event files, the
# center's API, kiosk scans, enrollment codes. Fails if any finds an input
# that breaks it, and says where that input was saved. `make test` runs
# their seeds and saved inputs (testdata/fuzz/).
FUZZTIME ?= 30s
fuzz: deps
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The capacity simulation at length: 400 seeds of 2,500 steps with
# partitions, 100 with the network always up and 100 with exits at every
# door of a room, 1.5 million steps in all (`make test` runs 12, 3 and 3
# seeds of 1,500). Here kiosks sync only after scans and when a step says
# so, not on a ticker as well: faster per step, with staler kiosks. Each
# run's databases are real SQLite files; a failing seed prints how to
# replay it. Each set prints its safety, liveness and accuracy figures.
SIM_SEEDS ?= 400
SIM_STEPS ?= 2500
SIM_INTERVAL ?= 0
sim:
	set -o pipefail; $(GO) test -count=1 -timeout 180m -run '^TestSimulation$$' ./sim -v \
	  -sim.seeds=$(SIM_SEEDS) -sim.steps=$(SIM_STEPS) -sim.interval=$(SIM_INTERVAL) | grep --line-buffered -v -e '^=== ' -e '^ *--- PASS'

# Sync through a TCP fault proxy at length: four kiosks, FAULTS_ROUNDS
# rounds each, on SQLite and PostgreSQL (`make test` runs 25 rounds).
# About 3 minutes at 400 rounds.
FAULTS_ROUNDS ?= 400
FAULTS_SEED ?= 1
faults:
	@if scripts/pg.sh status >/dev/null 2>&1; then stop=:; else stop='scripts/pg.sh stop'; fi; \
	  trap "$$stop" EXIT; \
	  scripts/pg.sh start >/dev/null || exit; \
	  export USHER_TEST_POSTGRES="$$(cat .cache/pg.url)"; \
	  set -o pipefail; $(GO) test -count=1 -timeout 60m -run '^TestSyncUnderFaults$$' ./sync/integration -v \
	    -faults.rounds=$(FAULTS_ROUNDS) -faults.seed=$(FAULTS_SEED) | grep -v -e '^=== '

# The server under load: LOAD_KIOSKS real kiosks (SQLite files, the kiosk's
# sync code) syncing every LOAD_EVERY for LOAD_DURATION with an
# `usher-central serve` process of its own on 127.0.0.1, first over SQLite,
# then over PostgreSQL (scripts/pg.sh, as for `make test`); prints both
# reports. LOAD_ARGS adds flags (e.g. --json, --scans-per-min 30).
LOAD_KIOSKS ?= 500
LOAD_EVERY ?= 2s
LOAD_DURATION ?= 60s
LOAD_ARGS ?=
load:
	$(GO) build -o bin/usher-central ./cmd/usher-central
	-bin/usher-central loadtest --kiosks $(LOAD_KIOSKS) --every $(LOAD_EVERY) --duration $(LOAD_DURATION) $(LOAD_ARGS)
	@if scripts/pg.sh status >/dev/null 2>&1; then stop=:; else stop='scripts/pg.sh stop'; fi; \
	  trap "$$stop" EXIT; \
	  scripts/pg.sh start >/dev/null || exit; \
	  echo; echo "bin/usher-central loadtest ... --db $$(cat .cache/pg.url)"; \
	  bin/usher-central loadtest --kiosks $(LOAD_KIOSKS) --every $(LOAD_EVERY) --duration $(LOAD_DURATION) \
	    --db "$$(cat .cache/pg.url)" $(LOAD_ARGS)

clean:
	rm -rf bin $(DEMO) screenshots
