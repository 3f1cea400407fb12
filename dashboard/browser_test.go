package dashboard_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"usher/checkin"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// MustBrowser starts a headless Chromium with a fresh profile and returns
// a tab's context. Without Chromium the test fails: `make test`
// installs it.
func MustBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("headless Chromium is needed for this test and is not at %s or on PATH; "+
				"`make test` installs it (scripts/deps.sh test), or: apt-get install -y --no-install-recommends chromium", chromiumPath)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return ctx
}

// shownSpaces reads every space card of the page: its data-occupancy
// and the number it shows in large type, which must agree.
const shownSpaces = `(() => {
	const out = {};
	for (const e of document.querySelectorAll('#live [data-space]')) {
		out[e.dataset.space] = [Number(e.dataset.occupancy), Number(e.querySelector('.n').textContent.trim())];
	}
	return out;
})()`

func readSpaces(t *testing.T, ctx context.Context, page string) map[string]int {
	t.Helper()
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string][2]int](shownSpaces))
	if err != nil {
		t.Fatalf("%s: read the spaces: %v", page, err)
	}
	out := map[string]int{}
	for id, n := range shown {
		if n[0] != n[1] {
			t.Errorf("%s: %s shows %d but its data-occupancy is %d", page, id, n[1], n[0])
		}
		out[id] = n[1]
	}
	return out
}

// screenshot writes the page as a PNG into $USHER_SCREENSHOTS, when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("USHER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// TestDashboardInChromium: the real center on loopback, after a scripted
// morning of scans through five real kiosks. A headless Chromium signs
// in through the form; the dashboard shows for every space the occupancy
// the center's status has, a bar coloured by its level, the east
// entrance offline (on its card and in the doors list), the door with no
// kiosk, and the conflict. Then more people enter the ballroom and its
// kiosk syncs: the page shows the new number by itself, without a
// reload. The fire-marshal view shows the same numbers and a banner
// naming the offline door; when the center stops answering, it says its
// figures are not live and greys them.
func TestDashboardInChromium(t *testing.T) {
	v := MustVenue(t, morning())
	day := v.Morning(t)
	ev, err := v.db.Event(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := bySpace(v.Status(t), ev)

	ctx := MustBrowser(t, 1440, 1000)
	if err := chromedp.Do(ctx, chromedp.Navigate(v.url+"/"), chromedp.WaitVisible(`#name`)); err != nil {
		t.Fatalf("open the dashboard: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("without a session the dashboard went to %s, want /login", loc)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#name`, organizer),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#live [data-space="venue"]`),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	got := readSpaces(t, ctx, "dashboard")
	if !maps.Equal(got, want) {
		t.Errorf("the dashboard shows %v; the center's status says %v", got, want)
	}
	levels, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		[...document.querySelectorAll('#live [data-space]')].map(e => [e.dataset.space, e.dataset.level]))`))
	if err != nil {
		t.Fatal(err)
	}
	if levels["hall-b"] != "full" || levels["workshop-a"] != "near" || levels["ballroom"] != "ok" {
		t.Errorf("levels %v: want hall-b full (at its lowered cap), workshop-a near (38 of 40), ballroom ok", levels)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`#live`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"Not live: East Entrance offline", // on the venue's card
		"offline since 09:59:",            // in the doors list
		"No kiosk at this door",           // the ballroom's south door
		"Exit of someone nobody admitted", // the conflict, in words
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the dashboard does not say %q:\n%s", s, text)
		}
	}
	count, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('#live [data-space="workshop-a"] .count').textContent.replace(/\s+/g, ' ').trim()`))
	if w := fmt.Sprintf("%d / 40 NEARLY FULL", want["workshop-a"]); err != nil || count != w {
		t.Errorf("the workshop room's card says %q (%v), want %q", count, err, w)
	}
	screenshot(t, ctx, "dashboard")

	// More people go into the ballroom; its kiosk syncs. The page was
	// loaded once: a mark left on it survives only if it is not reloaded.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.usherNoReload = 1`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range day.crowd.take(attendee, 12) {
		v.Scan(t, "main", p, checkin.Entry, checkin.Admitted)
		v.clock.Add(5 * time.Second)
		v.Scan(t, "ballroom-north", p, checkin.Entry, checkin.Admitted)
	}
	v.Sync(t, "main", "ballroom-north")
	want = bySpace(v.Status(t), ev)
	if want["ballroom"] != got["ballroom"]+12 {
		t.Fatalf("the center's ballroom went from %d to %d, want 12 more", got["ballroom"], want["ballroom"])
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`document.querySelector('#live [data-space="ballroom"]').dataset.occupancy === "%d"`, want["ballroom"]),
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("the dashboard did not show the ballroom's new %d by itself: %v", want["ballroom"], err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.usherNoReload === 1`))
	if err != nil || !kept {
		t.Errorf("the page was reloaded to update (%v)", err)
	}
	if got := readSpaces(t, ctx, "dashboard, updated"); !maps.Equal(got, want) {
		t.Errorf("after the update the dashboard shows %v; the center says %v", got, want)
	}

	// The fire marshal's view, on a wide screen.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1600, 900),
		chromedp.Navigate(v.url+"/marshal"),
		chromedp.WaitVisible(`#live [data-space="venue"]`),
	); err != nil {
		t.Fatalf("open the marshal view: %v", err)
	}
	if got := readSpaces(t, ctx, "marshal"); !maps.Equal(got, want) {
		t.Errorf("the marshal view shows %v; the center says %v", got, want)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text(`#live .banner`))
	if err != nil || !strings.Contains(banner, "East Entrance") {
		t.Errorf("the marshal view's banner %q (%v) does not name the offline East Entrance", banner, err)
	}
	screenshot(t, ctx, "marshal")

	// The center goes away: the page must not go on looking live.
	v.srv.Close()
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById('conn').hidden && document.body.classList.contains('stale')`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("with the center gone the marshal view does not say its figures are stale: %v", err)
	}
	conn, err := chromedp.Run(ctx, chromedp.Text(`#conn`))
	if err != nil || !strings.Contains(conn, "not live") {
		t.Errorf("the stale notice says %q (%v)", conn, err)
	}
}
