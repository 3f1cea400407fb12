// Package pgtest gives tests a real PostgreSQL server: the throwaway one that
// `make test` starts with scripts/pg.sh and names in $USHER_TEST_POSTGRES.
//
// Tests that need PostgreSQL fail, never skip, when the variable is unset, so
// a suite that claims to cover PostgreSQL cannot pass without it.
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"usher/centralstore"
)

// EnvVar names the server's URL, e.g.
// postgres://usher@127.0.0.1:PORT/usher_test?sslmode=disable.
const EnvVar = "USHER_TEST_POSTGRES"

// URL returns $USHER_TEST_POSTGRES, and fails the test when it is empty.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		tb.Fatal(EnvVar + " is not set, so this test has no PostgreSQL server: run the tests " +
			"through `make test`, which starts one, or run `scripts/pg.sh start` and " +
			"`export " + EnvVar + "=$(cat .cache/pg.url)` (from the repository's root) first")
	}
	return u
}

// FreshDB creates an empty database of its own for one test on the server
// that URL names, drops it (closing any connection left open) when the test
// and its subtests end, and returns its URL.
func FreshDB(tb testing.TB) string {
	tb.Helper()
	base := URL(tb)
	dsn, drop, err := centralstore.CreatePostgres(base, dbName(tb.Name()))
	if err != nil {
		tb.Fatalf("pgtest: %s: %v", EnvVar, err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// dbName is "t_", up to 40 characters of the test's name in lower case
// letters, digits and underscores, "_" and 12 random hex digits: unique, a
// valid unquoted identifier, and within PostgreSQL's 63 bytes.
func dbName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if b.Len() == 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		panic(err)
	}
	return "t_" + b.String() + "_" + hex.EncodeToString(rnd[:])
}
