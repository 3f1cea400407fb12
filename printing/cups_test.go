package printing_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
	"usher/eventfile"
	"usher/printing"
)

// The environment scripts/cups.sh writes to .cache/cups.env: a private CUPS
// (CUPS_SERVER) with a cups-pdf queue, and the folder its PDFs land in.
const (
	queueVar = "USHER_TEST_CUPS_QUEUE"
	outVar   = "USHER_TEST_CUPS_OUT"
)

// MustTestCUPS returns the test CUPS's queue and output folder, and fails
// the test when they are unset: tests that need CUPS fail, never skip, so
// a suite that claims to cover printing cannot pass without it.
func MustTestCUPS(tb testing.TB) (queue, out string) {
	tb.Helper()
	queue, out = os.Getenv(queueVar), os.Getenv(outVar)
	if queue == "" || out == "" {
		tb.Fatal(queueVar + " or " + outVar + " is not set, so this test has no CUPS to print to: " +
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

// A door kiosk prints one signed badge on a 62 × 100 mm label through a real
// CUPS: the PDF that comes out of the printer (cups-pdf) is 62 × 100 mm,
// and its QR, rendered at 300 dpi and read by zbar, is the badge's code,
// which verifies for the person.
func TestPrintBadgeThroughCUPS(t *testing.T) {
	queue, outDir := MustTestCUPS(t)
	pdftoppm := MustTool(t, "pdftoppm", "poppler-utils")
	pdfinfo := MustTool(t, "pdfinfo", "poppler-utils")
	zbarimg := MustTool(t, "zbarimg", "zbar-tools")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	if err := demo.Write(dir, 3); err != nil {
		t.Fatal(err)
	}
	ev, err := eventfile.Load(filepath.Join(dir, "event.toml"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := badge.LoadKey(filepath.Join(dir, "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	p := demo.Roster(3)[0]
	now := time.Now()
	var code string
	sheet := badge.Sheet{
		Layout: printing.Label62x100.Layout(), Event: ev, Key: key,
		From: now.Add(-time.Hour), Until: now.Add(24 * time.Hour),
		OnBadge: func(_ int, _ checkin.Person, c string, _ []byte) { code = c },
	}
	var pdf bytes.Buffer
	if err := sheet.Write(&pdf, []checkin.Person{p}, nil); err != nil {
		t.Fatal(err)
	}

	pr := printing.Printer{Queue: queue, Media: printing.Label62x100}
	if err := pr.Check(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	job, err := pr.Print(ctx, pdf.Bytes(), "Badge "+p.Name+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(queue) + `-[0-9]+$`).MatchString(job) {
		t.Fatalf("job id %q, want %s-N", job, queue)
	}
	if err := pr.Wait(ctx, job); err != nil {
		t.Fatal(err)
	}
	printed := waitForPDF(t, ctx, outDir, job)
	t.Logf("job %s printed to %s in %v", job, filepath.Base(printed), time.Since(start).Round(time.Millisecond))

	info, err := exec.CommandContext(ctx, pdfinfo, printed).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", printed, err)
	}
	m := regexp.MustCompile(`(?m)^Page size:\s+([0-9.]+) x ([0-9.]+) pts`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gave no page size:\n%s", info)
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if mm := func(pt float64) float64 { return pt / 72 * 25.4 }; mm(w) < 61 || mm(w) > 63 || mm(h) < 99 || mm(h) > 101 {
		t.Errorf("printed page %.1f × %.1f mm, want 62 × 100 mm", mm(w), mm(h))
	}

	png := filepath.Join(t.TempDir(), "page")
	if out, err := exec.CommandContext(ctx, pdftoppm, "-r", "300", "-png", "-singlefile", printed, png).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, zbarimg, "--raw", "-q", png+".png").Output()
	if err != nil {
		t.Fatalf("zbarimg found no code in the printed badge: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if got != code {
		t.Fatalf("the printed QR says %q, want the badge's code %q", got, code)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range ev.Keys {
		keys[k.ID] = k.Public
	}
	pl, err := badge.Verify(got, ev.ID, keys, now)
	if err != nil {
		t.Fatalf("the printed badge does not verify: %v", err)
	}
	if pl.Person != p.ID || pl.Serial != max(p.Serial, 1) {
		t.Errorf("the printed badge is %s serial %d, want %s serial %d", pl.Person, pl.Serial, p.ID, max(p.Serial, 1))
	}
}

// waitForPDF returns the PDF cups-pdf wrote for job: it names its files
// TITLE-job_N.pdf, N the job's number, and may finish writing after CUPS
// reports the job done.
func waitForPDF(t *testing.T, ctx context.Context, dir, job string) string {
	t.Helper()
	n := job[strings.LastIndexByte(job, '-')+1:]
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*-job_"+n+".pdf"))
		for _, f := range files {
			// Complete once poppler reads it.
			if err := exec.CommandContext(ctx, "pdfinfo", f).Run(); err == nil {
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
			t.Fatalf("no PDF for job %s in %s (it holds %q): see the test CUPS's log", job, dir, names)
		case <-tick.C:
		}
	}
}

// Against the test CUPS: an unknown queue is ENOTFOUND and the message
// lists the real one; the test queue is listed by Printers and passes Check.
func TestCUPSQueues(t *testing.T) {
	queue, _ := MustTestCUPS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	names, _, err := printing.Printers(ctx)
	if err != nil || !slices.Contains(names, queue) {
		t.Fatalf("Printers = %q, %v, want %s among them", names, err, queue)
	}
	if err := (printing.Printer{Queue: queue, Media: printing.A6}).Check(ctx); err != nil {
		t.Errorf("Check(%s): %v", queue, err)
	}
	err = printing.Printer{Queue: "Usher-No-Such-Queue"}.Check(ctx)
	if checkin.ErrorCode(err) != checkin.ENOTFOUND || !strings.Contains(err.Error(), queue) {
		t.Errorf("Check(unknown): %v, want ENOTFOUND listing %s", err, queue)
	}
	if err := (printing.Printer{Queue: queue}).Wait(ctx, "no-job-id"); checkin.ErrorCode(err) != checkin.EINVALID {
		t.Errorf("Wait(bad id): %v", err)
	}
}
