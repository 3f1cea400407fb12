# The two commands: `make run` opens the kiosk on the demo event, `make test`
# runs every test. Both install the Debian packages they need first.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
# English locale: Fyne logs an error for the C locale.
export LANG ?= en_US.UTF-8

DEMO := .demo

.PHONY: all deps build run test bench fuzz clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	$(GO) build -o bin/usher .
	$(GO) build -o bin/usher-central ./cmd/usher-central

$(DEMO)/kiosk.db: bin/usher-central bin/usher
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	bin/usher-central demo --dir $(DEMO)
	bin/usher load --db $(DEMO)/kiosk.db --event $(DEMO)/event.toml --roster $(DEMO)/roster.csv

bin/usher bin/usher-central: build

run: build $(DEMO)/kiosk.db
	@echo "Scanning ten demo badges at the main entrance, then one twice at the ballroom door:"
	tail -n +2 $(DEMO)/roster.csv | head -10 | cut -d, -f4 | bin/usher scan --db $(DEMO)/kiosk.db --door main
	c=$$(sed -n 2p $(DEMO)/roster.csv | cut -d, -f4); printf '%s\n%s\n' $$c $$c | bin/usher scan --db $(DEMO)/kiosk.db --door ballroom-north

test:
	@scripts/deps.sh test
	$(GO) vet ./...
	$(GO) build ./...
	$(GO) test -count=1 ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./...

clean:
	rm -rf bin $(DEMO) screenshots
