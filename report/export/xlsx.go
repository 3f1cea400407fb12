package export

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"usher/checkin"
	"usher/report"
)

// maxRows is the most rows a sheet holds; a test lowers it.
var maxRows = excelize.TotalRows

// Number formats of the workbook's cells.
const (
	dateTimeFormat = "yyyy-mm-dd hh:mm:ss" // as timeLayout
	minutesFormat  = "0.0"
)

// writeXLSX writes the workbook name: one sheet per table, a bold frozen
// header, widths that fit the contents, times as Excel date-times in
// the report's zone, numbers as numbers.
func writeXLSX(b *batch, name string, r *report.Report) error {
	w, err := newWorkbook()
	if err != nil {
		return err
	}
	defer w.f.Close()
	all := tables(r)
	for _, t := range all {
		if len(t.rows)+1 > maxRows {
			return checkin.Errorf(checkin.EINVALID, "the %s sheet would have %d rows, more than a workbook holds (%d); export --format csv instead",
				t.name, len(t.rows)+1, maxRows)
		}
	}
	for i, t := range all {
		if err := w.addSheet(i, t); err != nil {
			return err
		}
	}
	w.f.SetActiveSheet(0)
	out, err := b.create(name)
	if err != nil {
		return err
	}
	if _, err := w.f.WriteTo(out); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// workbook is an XLSX file being written, and the styles of its cells.
type workbook struct {
	f        *excelize.File
	bold     int // the header's
	dateTime int // a time's, as timeLayout
	tenths   int // minutes', to a tenth
}

// newWorkbook makes an empty workbook (one sheet) and its styles.
func newWorkbook() (*workbook, error) {
	w := &workbook{f: excelize.NewFile()}
	bold, err := w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Alignment: &excelize.Alignment{WrapText: false}})
	if err != nil {
		w.f.Close()
		return nil, fmt.Errorf("workbook: %w", err)
	}
	dt, minutes := dateTimeFormat, minutesFormat
	dateTime, err := w.f.NewStyle(&excelize.Style{CustomNumFmt: &dt})
	if err != nil {
		w.f.Close()
		return nil, fmt.Errorf("workbook: %w", err)
	}
	tenths, err := w.f.NewStyle(&excelize.Style{CustomNumFmt: &minutes})
	if err != nil {
		w.f.Close()
		return nil, fmt.Errorf("workbook: %w", err)
	}
	w.bold, w.dateTime, w.tenths = bold, dateTime, tenths
	return w, nil
}

// addSheet writes t as the workbook's sheet i (the first renames the
// sheet a new workbook has): its header, its rows, and then the widths
// that fit them and the bold frozen header.
func (w *workbook) addSheet(i int, t table) error {
	sheet := t.name
	if i == 0 {
		if err := w.f.SetSheetName(w.f.GetSheetName(0), sheet); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
	} else if _, err := w.f.NewSheet(sheet); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	widths := make([]int, len(t.header))
	for c, h := range t.header {
		widths[c] = utf8.RuneCountInString(h)
		if err := w.f.SetCellStr(sheet, cell(c, 0), h); err != nil {
			return fmt.Errorf("workbook %s: %w", sheet, err)
		}
	}
	for j, row := range t.rows {
		for c, v := range row {
			ref := cell(c, j+1)
			if err := w.setCell(sheet, ref, v); err != nil {
				return fmt.Errorf("workbook %s %s: %w", sheet, ref, err)
			}
			widths[c] = max(widths[c], utf8.RuneCountInString(text(v)))
		}
	}
	return w.layout(sheet, len(t.header), widths)
}

// setCell writes v at ref, typed: a time as a date-time (none when it is
// zero), minutes as a number to a tenth, the rest as excelize types them.
func (w *workbook) setCell(sheet, ref string, v any) error {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return nil
		}
		// Excel has no zones: excelize writes the wall clock of v's
		// zone, the report's, which the header names.
		if err := w.f.SetCellValue(sheet, ref, v); err != nil {
			return err
		}
		return w.f.SetCellStyle(sheet, ref, ref, w.dateTime)
	case float64:
		if err := w.f.SetCellFloat(sheet, ref, v, 1, 64); err != nil {
			return err
		}
		return w.f.SetCellStyle(sheet, ref, ref, w.tenths)
	}
	return w.f.SetCellValue(sheet, ref, v)
}

// layout styles a sheet of columns columns: a bold header, frozen above
// the rows, and each column as wide as widths says, within 8 and 48
// characters (with a margin of 2).
func (w *workbook) layout(sheet string, columns int, widths []int) error {
	last := cell(columns-1, 0)
	if err := w.f.SetCellStyle(sheet, "A1", last, w.bold); err != nil {
		return fmt.Errorf("workbook %s: %w", sheet, err)
	}
	for c, width := range widths {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := w.f.SetColWidth(sheet, col, col, float64(min(max(width+2, 8), 48))); err != nil {
			return fmt.Errorf("workbook %s: %w", sheet, err)
		}
	}
	if err := w.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("workbook %s: %w", sheet, err)
	}
	return nil
}

// cell is the reference of column c, row j, both from 0.
func cell(c, j int) string {
	ref, _ := excelize.CoordinatesToCellName(c+1, j+1)
	return ref
}
