// Package cupstest reads back what the tests printed through the test
// CUPS (scripts/cups.sh): a cups-pdf queue whose PDFs land in a folder,
// rendered with poppler and their QR decoded with zbar.
package cupstest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The environment scripts/cups.sh writes to .cache/cups.env: a private CUPS
// (CUPS_SERVER) with a cups-pdf queue, and the folder its PDFs land in.
const (
	QueueVar = "USHER_TEST_CUPS_QUEUE"
	OutVar   = "USHER_TEST_CUPS_OUT"
)

// MustCUPS returns the test CUPS's queue and output folder, and fails
// the test when they are unset: tests that need CUPS fail, never skip, so
// a suite that claims to cover printing cannot pass without it.
func MustCUPS(tb testing.TB) (queue, out string) {
	tb.Helper()
	queue, out = os.Getenv(QueueVar), os.Getenv(OutVar)
	if queue == "" || out == "" {
		tb.Fatal(QueueVar + " or " + OutVar + " is not set, so this test has no CUPS to print to: " +
			"run the tests through `make test`, which starts one, or run `scripts/cups.sh start` " +
			"and `set -a; . .cache/cups.env; set +a` (from the repository's root) first")
	}
	return queue, out
}

// MustTool returns the path of a command the test needs.
func MustTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s not found: install %s (make test does, through scripts/deps.sh)", name, pkg)
	}
	return bin
}

// WaitForPDF returns the PDF cups-pdf wrote for job into dir: it names
// its files TITLE-job_N.pdf, N the job's number, and may finish writing
// after CUPS reports the job done.
func WaitForPDF(tb testing.TB, ctx context.Context, dir, job string) string {
	tb.Helper()
	pdfinfo := MustTool(tb, "pdfinfo", "poppler-utils")
	n := job[strings.LastIndexByte(job, '-')+1:]
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*-job_"+n+".pdf"))
		for _, f := range files {
			// Complete once poppler reads it.
			if err := exec.CommandContext(ctx, pdfinfo, f).Run(); err == nil {
				return f
			}
		}
		select {
		case <-ctx.Done():
			all, _ := os.ReadDir(dir)
			names := []string{}
			for _, e := range all {
				names = append(names, e.Name())
			}
			tb.Fatalf("no PDF for job %s in %s (it holds %q): see the test CUPS's log", job, dir, names)
		case <-tick.C:
		}
	}
}

// PageMM returns the size of a PDF's first page in millimetres.
func PageMM(tb testing.TB, ctx context.Context, pdf string) (w, h float64) {
	tb.Helper()
	info, err := exec.CommandContext(ctx, MustTool(tb, "pdfinfo", "poppler-utils"), pdf).Output()
	if err != nil {
		tb.Fatalf("pdfinfo %s: %v", pdf, err)
	}
	m := regexp.MustCompile(`(?m)^Page size:\s+([0-9.]+) x ([0-9.]+) pts`).FindSubmatch(info)
	if m == nil {
		tb.Fatalf("pdfinfo gave no page size:\n%s", info)
	}
	pw, _ := strconv.ParseFloat(string(m[1]), 64)
	ph, _ := strconv.ParseFloat(string(m[2]), 64)
	return pw / 72 * 25.4, ph / 72 * 25.4
}

// ReadQR renders a PDF's first page at 300 dpi with pdftoppm and returns
// what zbar reads in its QR code.
func ReadQR(tb testing.TB, ctx context.Context, pdf string) string {
	tb.Helper()
	pdftoppm := MustTool(tb, "pdftoppm", "poppler-utils")
	zbarimg := MustTool(tb, "zbarimg", "zbar-tools")
	png := filepath.Join(tb.TempDir(), "page")
	if out, err := exec.CommandContext(ctx, pdftoppm, "-r", "300", "-png", "-singlefile", pdf, png).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, zbarimg, "--raw", "-q", png+".png").Output()
	if err != nil {
		tb.Fatalf("zbarimg found no code in the printed badge %s: %v", pdf, err)
	}
	return strings.TrimSpace(string(out))
}
