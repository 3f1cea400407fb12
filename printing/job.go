package printing

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"usher/checkin"
)

// maxTitle bounds a job's title in characters: CUPS keeps up to 255 bytes
// of job-name, and a print queue's list shows far fewer.
const maxTitle = 80

// sanitizeTitle makes s a job title: valid UTF-8 without control
// characters, spaces collapsed, at most maxTitle characters, "badge" when
// nothing is left. A title reaches lp as one argument, never a shell.
func sanitizeTitle(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxTitle {
		s = strings.TrimSpace(string([]rune(s)[:maxTitle-1])) + "…"
	}
	if s == "" {
		return "badge"
	}
	return s
}

// requestID is lp's answer: "request id is QUEUE-12 (1 file(s))".
var requestID = regexp.MustCompile(`request id is (\S+-[0-9]+) \(`)

// jobID is a CUPS job id: the queue, a dash, the job's number.
var jobID = regexp.MustCompile(`^(\S+)-([0-9]+)$`)

// Print sends pdf to p's queue with lp, on p's media, titled title
// (sanitized), and returns the CUPS job id, such as "Kiosk-Label-12". The
// PDF goes on lp's standard input, so no file is left behind. It returns
// the not-installed error (ENOTFOUND) without CUPS's client, and lp's own
// message (ECONFLICT) when CUPS refuses the job; either names the printer.
// Print returns when CUPS has queued the job: Wait waits for the printer.
func (p Printer) Print(ctx context.Context, pdf []byte, title string) (job string, err error) {
	args := []string{}
	if p.Queue != "" {
		args = append(args, "-d", p.Queue)
	}
	if p.Media != "" {
		args = append(args, "-o", "media="+string(p.Media))
	}
	args = append(args, "-t", sanitizeTitle(title))
	out, err := run(ctx, bytes.NewReader(pdf), "lp", args...)
	if err != nil {
		return "", p.wrap(err)
	}
	m := requestID.FindStringSubmatch(out)
	if m == nil {
		return "", p.wrap(checkin.Errorf(checkin.EINTERNAL, "lp gave no job id: %q", strings.TrimSpace(out)))
	}
	return m[1], nil
}

// pollEvery is how often Wait asks CUPS about a job: a badge prints in a
// few seconds, and lpstat costs a few milliseconds.
const pollEvery = 200 * time.Millisecond

// Wait waits until job (as Print returned it) has left the queue. It
// returns a *checkin.Error (ECONFLICT) when the job was aborted or canceled,
// is held, or its printer is stopped (a stopped printer keeps the job
// forever), and ctx's error when ctx ends first.
func (p Printer) Wait(ctx context.Context, job string) error {
	m := jobID.FindStringSubmatch(job)
	if m == nil {
		return checkin.Errorf(checkin.EINVALID, "%q is not a CUPS job id (QUEUE-N)", job)
	}
	queue := m[1]
	q := Printer{Queue: queue}
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		out, err := run(ctx, nil, "lpstat", "-l", "-W", "not-completed", "-o", queue)
		if err != nil {
			return q.wrap(err)
		}
		entry, queued := jobEntry(out, job)
		if !queued {
			break
		}
		if strings.Contains(entry, "job-hold-until") || strings.Contains(entry, "held") {
			return q.wrap(checkin.Errorf(checkin.ECONFLICT, "job %s is held: %s", job, oneLine(entry)))
		}
		out, err = run(ctx, nil, "lpstat", "-l", "-p", queue)
		if err != nil {
			return q.wrap(err)
		}
		if strings.Contains(firstLine(out), "disabled") {
			return q.wrap(checkin.Errorf(checkin.ECONFLICT, "job %s waits on a stopped printer (cupsenable %s): %s", job, queue, oneLine(out)))
		}
		select {
		case <-ctx.Done():
			return q.wrap(ctx.Err())
		case <-t.C:
		}
	}
	out, err := run(ctx, nil, "lpstat", "-l", "-W", "completed", "-o", queue)
	if err != nil {
		return q.wrap(err)
	}
	if entry, ok := jobEntry(out, job); ok && (strings.Contains(entry, "aborted") || strings.Contains(entry, "canceled")) {
		return q.wrap(checkin.Errorf(checkin.ECONFLICT, "job %s did not print: %s", job, oneLine(entry)))
	}
	return nil
}

// jobEntry finds job in `lpstat -l -o` output: its line and the indented
// lines under it.
func jobEntry(out, job string) (string, bool) {
	var b strings.Builder
	found := false
	for l := range strings.Lines(out) {
		indented := strings.HasPrefix(l, "\t") || strings.HasPrefix(l, " ")
		switch {
		case !indented && strings.HasPrefix(l, job+" "):
			found = true
			b.WriteString(l)
		case !indented && found:
			return b.String(), true
		case found:
			b.WriteString(l)
		}
	}
	return b.String(), found
}
