package sim_test

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"usher/sim"
)

var rapidChecks = flag.Int("sim.rapid", 6, "runs of TestSimulationShrinks (each shrunk to a short replay if it fails)")

// draws lets rapid make every choice of a run, so that a failing run is
// shrunk to a short one that fails the same way.
type draws struct{ t *rapid.T }

func (d draws) IntN(n int) int { return rapid.IntRange(0, n-1).Draw(d.t, "choice") }

// TestSimulationShrinks runs the simulation with pgregory.net/rapid
// making the choices, with or without a byzantine kiosk: fewer, shorter
// runs than TestSimulation, but a failure comes back shrunk, with the
// choices that replay it (-rapid.seed, or the failure file rapid writes
// under testdata/rapid).
func TestSimulationShrinks(t *testing.T) {
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == f.DefValue {
		if err := flag.Set("rapid.checks", strconv.Itoa(*rapidChecks)); err != nil {
			t.Fatal(err)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(shm(), "usher-sim-")
		if err != nil {
			rt.Fatal(err)
		}
		defer os.RemoveAll(dir)
		cfg := sim.DefaultConfig(0, rapid.IntRange(50, 400).Draw(rt, "steps"), dir)
		cfg.Byzantine = rapid.Bool().Draw(rt, "byzantine")
		cfg.Source = draws{rt}
		if _, err := sim.Run(context.Background(), cfg); err != nil {
			rt.Fatal(err)
		}
	})
}

// shm is where runs keep their databases: memory-backed /dev/shm when
// there is one, else the system's temporary directory.
func shm() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return ""
}
