package export

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"usher/report"
	"usher/roster"
)

// writeCSV writes rooms.csv, sessions.csv, conflicts.csv, occupancy.csv
// and doors.csv.
func writeCSV(b *batch, r *report.Report) error {
	for _, t := range tables(r) {
		name := strings.ToLower(t.name) + ".csv"
		f, err := b.create(name)
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		header := make([]string, len(t.header))
		for i, h := range t.header {
			header[i] = text(h) // category names come from the event file
		}
		w.Write(header)
		for _, row := range t.rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = text(c)
			}
			w.Write(rec)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// text is a cell as the CSV writes it.
func text(c any) string {
	switch v := c.(type) {
	case string:
		// A spreadsheet opening the file would run a cell that starts
		// like a formula; names and ids come from outside.
		return roster.EscapeFormula(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Format(timeLayout)
	}
	panic(fmt.Sprintf("export: cell of type %T", c))
}
