package centralstore_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the center BenchmarkStatusPoll built, once every
// benchmark that reads it has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if statusDB != "" {
		os.RemoveAll(filepath.Dir(statusDB))
	}
	os.Exit(code)
}
