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
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Alignment: &excelize.Alignment{WrapText: false}})
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	dt, minutes := dateTimeFormat, minutesFormat
	dateTime, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dt})
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	tenths, err := f.NewStyle(&excelize.Style{CustomNumFmt: &minutes})
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	all := tables(r)
	for _, t := range all {
		if len(t.rows)+1 > maxRows {
			return checkin.Errorf(checkin.EINVALID, "the %s sheet would have %d rows, more than a workbook holds (%d); export --format csv instead",
				t.name, len(t.rows)+1, maxRows)
		}
	}
	for i, t := range all {
		sheet := t.name
		if i == 0 {
			if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
				return fmt.Errorf("workbook: %w", err)
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
		widths := make([]int, len(t.header))
		for c, h := range t.header {
			widths[c] = utf8.RuneCountInString(h)
			if err := f.SetCellStr(sheet, cell(c, 0), h); err != nil {
				return fmt.Errorf("workbook %s: %w", sheet, err)
			}
		}
		for j, row := range t.rows {
			for c, v := range row {
				ref := cell(c, j+1)
				var err error
				switch v := v.(type) {
				case time.Time:
					if v.IsZero() {
						continue
					}
					// Excel has no zones: excelize writes the wall
					// clock of v's zone, the report's, which the header
					// names.
					if err = f.SetCellValue(sheet, ref, v); err == nil {
						err = f.SetCellStyle(sheet, ref, ref, dateTime)
					}
				case float64:
					if err = f.SetCellFloat(sheet, ref, v, 1, 64); err == nil {
						err = f.SetCellStyle(sheet, ref, ref, tenths)
					}
				default:
					err = f.SetCellValue(sheet, ref, v)
				}
				if err != nil {
					return fmt.Errorf("workbook %s %s: %w", sheet, ref, err)
				}
				widths[c] = max(widths[c], utf8.RuneCountInString(text(v)))
			}
		}
		last := cell(len(t.header)-1, 0)
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return fmt.Errorf("workbook %s: %w", sheet, err)
		}
		for c, w := range widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(sheet, col, col, float64(min(max(w+2, 8), 48))); err != nil {
				return fmt.Errorf("workbook %s: %w", sheet, err)
			}
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
			return fmt.Errorf("workbook %s: %w", sheet, err)
		}
	}
	f.SetActiveSheet(0)
	out, err := b.create(name)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// cell is the reference of column c, row j, both from 0.
func cell(c, j int) string {
	ref, _ := excelize.CoordinatesToCellName(c+1, j+1)
	return ref
}
