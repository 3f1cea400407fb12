package store_test

import (
	"context"
	"testing"

	"usher/checkin"
	"usher/store"
)

// TestEnroll checks storing a kiosk's identity.
func TestEnroll(t *testing.T) {
	ctx := context.Background()
	id := store.Identity{URL: "https://central.example.org", KioskID: "K-1", Token: "secret", Door: "main", EventID: "expo"}
	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		if got, err := db.Identity(ctx); err != nil || got.Enrolled() {
			t.Fatalf("a new database: identity %+v, %v; want none", got, err)
		}
		if err := db.Enroll(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Identity(ctx); err != nil || got != id {
			t.Errorf("identity %+v, %v; want %+v", got, err, id)
		}
	})
	t.Run("ErrEnrolledAlready", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		if err := db.Enroll(ctx, id); err != nil {
			t.Fatal(err)
		}
		other := id
		other.KioskID = "K-2"
		if err := db.Enroll(ctx, other); checkin.ErrorCode(err) != checkin.ECONFLICT {
			t.Errorf("second enrollment: %v, want code %s", err, checkin.ECONFLICT)
		}
		if err := db.CheckNotEnrolled(ctx); checkin.ErrorCode(err) != checkin.ECONFLICT {
			t.Errorf("CheckNotEnrolled: %v, want code %s", err, checkin.ECONFLICT)
		}
		if got, _ := db.Identity(ctx); got != id {
			t.Errorf("identity %+v after a refused enrollment, want %+v", got, id)
		}
	})
	t.Run("ErrOtherEvent", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		MustLoad(t, db, MustEvent(t, expoEvent("other")), people(1))
		if err := db.Enroll(ctx, id); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("enrolling a database of another event: %v, want code %s", err, checkin.EINVALID)
		}
		if got, _ := db.Identity(ctx); got.Enrolled() {
			t.Errorf("identity %+v after a refused enrollment", got)
		}
	})
}
