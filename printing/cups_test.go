package printing_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
	"usher/printing"
	"usher/printing/cupstest"
)

// A door kiosk prints one signed badge on a 62 × 100 mm label through a real
// CUPS: the PDF that comes out of the printer (cups-pdf) is 62 × 100 mm,
// and its QR, rendered at 300 dpi and read by zbar, is the badge's code,
// which verifies for the person.
func TestPrintBadgeThroughCUPS(t *testing.T) {
	queue, outDir := cupstest.MustCUPS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	if err := demo.Write(dir, 3); err != nil {
		t.Fatal(err)
	}
	ev, key, err := demo.Load(dir)
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
	printed := cupstest.WaitForPDF(t, ctx, outDir, job)
	t.Logf("job %s printed to %s in %v", job, filepath.Base(printed), time.Since(start).Round(time.Millisecond))
	if w, h := cupstest.PageMM(t, ctx, printed); w < 61 || w > 63 || h < 99 || h > 101 {
		t.Errorf("printed page %.1f × %.1f mm, want 62 × 100 mm", w, h)
	}
	got := cupstest.ReadQR(t, ctx, printed)
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

// Against the test CUPS: an unknown queue is ENOTFOUND and the message
// lists the real one; the test queue is listed by Printers and passes Check.
func TestCUPSQueues(t *testing.T) {
	queue, _ := cupstest.MustCUPS(t)
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
