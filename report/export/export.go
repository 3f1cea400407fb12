// Package export writes a report.Report to files for organizers: CSV
// tables, an XLSX workbook and occupancy charts (PNG or SVG). Every file
// is written under a temporary name in its folder and renamed into place
// only when all of them are complete, so an export that fails leaves no
// half-written file behind.
//
// Times are shown in one zone, chosen once per report (see Zone), and
// every file says which.
package export

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"usher/checkin"
	"usher/report"
)

// Formats are the formats Write knows, in the order usage lists them.
var Formats = []string{"csv", "xlsx", "png", "svg"}

// Options say what Write writes where.
type Options struct {
	Format string // one of Formats
	// Out is a folder (created if missing) for csv, png and svg, whose
	// files of the same names are replaced; for xlsx it is the workbook's
	// file, which is not overwritten unless Force is set.
	Out   string
	Force bool
}

// Write writes r in o.Format to o.Out and returns the paths written, in
// order. Returns EINVALID for an unknown format, a missing Out, an Out
// that is a file where a folder is needed (or a folder where a file is),
// or an existing workbook without Force; nothing is written then, nor
// when writing fails.
func Write(r *report.Report, o Options) ([]string, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Format == "xlsx" {
		if err := checkFile(o.Out, o.Force); err != nil {
			return nil, err
		}
		b := &batch{dir: filepath.Dir(o.Out)}
		if err := writeXLSX(b, filepath.Base(o.Out), r); err != nil {
			b.abort()
			return nil, err
		}
		return b.commit()
	}
	created, err := checkFolder(o.Out)
	if err != nil {
		return nil, err
	}
	b := &batch{dir: o.Out}
	switch o.Format {
	case "csv":
		err = writeCSV(b, r)
	case "png", "svg":
		err = writeCharts(b, r, o.Format)
	}
	var paths []string
	if err == nil {
		paths, err = b.commit()
	} else {
		b.abort()
	}
	if err != nil && created {
		os.Remove(o.Out) // the folder this export made, if it is empty
	}
	return paths, err
}

// Check returns EINVALID for an unknown or missing format or a missing
// Out, before anything is read or written.
func (o Options) Check() error {
	switch {
	case o.Format == "":
		return checkin.Errorf(checkin.EINVALID, "--format is required: %s", strings.Join(Formats, ", "))
	case !slices.Contains(Formats, o.Format):
		return checkin.Errorf(checkin.EINVALID, "unknown format %q (formats: %s)", o.Format, strings.Join(Formats, ", "))
	case o.Out == "" && o.Format == "xlsx":
		return checkin.Errorf(checkin.EINVALID, "--out is required: the workbook's file, like report.xlsx")
	case o.Out == "":
		return checkin.Errorf(checkin.EINVALID, "--out is required: a folder for the %s files (created if missing)", o.Format)
	}
	return nil
}

// Flags adds the export commands' --format, --out and --force to fs,
// filling o.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "format", "", "csv, xlsx, png or svg")
	fs.StringVar(&o.Out, "out", "", "a `folder` for csv, png and svg (created); the workbook's file for xlsx")
	fs.BoolVar(&o.Force, "force", false, "replace an existing workbook")
}

// Run makes the report of log (Build), writes it as o says (Write) and
// tells w what it wrote (Print): the export commands' work.
func Run(w io.Writer, log report.Log, o Options) error {
	r := Build(log)
	paths, err := Write(r, o)
	if err != nil {
		return err
	}
	Print(w, paths, r)
	return nil
}

// Print tells what Write wrote: each path, then the Summary.
func Print(w io.Writer, paths []string, r *report.Report) {
	for _, p := range paths {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	fmt.Fprintln(w, Summary(r))
}

// checkFolder makes dir unless it exists, and says whether it made it;
// it must not be a file.
func checkFolder(dir string) (created bool, err error) {
	switch fi, err := os.Stat(dir); {
	case err == nil && !fi.IsDir():
		return false, checkin.Errorf(checkin.EINVALID, "--out %s is a file; give a folder (it is created if missing)", dir)
	case err == nil:
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, checkin.Errorf(checkin.EINVALID, "--out %s: %v", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, checkin.Errorf(checkin.EINVALID, "--out %s: cannot create the folder: %v", dir, err)
	}
	return true, nil
}

// checkFile refuses a path that is a folder, anything else but a regular
// file (see whyNotReplaced), or an existing file unless force; its folder
// must exist.
func checkFile(path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.IsDir():
		return checkin.Errorf(checkin.EINVALID, "--out %s is a folder; give the workbook's file name, like report.xlsx", path)
	case err == nil && !fi.Mode().IsRegular():
		return checkin.Errorf(checkin.EINVALID, "--out %s %s; give the name of a new file or of a workbook to replace", path, whyNotReplaced(path, fi))
	case err == nil && !force:
		return checkin.Errorf(checkin.EINVALID, "--out %s exists; add --force to replace it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return checkin.Errorf(checkin.EINVALID, "--out %s: %v", path, err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return checkin.Errorf(checkin.EINVALID, "--out %s: folder %s does not exist", path, filepath.Dir(path))
	}
	return nil
}

// whyNotReplaced says why the export does not replace path, which is not a
// regular file: renaming over it would put a file where a named pipe or
// a device was, or replace a link instead of writing where it leads.
func whyNotReplaced(path string, fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return "is a symbolic link, which an export does not replace"
		}
		return fmt.Sprintf("is a symbolic link to %s, which an export does not replace", target)
	case m.IsDir():
		return "is a folder"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), which an export does not replace"
	case m&fs.ModeSocket != 0:
		return "is a socket, which an export does not replace"
	case m&fs.ModeDevice != 0:
		return "is a device, which an export does not replace"
	}
	return "is not a regular file, which an export does not replace"
}

// batch is a set of files written under temporary names in one folder,
// renamed into place together by commit or removed by abort.
type batch struct {
	dir   string
	files []pending
}

type pending struct {
	f    *os.File
	name string
}

// create starts the file name of the batch.
func (b *batch) create(name string) (*os.File, error) {
	f, err := os.CreateTemp(b.dir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Join(b.dir, name), err)
	}
	b.files = append(b.files, pending{f, name})
	return f, nil
}

// commit flushes and closes every file, then renames each into place.
// If any fails before the renames, or a name is taken by anything but a
// regular file (a folder, a named pipe, a link…), every file is removed
// and none is renamed.
func (b *batch) commit() ([]string, error) {
	for _, p := range b.files {
		path := filepath.Join(b.dir, p.name)
		if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
			b.abort()
			return nil, checkin.Errorf(checkin.EINVALID, "%s %s; nothing was written", path, whyNotReplaced(path, fi))
		}
		if err := p.f.Sync(); err != nil {
			b.abort()
			return nil, fmt.Errorf("write %s: %w", filepath.Join(b.dir, p.name), err)
		}
		if err := p.f.Close(); err != nil {
			b.abort()
			return nil, fmt.Errorf("write %s: %w", filepath.Join(b.dir, p.name), err)
		}
	}
	var paths []string
	for i, p := range b.files {
		path := filepath.Join(b.dir, p.name)
		if err := os.Chmod(p.f.Name(), 0o644); err != nil {
			b.files = b.files[i:]
			b.abort()
			return paths, fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Rename(p.f.Name(), path); err != nil {
			b.files = b.files[i:]
			b.abort()
			return paths, fmt.Errorf("write %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	b.files = nil
	return paths, nil
}

// abort removes every file the batch started.
func (b *batch) abort() {
	for _, p := range b.files {
		p.f.Close()
		os.Remove(p.f.Name())
	}
	b.files = nil
}

// Build is report.Build up to the end of the history: the last move or
// the end of the last session that has begun, whichever is later (now
// when there is neither), so a report made days after the event spans
// the event, not the days since, and one made during it counts nothing
// of the sessions still to come.
func Build(log report.Log) *report.Report {
	return buildAt(log, time.Now())
}

func buildAt(log report.Log, now time.Time) *report.Report {
	var end time.Time
	for _, m := range log.Moves {
		if m.At.After(end) {
			end = m.At
		}
	}
	for _, s := range log.Event.Sessions {
		if !s.Start.Before(now) {
			continue // still to come
		}
		e := s.End
		if now.Before(e) {
			e = now
		}
		if e.After(end) {
			end = e
		}
	}
	if end.IsZero() {
		end = now
	}
	return report.Build(log, end)
}

// Zone is the time zone every time of r is shown in: the UTC offset of
// the schedule's first session when the event has a schedule (the
// venue's own clock), else the offset of this machine's zone at the
// report's start. It is a fixed offset named like "UTC+02:00", so one
// report never mixes two offsets.
func Zone(r *report.Report) *time.Location {
	var t time.Time
	if len(r.Sessions) > 0 {
		t = r.Sessions[0].Start
	} else {
		t = r.Start.In(time.Local)
	}
	_, off := t.Zone()
	return fixedZone(off)
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.FixedZone("UTC", 0)
	}
	sign, a := "+", off
	if a < 0 {
		sign, a = "-", -a
	}
	return time.FixedZone(fmt.Sprintf("UTC%s%02d:%02d", sign, a/3600, a%3600/60), off)
}

// Summary is one line about r: how many spaces and sessions, and the
// fullest space's peak (highest as a share of its capacity).
func Summary(r *report.Report) string {
	zone := Zone(r)
	s := fmt.Sprintf("%d spaces, %d sessions", len(r.Spaces), len(r.Sessions))
	var best *report.Space
	for i := range r.Spaces {
		sp := &r.Spaces[i]
		if best == nil || sp.Peak*best.Capacity > best.Peak*sp.Capacity {
			best = sp
		}
	}
	if best == nil || best.Peak == 0 {
		return s + "; nobody entered"
	}
	return fmt.Sprintf("%s; fullest: %s, peak %d of %d at %s (%s)", s, best.Name, best.Peak, best.Capacity,
		best.PeakAt.In(zone).Format("2006-01-02 15:04"), zone)
}
