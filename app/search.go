package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// searchLimit is how many matches the name search lists.
const searchLimit = 20

// searchView finds a person by name for someone who forgot their badge;
// the chosen person is admitted with a reason, logged as a manual
// admission and counted like any other.
type searchView struct {
	k        *Kiosk
	box      *fyne.Container
	query    *keyEntry
	list     *keyList
	status   *widget.Label
	title    *widget.Label
	results  []checkin.Person
	selected int
	// print: the chosen person gets a new badge printed (print.go)
	// rather than admitted.
	print bool
}

func newSearchView(k *Kiosk) *searchView {
	v := &searchView{k: k, status: widget.NewLabel("")}
	v.query = k.newField(v.key)
	v.query.SetPlaceHolder("Part of a name or company")
	v.query.OnChanged = v.find
	v.query.OnSubmitted = func(string) { v.choose(v.selected) }
	// Each line is drawn at the dialogs' scale itself: the list makes its
	// lines as it scrolls, outside the theme given to the view.
	v.list = k.newList(
		func() int { return len(v.results) },
		func() fyne.CanvasObject { return newScaledLine(k.scale) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*scaledLine).setText(v.line(i)) },
	)
	v.list.OnSelected = func(i widget.ListItemID) {
		v.selected = i
		k.touch()
	}
	v.title = widget.NewLabel("")
	v.title.TextStyle.Bold = true
	v.box = k.dialog(container.NewBorder(container.NewVBox(v.title, v.query, v.status), nil, nil, nil, v.list))
	return v
}

// openSearch finds someone by name to admit. A badge desk admits
// nobody, and prints by name only in staff mode: a badge for any name
// must not be a keystroke away at an unattended desk.
func (k *Kiosk) openSearch() {
	if k.printMode {
		k.panel.show(toneDesk, "This kiosk is a badge desk", "To print a badge by name: staff mode (F2), then P.")
		k.ready = false
		k.holdUntil = k.Now().Add(holdBad)
		return
	}
	k.search.open(false, "Find by name (↑↓ to pick, Enter to admit, Esc to go back)")
}

// openPrintSearch finds someone to print a new badge for: the person
// the last scan named is offered first.
func (k *Kiosk) openPrintSearch() {
	k.search.open(true, "Print a badge for… (type a name; ↑↓ to pick, Enter to print, Esc to go back)")
	if p := k.lastPerson; p != nil {
		k.search.results = []checkin.Person{*p}
		k.search.list.Refresh()
		k.search.list.Select(0)
		k.search.status.SetText("Last scanned: Enter prints for them, or type another name.")
	}
}

func (v *searchView) open(print bool, title string) {
	k := v.k
	v.print = print
	v.title.SetText(title)
	v.query.SetText("")
	v.results, v.selected = nil, 0
	v.list.UnselectAll()
	v.list.Refresh()
	v.status.SetText("Type at least two letters.")
	k.show(v.box)
	k.viewAt = k.Now()
	k.win.Canvas().Focus(v.query)
}

func (v *searchView) line(i int) string {
	p := v.results[i]
	parts := []string{p.Name}
	if c := v.k.ev.Category(p.Category); c != nil {
		parts = append(parts, c.Name)
	}
	if p.Company != "" {
		parts = append(parts, p.Company)
	}
	if loc := v.k.b.Location(p.ID); loc != checkin.Outside {
		parts = append(parts, "inside "+v.k.ev.Space(loc).Name)
	}
	if p.Revoked != "" {
		parts = append(parts, "NOT VALID: "+p.Revoked)
	}
	return strings.Join(parts, " · ")
}

func (v *searchView) find(q string) {
	v.k.viewAt = v.k.Now()
	v.results, v.selected = nil, 0
	v.list.UnselectAll()
	if len([]rune(strings.TrimSpace(q))) >= 2 {
		found, err := v.k.b.Search(v.k.ctx, q, searchLimit)
		if err != nil {
			v.status.SetText(checkin.ErrorMessage(err))
		}
		v.results = found
	}
	switch {
	case len(v.results) == 0 && len([]rune(strings.TrimSpace(q))) < 2:
		v.status.SetText("Type at least two letters.")
	case len(v.results) == 0:
		v.status.SetText("Nobody on the roster matches.")
	default:
		v.status.SetText("")
		v.list.Select(0)
	}
	v.list.Refresh()
}

func (v *searchView) key(e *fyne.KeyEvent) bool {
	switch e.Name {
	case fyne.KeyEscape:
		v.k.back()
	case fyne.KeyDown:
		if v.selected+1 < len(v.results) {
			v.list.Select(v.selected + 1)
		}
	case fyne.KeyUp:
		if v.selected > 0 {
			v.list.Select(v.selected - 1)
		}
	default:
		return false
	}
	return true
}

// choose asks for the reason, then admits the i-th match by name.
func (v *searchView) choose(i int) {
	if i < 0 || i >= len(v.results) {
		return
	}
	k, p := v.k, v.results[i]
	if v.print {
		k.askPrint(p)
		return
	}
	if k.dir == checkin.Exit {
		v.status.SetText("This kiosk scans exits. Switch it to ENTRY in staff mode (F2) to admit by name.")
		return
	}
	k.note.open("Admit "+p.Name+" without a badge: why?", "Forgot badge", false, func(note string) {
		scan := checkin.Scan{Door: k.door.ID, Direction: checkin.Entry, Method: checkin.ByName, PersonID: p.ID, Note: note}
		d, err := k.b.Scan(k.ctx, scan)
		k.back()
		k.showDecision(scan, d, err)
	})
}

// scaledLine is a line of a list in a dialog: a text drawn at the
// dialogs' scaled size. It is not a label under a theme override, as the
// dialogs are: the list makes new lines as searches come and go, an
// override made or refreshed starts a new theme scope, and Fyne keeps
// the fonts it parsed for every scope until the theme changes, so lines
// that were overrides grew the kiosk by megabytes a search
// (memory_test.go). The text reads the scale as it is drawn.
type scaledLine struct {
	widget.BaseWidget
	th   *scaledTheme
	text *canvas.Text
}

func newScaledLine(th *scaledTheme) *scaledLine {
	l := &scaledLine{th: th, text: canvas.NewText("", nil)}
	l.ExtendBaseWidget(l)
	return l
}

// setText shows s.
func (l *scaledLine) setText(s string) {
	l.text.Text = s
	l.Refresh()
}

func (l *scaledLine) CreateRenderer() fyne.WidgetRenderer {
	r := &lineRenderer{l: l}
	r.Refresh()
	return r
}

type lineRenderer struct{ l *scaledLine }

func (r *lineRenderer) pad() float32 { return r.l.th.Size(theme.SizeNameInnerPadding) }

func (r *lineRenderer) Layout(size fyne.Size) {
	t := r.l.text
	h := t.MinSize().Height
	t.Move(fyne.NewPos(r.pad(), (size.Height-h)/2))
	t.Resize(fyne.NewSize(max(size.Width-2*r.pad(), 0), h))
}

func (r *lineRenderer) MinSize() fyne.Size {
	return r.l.text.MinSize().Add(fyne.NewSquareSize(2 * r.pad()))
}

func (r *lineRenderer) Refresh() {
	t := r.l.text
	t.TextSize = r.l.th.Size(theme.SizeNameText)
	t.Color = r.l.th.Color(theme.ColorNameForeground, fyne.CurrentApp().Settings().ThemeVariant())
	t.Refresh()
}

func (r *lineRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.l.text} }

func (r *lineRenderer) Destroy() {}
