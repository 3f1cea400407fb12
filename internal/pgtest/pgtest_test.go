package pgtest

import (
	"database/sql"
	"strings"
	"testing"
)

func TestFreshDB(t *testing.T) {
	u := FreshDB(t)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	var name string
	if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "t_testfreshdb_") || !strings.Contains(u, "/"+name+"?") {
		t.Fatalf("connected to database %q through %s", name, u)
	}

	if _, err := db.Exec(`CREATE TABLE scan (id bigint PRIMARY KEY, code text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO scan (id, code) VALUES ($1, $2)`, 1, "ÄBC-123"); err != nil {
		t.Fatal(err)
	}
	var code string
	if err := db.QueryRow(`SELECT code FROM scan WHERE id = $1`, 1).Scan(&code); err != nil {
		t.Fatal(err)
	}
	if code != "ÄBC-123" {
		t.Fatalf("read back %q, want %q", code, "ÄBC-123")
	}
}

// Two databases from FreshDB are distinct: a table in one is absent in the other.
func TestFreshDBIsolated(t *testing.T) {
	a, b := FreshDB(t), FreshDB(t)
	if a == b {
		t.Fatalf("FreshDB returned %s twice", a)
	}
	dba, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer dba.Close()
	if _, err := dba.Exec(`CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	dbb, err := sql.Open("pgx", b)
	if err != nil {
		t.Fatal(err)
	}
	defer dbb.Close()
	var n int
	if err := dbb.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table of one fresh database seen in another")
	}
}

// A connection left open does not stop the drop at cleanup (WITH (FORCE)), and
// the database is gone afterwards.
func TestFreshDBDropped(t *testing.T) {
	var name string
	var leak *sql.DB
	t.Run("leaky", func(t *testing.T) {
		var err error
		leak, err = sql.Open("pgx", FreshDB(t))
		if err != nil {
			t.Fatal(err)
		}
		// Left open when the subtest's cleanup drops the database.
		if err := leak.QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if leak != nil {
		defer leak.Close()
	}
	admin, err := sql.Open("pgx", URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if name == "" || n != 0 {
		t.Fatalf("database %q still exists after its test ended", name)
	}
}
