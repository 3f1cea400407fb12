#!/usr/bin/env bash
# Runs every fuzz target of the module (each `func FuzzX(f *testing.F)` in a
# _test.go file) for FUZZTIME, one after another: `go test -fuzz` takes one
# target per package run. Their seeds, and what fuzzing saved under
# testdata/fuzz/, run in plain `go test` as well.
# Usage: scripts/fuzz.sh [REGEXP]: only the targets whose "package:FuzzX"
# matches, e.g. scripts/fuzz.sh 'FuzzAPI|FuzzScan' or 'roster:FuzzRead$'.
# Environment: FUZZTIME (default 30s) per target; FUZZPARALLEL, the workers
# per target (default: go's, one per core).
# Exits 1 if any target found a failing input, after running the rest, and
# says where each was saved and how to run it again.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
time=${FUZZTIME:-30s}
only=${1:-.}
parallel=()
[[ -n ${FUZZPARALLEL:-} ]] && parallel=(-parallel "$FUZZPARALLEL")

# package:target pairs, found in the sources (no build needed to list them).
mapfile -t pairs < <(grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' . |
	sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*|\1:\2|' | grep -E -- "$only" | sort -u)
if [[ ${#pairs[@]} -eq 0 ]]; then
	echo "fuzz: no target matches $only" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
for pair in "${pairs[@]}"; do
	pkg=${pair%%:*} target=${pair##*:}
	echo "== $target in ./$pkg for $time"
	# A new interesting input is minimized for at most 10s (go's default is
	# 60s), so a short run spends its time fuzzing.
	go test -run '^$' -fuzz "^$target\$" -fuzztime "$time" -fuzzminimizetime 10s "${parallel[@]}" "./$pkg" >"$log" 2>&1
	status=$?
	grep -E '^fuzz: elapsed' "$log" | tail -1
	if [[ $status -ne 0 ]]; then
		grep -v -E '^fuzz: elapsed' "$log" | tail -40
		saved=$(grep -o -E 'testdata/fuzz/[^ ]+' "$log" | tail -1)
		if [[ -n $saved ]]; then
			echo "fuzz: $target failed; the input is saved in $pkg/$saved"
			echo "fuzz: run it again with: go test -run '$target/${saved##*/}' ./$pkg"
		else
			echo "fuzz: $target failed before finding an input (see above)"
		fi
		failed+=("$pkg:$target")
	fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: ${#pairs[@]} targets ran $time each; no failing input"
