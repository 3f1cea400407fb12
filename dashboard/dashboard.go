// Package dashboard is the organizers' live view of the event, served by
// usher-central beside the kiosk API: occupancy of every space against
// its capacity with a trend line, each door's kiosks and whether they are
// heard from, the conflicts the center found, and a large-type view for
// the fire marshal. Pages are rendered on the server from the central
// database; a small script polls a fragment every few seconds and swaps
// it in. Only a signed-in organizer sees anything of the event.
package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/sync/server"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// CookieName is the session cookie's name.
const CookieName = "usher_session"

// Paths of the dashboard.
const (
	PathLogin   = "/login"
	PathLogout  = "/logout"
	PathHome    = "/"
	PathMarshal = "/marshal"
	// PathLive is the fragment the pages poll: PathLive+"dashboard" or
	// PathLive+"marshal".
	PathLive = "/live/"
)

// Poll is how often the pages fetch a fresh fragment.
const Poll = 2500 * time.Millisecond

// maxSignIns bounds the password checks running at once: each costs a
// third of a second of a core, and the kiosks' pushes must not wait
// behind a flood of guesses.
const maxSignIns = 2

// Handler serves the dashboard.
type Handler struct {
	db      *centralstore.DB
	log     *slog.Logger
	tmpl    *template.Template
	mux     *http.ServeMux
	origin  *http.CrossOriginProtection
	signIns chan struct{}
	// throttle holds back sign-ins by address and by name: a flood of
	// guesses is refused before it takes a password check, so the real
	// organizers' sign-ins do not queue behind it.
	throttle *server.Throttle
	known    knownNames
}

// New returns the dashboard's handler over the central database. It logs
// sign-ins, their failures and the server's own errors to logger (nil:
// slog.Default()), never a password or a session token. Sign-ins are
// throttled on the database's clock.
func New(db *centralstore.DB, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	h := &Handler{db: db, log: logger, mux: http.NewServeMux(), origin: http.NewCrossOriginProtection(),
		signIns: make(chan struct{}, maxSignIns), throttle: server.NewThrottle(func() time.Time { return db.Now() })}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"pollMillis": func() int64 { return Poll.Milliseconds() },
		"sparkW":     func() int { return SparkW },
		"sparkH":     func() int { return SparkH },
		"list":       func(names []string) string { return strings.Join(names, ", ") },
	}).ParseFS(templateFiles, "templates/*.html"))
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded folder is there
	}
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET "+PathLogin, h.loginPage)
	h.mux.HandleFunc("POST "+PathLogin, h.login)
	h.mux.HandleFunc("POST "+PathLogout, h.logout)
	h.mux.HandleFunc("GET /{$}", h.page("dashboard"))
	h.mux.HandleFunc("GET "+PathMarshal, h.page("marshal"))
	h.mux.HandleFunc("GET "+PathLive+"{view}", h.live)
	return h
}

// ServeHTTP sets the headers every answer carries and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Nothing but this server's own files, no inline script, no framing.
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// session returns the signed-in organizer's session, or ok false.
func (h *Handler) session(r *http.Request) (centralstore.WebSession, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return centralstore.WebSession{}, false
	}
	s, err := h.db.Session(r.Context(), c.Value)
	if err != nil {
		if checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			h.log.Error("dashboard session", "err", err)
		}
		return centralstore.WebSession{}, false
	}
	return s, true
}

type loginData struct {
	Name, Error string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.session(r); ok {
		http.Redirect(w, r, PathHome, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "login", loginData{})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if err := h.origin.Check(r); err != nil {
		http.Error(w, "sign-in refused: the form was sent from another site", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, "login", loginData{Error: "The form could not be read; try again."})
		return
	}
	name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
	keys := []string{"address " + server.RemoteHost(r), "name " + name}
	if wait := h.throttle.Attempt(keys...); wait > 0 {
		secs := server.RetryAfter(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		h.render(w, http.StatusTooManyRequests, "login", loginData{Name: name,
			Error: fmt.Sprintf("Too many failed sign-ins from here or for this name: try again in %d s.", secs)})
		return
	}
	select {
	case h.signIns <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	token, err := h.db.SignIn(r.Context(), name, password)
	<-h.signIns
	if err != nil {
		status, msg := http.StatusUnauthorized, "Unknown name or wrong password."
		if checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			h.log.Error("dashboard sign-in", "err", err)
			status, msg = http.StatusInternalServerError, "The server could not sign you in; see its log."
		} else {
			attrs := []any{"name", h.known.shown(name), "remote", r.RemoteAddr}
			if wait := h.throttle.Wait(keys...); wait > 0 {
				attrs = append(attrs, "held_back", wait)
			}
			h.log.Warn("sign-in failed", attrs...)
		}
		h.render(w, status, "login", loginData{Name: name, Error: msg})
		return
	}
	h.throttle.Succeed(keys...)
	h.known.add(name)
	h.log.Info("organizer signed in", "name", name, "remote", r.RemoteAddr)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: int(centralstore.SessionLifetime.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, PathHome, http.StatusSeeOther)
}

// knownNames are the names organizers signed in with here. A failed
// sign-in's name is logged only if it is one of them: what is typed in
// the name field may be a password typed in the wrong place.
type knownNames struct {
	mu    sync.Mutex
	names map[string]bool
}

// maxKnown bounds the names kept: organizers are a handful.
const maxKnown = 1000

func (k *knownNames) add(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil {
		k.names = map[string]bool{}
	}
	if len(k.names) < maxKnown {
		k.names[name] = true
	}
}

// shown is name as a log may show it.
func (k *knownNames) shown(name string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names[name] {
		return name
	}
	return "(withheld: not a name signed in with here)"
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.origin.Check(r); err != nil {
		http.Error(w, "sign-out refused: the form was sent from another site", http.StatusForbidden)
		return
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := h.db.SignOut(r.Context(), c.Value); err != nil {
			h.log.Error("dashboard sign-out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, PathLogin, http.StatusSeeOther)
}

// pageData is a whole page: the view and what the script needs.
type pageData struct {
	*View
	Page string // "dashboard" or "marshal"
	Err  string // the view could not be built
}

// page serves a whole page, or 303 to the sign-in form.
func (h *Handler) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.session(r)
		if !ok {
			http.Redirect(w, r, PathLogin, http.StatusSeeOther)
			return
		}
		h.render(w, http.StatusOK, name, h.data(r, name, s.Organizer))
	}
}

// live serves the fragment a page polls, or 401.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("view")
	if name != "dashboard" && name != "marshal" {
		http.NotFound(w, r)
		return
	}
	s, ok := h.session(r)
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	h.render(w, http.StatusOK, name+"-live", h.data(r, name, s.Organizer))
}

func (h *Handler) data(r *http.Request, page, organizer string) pageData {
	v, err := BuildView(r.Context(), h.db, organizer, page == "dashboard")
	d := pageData{View: v, Page: page}
	if err != nil {
		d.View = &View{Organizer: organizer, Updated: h.db.Now().Local()}
		d.Err = "The center's data could not be read."
		if checkin.ErrorCode(err) == checkin.ENOTFOUND {
			d.Err = "No event yet: run usher-central import."
		} else {
			h.log.Error("dashboard view", "organizer", organizer, "err", err)
		}
	}
	return d
}

// render executes a template into a buffer first, so a failure half-way
// sends an error rather than half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("dashboard template", "template", name, "err", err)
		http.Error(w, "the page could not be made; see the server's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes()) // an error here is a browser gone away
}
