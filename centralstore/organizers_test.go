package centralstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to read the tables directly
	_ "modernc.org/sqlite"             // "sqlite", likewise

	"usher/centralstore"
	"usher/checkin"
)

// TestOrganizerSignIn: an organizer added with a password signs in with
// it and gets a session; a wrong password and an unknown name fail alike;
// a session ends by signing out, by running out after 12 hours, and when
// the organizer's password is replaced. The database keeps no password
// and no session token in the clear.
func TestOrganizerSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		now := time.Date(2026, 5, 14, 8, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		const pw = "correct horse battery"
		if replaced, err := db.AddOrganizer(ctx, "maria", pw); err != nil || replaced {
			t.Fatalf("add maria: replaced %v, %v", replaced, err)
		}
		token, err := db.SignIn(ctx, "maria", pw)
		if err != nil {
			t.Fatalf("sign in: %v", err)
		}
		s, err := db.Session(ctx, token)
		if err != nil || s.Organizer != "maria" || !s.Expires.Equal(now.Add(12*time.Hour)) {
			t.Fatalf("session = %+v, %v; want maria until 20:00", s, err)
		}

		var msgs []string
		for _, c := range []struct{ name, pw string }{{"maria", pw + "!"}, {"nobody", pw}, {"maria", ""}, {"", ""}} {
			_, err := db.SignIn(ctx, c.name, c.pw)
			if checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
				t.Fatalf("sign in %q/%q: %v, want unauthorized", c.name, c.pw, err)
			}
			msgs = append(msgs, checkin.ErrorMessage(err))
		}
		for _, m := range msgs {
			if m != centralstore.ErrSignIn {
				t.Errorf("failed sign-ins say %q; want the same message for every cause", msgs)
				break
			}
		}
		if _, err := db.Session(ctx, token+"x"); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("a forged token: %v", err)
		}

		// Nothing secret in the clear.
		raw := mustRaw(t, dsn)
		var stored string
		row := raw.QueryRow(`SELECT password_hash || ' ' || salt FROM organizers`)
		if err := row.Scan(&stored); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM web_sessions WHERE token_hash = '` + token + `'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the session token is stored as it is (%d rows, %v)", n, err)
		}
		if strings.Contains(stored, pw) {
			t.Errorf("the password is stored: %s", stored)
		}

		// Signing out ends the session.
		if err := db.SignOut(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, token); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("after sign-out: %v", err)
		}

		// A session runs out after 12 hours, not a moment later.
		token, err = db.SignIn(ctx, "maria", pw)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(12*time.Hour - time.Second)
		if _, err := db.Session(ctx, token); err != nil {
			t.Errorf("11:59:59 after sign-in: %v", err)
		}
		now = now.Add(time.Second)
		if _, err := db.Session(ctx, token); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("12 h after sign-in: %v, want unauthorized", err)
		}

		// A new password signs out the browsers of the old one.
		token, err = db.SignIn(ctx, "maria", pw)
		if err != nil {
			t.Fatal(err)
		}
		if replaced, err := db.AddOrganizer(ctx, "maria", "another long password"); err != nil || !replaced {
			t.Fatalf("replace: %v, %v", replaced, err)
		}
		if _, err := db.Session(ctx, token); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("session of the old password: %v", err)
		}
		if _, err := db.SignIn(ctx, "maria", pw); err == nil {
			t.Errorf("the old password still signs in")
		}
		if _, err := db.SignIn(ctx, "maria", "another long password"); err != nil {
			t.Errorf("the new password: %v", err)
		}
	})
}

// TestAddOrganizerInvalid: bad names and short passwords are refused
// with a message naming them, and add nobody.
func TestAddOrganizerInvalid(t *testing.T) {
	db := MustOpen(t, t.TempDir()+"/central.db")
	for _, c := range []struct{ name, pw, want string }{
		{"", "long enough password", "empty"},
		{" maria", "long enough password", "space"},
		{"ma\x00ria", "long enough password", "unprintable"},
		{strings.Repeat("m", 65), "long enough password", "64 characters"},
		{"maria", "short", "at least 12"},
	} {
		_, err := db.AddOrganizer(context.Background(), c.name, c.pw)
		if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("add %q/%q: %v; want invalid, saying %q", c.name, c.pw, err, c.want)
		}
	}
	if _, err := db.SignIn(context.Background(), "maria", "short"); err == nil {
		t.Errorf("a refused organizer signs in")
	}
}

// mustRaw opens the central database directly, to look at its tables.
func mustRaw(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver, name := "sqlite", dsn
	if centralstore.IsPostgres(dsn) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// mustOnlyKiosk returns the state of the one kiosk enrolled at db.
func mustOnlyKiosk(tb testing.TB, db *centralstore.DB) centralstore.KioskState {
	tb.Helper()
	st, err := db.Status(context.Background())
	if err != nil || len(st.Kiosks) != 1 {
		tb.Fatalf("status: %+v, %v", st.Kiosks, err)
	}
	return st.Kiosks[0]
}

// TestKioskWaiting: the count of scans a kiosk says are waiting is in
// its status; a pull that does not say (-1) keeps the last count.
func TestKioskWaiting(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		MustImport(t, db, nil, nil)
		kiosk := MustEnroll(t, db, "main")
		if w := mustOnlyKiosk(t, db).Waiting; w != 0 {
			t.Errorf("a new kiosk has %d waiting", w)
		}
		for _, c := range []struct{ said, want int64 }{{7, 7}, {-1, 7}, {0, 0}} {
			if err := db.Seen(ctx, kiosk, c.said); err != nil {
				t.Fatal(err)
			}
			if w := mustOnlyKiosk(t, db).Waiting; w != c.want {
				t.Errorf("after the kiosk said %d: status says %d waiting, want %d", c.said, w, c.want)
			}
		}
	})
}

// TestSeenStoredAtMostEvery: a kiosk heard from again within SeenEvery
// with the same count is not written again; a new count is, at once, and
// so is any request after SeenEvery.
func TestSeenStoredAtMostEvery(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		MustImport(t, db, nil, nil)
		kiosk := MustEnroll(t, db, "main")
		for _, c := range []struct {
			after    time.Duration
			said     int64
			wantSeen time.Duration // since the start
			want     int64
		}{
			{0, 0, 0, 0},
			{2 * time.Second, 0, 0, 0},               // within SeenEvery, same count: not written
			{time.Second, 3, 3 * time.Second, 3},     // a new count: written at once
			{4 * time.Second, 3, 3 * time.Second, 3}, // 4 s later: not yet
			{time.Second, 3, 8 * time.Second, 3},     // SeenEvery after the last write
			{time.Minute, 0, 68 * time.Second, 0},
		} {
			now = now.Add(c.after)
			if err := db.Seen(ctx, kiosk, c.said); err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
			if s := mustOnlyKiosk(t, db); !s.LastSeen.Equal(start.Add(c.wantSeen)) || s.Waiting != c.want {
				t.Errorf("at +%v, said %d: last seen +%v, waiting %d; want +%v, %d",
					now.Sub(start), c.said, s.LastSeen.Sub(start), s.Waiting, c.wantSeen, c.want)
			}
		}
	})
}

// TestReadsDoNotWaitForAWriter: on SQLite a read (the status, a pull)
// runs while another connection holds the write lock; it used to begin
// immediate and fail with "database is locked" after the busy timeout.
func TestReadsDoNotWaitForAWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := MustOpen(t, path)
	MustImport(t, db, nil, nil)
	holder, err := sql.Open("sqlite", centralstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin() // immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE kiosks SET waiting = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Status(context.Background()); err != nil {
		t.Errorf("status while another connection writes: %v", err)
	}
	if _, err := db.Pull(context.Background(), "", 0, 10); err != nil {
		t.Errorf("pull while another connection writes: %v", err)
	}
}
