package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// watch reads SQLite's data_version on one connection of its own, which
// never writes: the number then moves with every transaction committed
// to the file by any other connection, this handle's pooled ones
// included, and by any other process. Reading it costs one trivial
// statement, where catching up with the log costs several queries: the
// screen asks it first and catches up only when it moved.
type watch struct {
	mu   sync.Mutex
	conn *sql.Conn // nil until the first DataVersion
	stmt *sql.Stmt
}

// DataVersion returns a number that changes whenever a transaction is
// committed to the database file, by this handle or any other handle or
// process. Only its changes mean anything: compare it with what an
// earlier call returned. Returns an error only when the file cannot be
// read.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		conn, err := db.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("read data version: %w", err)
		}
		stmt, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
		if err != nil {
			conn.Close()
			return 0, fmt.Errorf("read data version: %w", err)
		}
		w.conn, w.stmt = conn, stmt
	}
	var v int64
	if err := w.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("read data version: %w", err)
	}
	return v, nil
}

// close gives the watch's connection back to the pool.
func (w *watch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		w.stmt.Close()
		w.conn.Close()
		w.conn, w.stmt = nil, nil
	}
}
