package central_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/centralstore"
	"usher/demo"
)

// TestOrganizerAdd: without a password file, organizer add makes a
// strong password, prints it once, and it signs in; with a file, the
// file's first line is the password, and a second add replaces it. A
// missing or empty file, or a short password, is refused, saying so,
// and adds nobody.
func TestOrganizerAdd(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "c.db")
	// A mistyped --db is refused, and makes no new database.
	code, _, errOut := runCentral("organizer", "add", "maria", "--db", dsn)
	if code != 1 || !strings.Contains(errOut, "does not exist") || !strings.Contains(errOut, "import first") {
		t.Errorf("organizer add on a missing database: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(dsn); err == nil {
		t.Errorf("organizer add made %s", dsn)
	}
	MustRunCentral(t, "demo", "--dir", dir, "--people", "5")
	MustRunCentral(t, "import", "--event", filepath.Join(dir, "event.toml"), "--db", dsn)
	code, out, errOut := runCentral("organizer", "add", "maria", "--db", dsn)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, pw, ok := strings.Cut(out, "password (shown only now): ")
	pw = strings.TrimSpace(pw)
	if !ok || len(pw) < 20 {
		t.Fatalf("no strong password printed:\n%s", out)
	}
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.SignIn(ctx, "maria", pw); err != nil {
		t.Errorf("the printed password does not sign in: %v", err)
	}

	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("from a file, twelve+\r\nsecond line\n"), 0o600)
	code, out, errOut = runCentral("organizer", "add", "maria", "--password-file", file, "--db", dsn)
	if code != 0 || !strings.Contains(out, "new password") || strings.Contains(out, "shown only now") {
		t.Fatalf("replace from a file: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := db.SignIn(ctx, "maria", "from a file, twelve+"); err != nil {
		t.Errorf("the file's first line does not sign in: %v", err)
	}
	if _, err := db.SignIn(ctx, "maria", pw); err == nil {
		t.Errorf("the replaced password still signs in")
	}

	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\nsecret on line two\n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("short\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"organizer", "add", "bob", "--password-file", filepath.Join(dir, "missing"), "--db", dsn}, "missing"},
		{[]string{"organizer", "add", "bob", "--password-file", empty, "--db", dsn}, "first line is empty"},
		{[]string{"organizer", "add", "bob", "--password-file", short, "--db", dsn}, "at least 12"},
		{[]string{"organizer", "add", "--db", dsn}, "usage"},
		{[]string{"organizer", "remove", "bob", "--db", dsn}, "usage"},
	} {
		code, _, errOut := runCentral(c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want a failure saying %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
	if _, err := db.SignIn(ctx, "bob", "\nsecret on line two"); err == nil {
		t.Errorf("a refused organizer signs in")
	}
	if _, out, _ := runCentral("help"); !strings.Contains(out, "organizer add NAME") {
		t.Errorf("the usage text does not list organizer add")
	}
}

// TestStatusWaiting: usher-central status shows the scans a kiosk said
// are waiting there.
func TestStatusWaiting(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "c.db")
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Import(ctx, demo.Event(), demo.Roster(10), nil); err != nil {
		t.Fatal(err)
	}
	token, err := db.CreateEnrollment(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	k, err := db.Enroll(ctx, token, "door-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Seen(ctx, k.KioskID, 17); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCentral("status", "--db", dsn)
	if code != 0 || !strings.Contains(out, "17 scans waiting at the kiosk") {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCentral("status", "--json", "--db", dsn)
	if code != 0 || !strings.Contains(out, `"waiting": 17`) {
		t.Errorf("status --json:\n%s", out)
	}
}
