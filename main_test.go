package main

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// childEnv marks a run of this test binary as the child of
// TestNoFyneLocaleError: it only initialises, as every usher command
// does, and exits.
const childEnv = "USHER_LOCALE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(0) // every package, Fyne's included, has initialised
	}
	os.Exit(m.Run())
}

// No command of the kiosk binary prints a Fyne error about the locale,
// whatever it is: C.UTF-8 is the default of Debian and of most
// containers, where headless commands run from scripts.
func TestNoFyneLocaleError(t *testing.T) {
	for _, env := range [][]string{
		{"LANG=C.UTF-8"},
		{"LANG=C.utf8"},
		{"LANG=POSIX.UTF-8"},
		{"LC_ALL=C.UTF-8", "LANG=de_DE.UTF-8"},
		{"LC_MESSAGES=C.UTF-8"},
		{"LANG=C"},
		{},
		{"LANG=de_DE.UTF-8"},
		{"LANG=sr_RS@latin"},
		{"LANG=de_DE.UTF-8@euro"},
	} {
		t.Run(strings.Join(env, ","), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append([]string{childEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", env, err, out)
			}
			if strings.Contains(string(out), "Fyne error") || strings.Contains(string(out), "locale") {
				t.Errorf("%v: the binary said:\n%s", env, out)
			}
		})
	}
}

// The screen runs its collector at screenGC, and an explicit GOGC wins.
func TestTightenGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	tightenGC()
	if got := debug.SetGCPercent(100); got != screenGC {
		t.Errorf("GOGC unset: the screen collects at %d %%, want %d %%", got, screenGC)
	}
	t.Setenv("GOGC", "200")
	tightenGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=200: the screen changed the collector's percent to %d", got)
	}
}
