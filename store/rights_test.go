package store_test

import (
	"context"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// MustEnrolledKiosk loads the expo event with people, then enrolls the
// database for door, as a center would: from then on it admits only with
// capacity rights.
func MustEnrolledKiosk(t *testing.T, door string) (*store.DB, string) {
	t.Helper()
	path := tempDB(t)
	db := MustOpen(t, path)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(6))
	if err := db.Enroll(context.Background(), store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t",
		Door: door, EventID: "expo"}); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func MustGrant(t *testing.T, db *store.DB, grants ...wire.Grant) {
	t.Helper()
	if err := db.ApplyGrants(context.Background(), grants); err != nil {
		t.Fatal(err)
	}
}

func wantBalance(t *testing.T, db *store.DB, counter string, want int) {
	t.Helper()
	if got := db.Balances()[counter]; got != want {
		t.Fatalf("balance of %s = %d, want %d", counter, got, want)
	}
}

// An enrolled kiosk admits only while it holds rights; a grant delivered
// twice counts once; the balance survives a restart.
func TestRightsAtTheKiosk(t *testing.T) {
	db, path := MustEnrolledKiosk(t, "main")
	if d := MustScan(t, db, "C-0001", "main", checkin.Entry); d.Reason != checkin.OutOfCapacity {
		t.Fatalf("before any grant: %s, want %s", d.Reason, checkin.OutOfCapacity)
	}
	MustGrant(t, db, wire.Grant{ID: 7, Counter: "venue", N: 2})
	MustGrant(t, db, wire.Grant{ID: 7, Counter: "venue", N: 2}) // the same grant, pulled again
	wantBalance(t, db, "venue", 2)
	MustAdmit(t, db, "C-0001", "main")
	MustAdmit(t, db, "C-0002", "main")
	if d := MustScan(t, db, "C-0003", "main", checkin.Entry); d.Kind != checkin.Deny {
		t.Fatalf("a third admission with two rights: %s", d.Reason)
	}
	// An exit of someone this kiosk admitted gives the right back; a
	// second exit of the same person, or one of someone it never
	// admitted, gives nothing.
	MustScan(t, db, "C-0001", "main", checkin.Exit)
	MustScan(t, db, "C-0001", "main", checkin.Exit)
	MustScan(t, db, "C-0005", "main", checkin.Exit)
	wantBalance(t, db, "venue", 1)
	db.Close()
	db = MustOpen(t, path)
	wantBalance(t, db, "venue", 1)
	MustAdmit(t, db, "C-0003", "main")
	wantBalance(t, db, "venue", 0)
}

// A notice from the center credits an admission still open here, once;
// a notice of an admission this kiosk already credited (its own exit
// scan) gives nothing: one admission is never credited twice.
func TestNoticeCreditsOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := MustEnrolledKiosk(t, "main")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 2})
	MustAdmit(t, db, "C-0001", "main")
	MustAdmit(t, db, "C-0002", "main")
	seqOf := func(code string) int64 {
		return int64(MustCount(t, db, `SELECT seq FROM scans WHERE code = ? AND decision = 'admit'`, code))
	}
	a1, a2 := seqOf("C-0001"), seqOf("C-0002")
	MustScan(t, db, "C-0002", "main", checkin.Exit) // credited here
	wantBalance(t, db, "venue", 1)
	cursor, err := db.Cursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := wire.PullResponse{Cursor: cursor + 10, Notices: []wire.Notice{
		{ID: cursor + 5, Person: "P1", Counter: "venue", Admission: a1},
		{ID: cursor + 6, Person: "P2", Counter: "venue", Admission: a2}, // credited already
	}}
	MustApply(t, db, page)
	wantBalance(t, db, "venue", 2)
	page.Cursor += 10
	MustApply(t, db, page) // delivered again
	wantBalance(t, db, "venue", 2)
	if n := MustCount(t, db, `SELECT count(*) FROM scans WHERE reason = 'exit_credited'`); n != 1 {
		t.Fatalf("%d notice credits logged, want 1", n)
	}
}

// A pulled event that lowers a space's capacity makes the kiosk give
// back all its rights of it, and puts the space in debt here: the right
// an exit earns goes on to the center, so nobody is admitted on it.
func TestLoweredCapacityReturnsRights(t *testing.T) {
	ctx := context.Background()
	db, _ := MustEnrolledKiosk(t, "main")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 4})
	MustAdmit(t, db, "C-0001", "main")
	lowered := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) { ev.Spaces[0].Capacity = 3 })
	cursor, err := db.Cursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	MustApply(t, db, wire.PullResponse{Cursor: cursor + 1, Event: lowered})
	wantBalance(t, db, "venue", 0)
	pending, err := db.Pending(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := pending[len(pending)-1]
	if len(last.Rights) != 1 || last.Rights[0].Kind != checkin.RightReturn || last.Rights[0].N != 3 {
		t.Fatalf("the kiosk logged %+v, want a return of its 3 rights", last.Rights)
	}
	MustScan(t, db, "C-0001", "main", checkin.Exit)
	wantBalance(t, db, "venue", 0)
	if d := MustScan(t, db, "C-0002", "main", checkin.Entry); d.Kind != checkin.Deny {
		t.Fatalf("admitted on the right an exit earned while the space is in debt: %s", d.Reason)
	}
	// The center says the debt is paid: exits earn rights here again.
	if err := db.SetDebt(ctx, nil); err != nil {
		t.Fatal(err)
	}
	MustGrant(t, db, wire.Grant{ID: 9, Counter: "venue", N: 1})
	MustAdmit(t, db, "C-0002", "main")
	MustScan(t, db, "C-0002", "main", checkin.Exit)
	wantBalance(t, db, "venue", 1)
}

// ReturnRights gives back no more than the kiosk holds.
func TestReturnRights(t *testing.T) {
	db, _ := MustEnrolledKiosk(t, "ballroom")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "ballroom", N: 3})
	given, err := db.ReturnRights(context.Background(), map[string]int{"ballroom": 5, "venue": 2})
	if err != nil {
		t.Fatal(err)
	}
	if given["ballroom"] != 3 || given["venue"] != 0 {
		t.Fatalf("gave back %v, want ballroom 3 and no venue", given)
	}
	wantBalance(t, db, "ballroom", 0)
}

// A screen already open on the file follows an enrollment, a grant and a
// debt made by another handle (`usher enroll`, `usher sync`): from its
// next scan it admits only with rights, and gives back what exits earn
// while the center says the space is in debt.
func TestOtherHandleFollowsRights(t *testing.T) {
	ctx := context.Background()
	path := tempDB(t)
	screen := MustOpen(t, path)
	MustLoad(t, screen, MustEvent(t, expoEvent("expo")), people(6))
	sync := MustOpen(t, path)
	if err := sync.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t", Door: "main", EventID: "expo"}); err != nil {
		t.Fatal(err)
	}
	if d := MustScan(t, screen, "C-0001", "main", checkin.Entry); d.Reason != checkin.OutOfCapacity {
		t.Fatalf("the open screen admitted without rights after another handle enrolled: %s", d.Reason)
	}
	if err := sync.SetElsewhere(ctx, map[string]int{"venue": 3}); err != nil {
		t.Fatal(err)
	}
	MustGrant(t, sync, wire.Grant{ID: 1, Counter: "venue", N: 1})
	MustAdmit(t, screen, "C-0001", "main") // the screen has taken in the first news
	if err := sync.SetDebt(ctx, []string{"venue"}); err != nil {
		t.Fatal(err)
	}
	MustScan(t, screen, "C-0001", "main", checkin.Exit)
	if d := MustScan(t, screen, "C-0002", "main", checkin.Entry); d.Kind != checkin.Deny {
		t.Fatalf("the open screen admitted on an exit's right while another handle had recorded a debt: %s", d.Reason)
	}
	wantBalance(t, screen, "venue", 0)
}

// Staff actions move rights like scans: a +1 spends one and a −1 of
// that person credits it back; undoing an admission credits it back,
// and undoing an exit is an entry that needs a right.
func TestStaffActionsMoveRights(t *testing.T) {
	ctx := context.Background()
	db, _ := MustEnrolledKiosk(t, "main")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 1})
	if d, err := db.Adjust(ctx, "main", 1, "child on a parent's badge"); err != nil || d.Reason != checkin.HeadcountAdded {
		t.Fatalf("+1: %v %v", d.Reason, err)
	}
	wantBalance(t, db, "venue", 0)
	if d, err := db.Adjust(ctx, "main", 1, "another"); err != nil || d.Kind != checkin.Deny {
		t.Fatalf("a +1 without a right: %v %v", d.Reason, err)
	}
	if d, err := db.Adjust(ctx, "main", -1, "the child left"); err != nil || d.Reason != checkin.HeadcountRemoved {
		t.Fatalf("-1: %v %v", d.Reason, err)
	}
	wantBalance(t, db, "venue", 1)

	MustAdmit(t, db, "C-0001", "main")
	wantBalance(t, db, "venue", 0)
	if d, err := db.Undo(ctx, "main", time.Minute); err != nil || d.Reason != checkin.Undone {
		t.Fatalf("undo of the admission: %v %v", d.Reason, err)
	}
	wantBalance(t, db, "venue", 1)

	MustAdmit(t, db, "C-0002", "main")
	MustScan(t, db, "C-0002", "main", checkin.Exit)
	wantBalance(t, db, "venue", 1)
	MustAdmit(t, db, "C-0003", "main") // the last right
	MustScan(t, db, "C-0003", "main", checkin.Exit)
	MustAdmit(t, db, "C-0004", "main")
	MustScan(t, db, "C-0004", "main", checkin.Exit)
	// Back in on the one right there is: then none is left for a second.
	if d, err := db.Undo(ctx, "main", time.Minute); err != nil || d.Reason != checkin.Undone {
		t.Fatalf("undo of an exit with a right: %v %v", d.Reason, err)
	}
	wantBalance(t, db, "venue", 0)
}
