package export

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"usher/report"
)

// Chart size: 10 × 5.625 inches, which at chartDPI is 1600 × 900 pixels
// in a PNG; an SVG is 720 × 405 points.
const (
	chartW   = 10 * vg.Inch
	chartH   = 5.625 * vg.Inch
	chartDPI = 160
)

var (
	lineColor    = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	capColor     = color.RGBA{R: 0xd0, G: 0x1c, B: 0x1c, A: 0xff}
	sessionColor = color.RGBA{R: 0xf2, G: 0xe6, B: 0xc4, A: 0xff}
	sessionEdge  = color.RGBA{R: 0xc9, G: 0xb0, B: 0x6e, A: 0xff}
)

// writeCharts writes occupancy-SPACE.png (or .svg) for every space.
func writeCharts(b *batch, r *report.Report, format string) error {
	for i := range r.Spaces {
		s := &r.Spaces[i]
		p, err := chart(r, s)
		if err != nil {
			return fmt.Errorf("chart of %s: %w", s.ID, err)
		}
		name := "occupancy-" + s.ID + "." + format
		f, err := b.create(name)
		if err != nil {
			return err
		}
		var c interface {
			vg.CanvasSizer
			io.WriterTo
		}
		if format == "png" {
			c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartW, chartH), vgimg.UseDPI(chartDPI),
				vgimg.UseBackgroundColor(color.White))}
		} else {
			c = vgsvg.New(chartW, chartH)
		}
		p.Draw(draw.New(c))
		if _, err := c.WriteTo(f); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// chart plots a space's occupancy over the report as a step line, its
// capacity as a red dashed line and its sessions as shaded windows.
func chart(r *report.Report, s *report.Space) (*plot.Plot, error) {
	zone := Zone(r)
	from, end, sessions := span(r, zone)
	p := chartFrame(s, zone, from, end)
	for _, ss := range sessions {
		if ss.Space != s.ID {
			continue
		}
		if err := shadeSession(p, ss, end); err != nil {
			return nil, err
		}
	}
	if err := drawOccupancy(p, s, from, end); err != nil {
		return nil, err
	}
	return p, nil
}

// chartX is a time's place on a chart's X axis: seconds since 1970, to
// the millisecond.
func chartX(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// chartFrame is the chart of space s before anything is plotted: its
// title, axes from from to end and from 0 to above both the peak and the
// capacity, the clock ticks in zone, and a light grid.
func chartFrame(s *report.Space, zone *time.Location, from, end time.Time) *plot.Plot {
	p := plot.New()
	p.Title.Text = s.Name + " — occupancy"
	p.Title.TextStyle.Font = sans(17)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = fmt.Sprintf("Time (%s)", zone)
	p.Y.Label.Text = "People inside"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(12)
		a.Tick.Label.Font = sans(10)
	}
	p.X.Min, p.X.Max = chartX(from), chartX(end)
	peak := max(s.Peak, s.Capacity)
	p.Y.Min, p.Y.Max = 0, math.Ceil(float64(peak)*1.15+0.5)
	p.X.Tick.Marker = plot.TimeTicks{Ticker: clockTicks{zone}, Format: "15:04",
		Time: func(t float64) time.Time { return time.UnixMilli(int64(math.Round(t * 1000))).In(zone) }}
	p.Y.Tick.Marker = wholeTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(grid)
	return p
}

// shadeSession adds session ss to the chart: a shaded window the height
// of the chart, its title in its top left corner.
func shadeSession(p *plot.Plot, ss report.Session, end time.Time) error {
	// A session under way is shaded up to the end, not beyond (Add
	// would widen the axis to hold it).
	a, b := chartX(ss.Start), chartX(ss.End)
	if ss.End.After(end) {
		b = chartX(end)
	}
	poly, err := plotter.NewPolygon(plotter.XYs{{X: a, Y: 0}, {X: b, Y: 0}, {X: b, Y: p.Y.Max}, {X: a, Y: p.Y.Max}})
	if err != nil {
		return err
	}
	// A darker edge keeps sessions back to back apart.
	poly.Color, poly.LineStyle.Color, poly.LineStyle.Width = sessionColor, sessionEdge, vg.Points(0.75)
	p.Add(poly)
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: a, Y: p.Y.Max}}, Labels: []string{ss.Title}})
	if err != nil {
		return err
	}
	labels.TextStyle[0].Font = sans(10)
	labels.TextStyle[0].YAlign = draw.YTop
	labels.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(-4)}
	p.Add(labels)
	return nil
}

// drawOccupancy adds the space's occupancy from from to end as a step
// line, over its capacity as a named red dashed line.
func drawOccupancy(p *plot.Plot, s *report.Space, from, end time.Time) error {
	var xys plotter.XYs
	for _, pt := range s.Since(from, end) {
		xys = append(xys, plotter.XY{X: chartX(pt.At), Y: float64(pt.N)})
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	line.StepStyle = plotter.PostStep
	line.Color, line.Width = lineColor, vg.Points(2)
	capLine, err := plotter.NewLine(plotter.XYs{{X: chartX(from), Y: float64(s.Capacity)}, {X: chartX(end), Y: float64(s.Capacity)}})
	if err != nil {
		return err
	}
	capLine.Color, capLine.Width = capColor, vg.Points(1.5)
	capLine.Dashes = []vg.Length{vg.Points(7), vg.Points(4)}
	// The capacity is named at the right end of its line, above it.
	capLabel, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: chartX(end), Y: float64(s.Capacity)}},
		Labels: []string{fmt.Sprintf("Capacity %d", s.Capacity)}})
	if err != nil {
		return err
	}
	capLabel.TextStyle[0].Font = sans(10)
	capLabel.TextStyle[0].Color = capColor
	capLabel.TextStyle[0].XAlign, capLabel.TextStyle[0].YAlign = draw.XRight, draw.YBottom
	capLabel.Offset = vg.Point{X: vg.Points(-4), Y: vg.Points(3)}
	p.Add(capLine, line, capLabel)
	return nil
}

// sans is the charts' face: Liberation Sans, embedded with plot.
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

// span is the time a chart covers: from the report's start, widened
// back to the sessions on the days of its scans, to the report's end,
// and those sessions, which it returns. It never runs past the end: what
// the room holds after it is not known yet (Build ends a report made
// during the event at the moment it is made), so a session under way is
// drawn up to the end and one still to come is left out. A schedule of
// another day (a demo event's, scanned today) is left out rather than
// stretching the chart over months.
func span(r *report.Report, zone *time.Location) (from, end time.Time, sessions []report.Session) {
	from, end = r.Start, r.End
	day := func(t time.Time) time.Time {
		t = t.In(zone)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, zone)
	}
	first := day(r.Start)
	for _, ss := range r.Sessions {
		if !ss.End.After(first) || !ss.Start.Before(end) {
			continue
		}
		sessions = append(sessions, ss)
		if ss.Start.Before(from) {
			from = ss.Start
		}
	}
	if !end.After(from) {
		from = end.Add(-time.Hour) // an empty day: the hour before the end
	}
	return from, end, sessions
}

// clockTicks marks the clock in zone at a round step (5 minutes to 6
// hours) that gives at most ten labels.
type clockTicks struct{ zone *time.Location }

func (c clockTicks) Ticks(min, max float64) []plot.Tick {
	steps := []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	span := time.Duration((max - min) * float64(time.Second))
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 10 {
			step = s
			break
		}
	}
	_, off := time.Unix(int64(min), 0).In(c.zone).Zone()
	sec := int64(step / time.Second)
	half := sec / 2
	first := (int64(math.Floor(min))+int64(off))/half*half - int64(off) // aligned to the zone's clock
	var ticks []plot.Tick
	for t := first; float64(t) <= max; t += half {
		if float64(t) < min {
			continue
		}
		tick := plot.Tick{Value: float64(t)}
		if (t+int64(off))%sec == 0 {
			tick.Label = time.Unix(t, 0).In(c.zone).Format("15:04")
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// wholeTicks labels whole numbers of people at a round step (1, 2 or 5
// times a power of ten) that gives at most eight labels, with a minor
// tick between them.
type wholeTicks struct{}

func (wholeTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for i := 0; (max-min)/step > 8; i++ {
		step *= []float64{2, 2.5, 2}[i%3] // 1, 2, 5, 10, 20, 50, …
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		if half := v + step/2; step >= 2 && half <= max {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	return ticks
}
