package centralstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreatePostgres creates the empty database name on the PostgreSQL
// server that base (a postgres:// URL) names, and returns its URL and
// drop, which deletes it, ending any connection left to it.
func CreatePostgres(base, name string) (dsn string, drop func() error, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s is not a URL: %v", base, err)
	}
	exec := func(q string) error {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = db.ExecContext(ctx, q)
		return err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := exec("CREATE DATABASE " + ident); err != nil {
		return "", nil, fmt.Errorf("creating database %s on %s: %w", name, u.Redacted(), err)
	}
	drop = func() error {
		// A server's background worker (autovacuum, on a server not made
		// by scripts/pg.sh) may be connected for a moment, and a role that
		// is not a superuser cannot end its connection: try a few times.
		var err error
		for try := 0; try < 10; try++ {
			if err = exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err == nil {
				return nil
			}
			time.Sleep(200 * time.Millisecond)
		}
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), drop, nil
}
