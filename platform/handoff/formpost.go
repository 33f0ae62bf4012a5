package handoff

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/webpage"
	"github.com/workshop-login/workshop-login/platform/browser"
)

// PageLifetime is how long a hand-off page may be opened after it is made.
const PageLifetime = 60 * time.Second

// FormPost hands a session to the repair portal the way OAuth's form_post
// response mode does: the browser is sent to a page on 127.0.0.1 that posts
// the access token and UIDs to the portal's hand-off address. The secret
// travels in a POST body, never in an address, so it is not in the browser's
// history, a proxy's log or a Referer header.
//
// The browser is not given the 127.0.0.1 page's address: whatever starts it
// (xdg-open, open, rundll32) has that on its command line, which every local
// user can read in /proc/PID/cmdline, and whoever opened a one-time address
// first would get the token. Instead each hand-off writes a launcher: a small
// HTML file, readable only by its owner (0600, in a fresh 0700 folder under
// $XDG_RUNTIME_DIR or the temporary folder), which posts 128 random bits to
// http://127.0.0.1:port/handoff and is opened as a file:// address. Only the
// file's path is on a command line, and another user cannot read the file.
// The listener hands the session over only for a POST carrying those bits:
// once, within PageLifetime, on its own Host name. A GET of its address, or a
// POST without the bits, gets a page saying to use the kiosk's button.
//
// The launcher's policy lets its form go only to the listener's origin, and
// the listener's page's policy only to the portal's. The launcher is deleted
// when the listener is reached, after PageLifetime, and at sign-out.
type FormPost struct {
	target *url.URL
	log    *slog.Logger
	now    func() time.Time
	dir    string        // where launchers go; "" is the person's runtime folder
	linger time.Duration // how long an unopened launcher stays; 0 is PageLifetime

	mu     sync.Mutex
	origin string // http://127.0.0.1:port once listening
	server *http.Server
	pages  map[string]handoffPage // by the launcher's secret
}

type handoffPage struct {
	fields   []formField
	expires  time.Time
	launcher *browser.Launcher // removed with the page
}

type formField struct{ Name, Value string }

// NewFormPost prepares hand-offs to target. It listens only once the first
// page is made.
func NewFormPost(target *url.URL, log *slog.Logger) *FormPost {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FormPost{target: target, log: log, now: time.Now, pages: map[string]handoffPage{}}
}

// Page makes a one-time hand-off for the session and returns the launcher's
// file:// address, the one thing the browser is to be given. Its path may be
// on a command line: the file is readable only by its owner.
func (f *FormPost) Page(s *auth.Session) (*url.URL, error) {
	if s == nil {
		return nil, errors.New("nobody is signed in")
	}
	if err := f.listen(); err != nil {
		return nil, err
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(random[:])
	f.mu.Lock()
	origin := f.origin
	f.mu.Unlock()
	launcher, err := writeLauncher(f.dir, origin, secret)
	if err != nil {
		return nil, fmt.Errorf("writing the repair portal launcher: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for k, p := range f.pages { // an unopened page must not wait for the next person
		if !now.Before(p.expires) {
			f.dropLocked(k)
		}
	}
	f.pages[secret] = handoffPage{fields: portalFields(s), expires: now.Add(PageLifetime), launcher: launcher}
	linger := f.linger
	if linger <= 0 {
		linger = PageLifetime
	}
	time.AfterFunc(linger, func() { f.drop(secret) })
	return url.Parse(launcher.URL())
}

// Forget drops every page not yet opened, and its launcher: at sign-out,
// nothing of the last person may still be handed over.
func (f *FormPost) Forget() {
	f.mu.Lock()
	for k := range f.pages {
		f.dropLocked(k)
	}
	f.mu.Unlock()
}

// Close stops the listener.
func (f *FormPost) Close() error {
	f.mu.Lock()
	srv := f.server
	f.server, f.origin = nil, ""
	for k := range f.pages {
		f.dropLocked(k)
	}
	f.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// discard drops the page whose launcher is at u: the browser could not be
// started.
func (f *FormPost) discard(u *url.URL) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, p := range f.pages {
		if p.launcher != nil && p.launcher.URL() == u.String() {
			f.dropLocked(k)
		}
	}
}

// drop forgets the page for secret, if it is still there, and deletes its
// launcher.
func (f *FormPost) drop(secret string) {
	f.mu.Lock()
	f.dropLocked(secret)
	f.mu.Unlock()
}

func (f *FormPost) dropLocked(secret string) {
	if p, ok := f.pages[secret]; ok {
		p.launcher.Remove()
		delete(f.pages, secret)
	}
}

func (f *FormPost) listen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.server != nil {
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("opening the hand-off page on this machine: %w", err)
	}
	f.origin = "http://" + ln.Addr().String()
	f.server = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go f.server.Serve(ln)
	return nil
}

// take removes the page and its launcher, and returns the page if it may
// still be opened.
func (f *FormPost) take(secret string) (handoffPage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pages[secret]
	f.dropLocked(secret)
	return p, ok && f.now().Before(p.expires)
}

// secretField is the launcher's form field carrying the page's secret.
const secretField = "handoff"

func (f *FormPost) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	webpage.Secure(h)
	// Another name for 127.0.0.1 (DNS rebinding) is not this page.
	if r.Host != strings.TrimPrefix(f.origin, "http://") || r.URL.Path != "/handoff" {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	notHere := func(status int, page *template.Template) {
		w.WriteHeader(status)
		page.Execute(w, nil)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != f.origin {
		// A page elsewhere posting a secret it learnt. The launcher is a
		// file, whose origin browsers send as "null".
		f.log.Warn("repair portal hand-off refused: posted from another site", "origin", o)
		notHere(http.StatusForbidden, kioskOnlyTemplate)
		return
	}
	if r.Method != http.MethodPost {
		// The address alone, read from wherever, hands nothing over.
		h.Set("Allow", http.MethodPost)
		notHere(http.StatusMethodNotAllowed, kioskOnlyTemplate)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	secret := ""
	if err := r.ParseForm(); err == nil {
		secret = r.PostForm.Get(secretField)
	}
	p, ok := f.take(secret)
	if !ok {
		f.log.Warn("repair portal hand-off page refused: used, expired or unknown")
		notHere(http.StatusGone, goneTemplate)
		return
	}
	webpage.SecureForm(h, submitScriptHash, f.target.Scheme+"://"+f.target.Host)
	if err := postTemplate.Execute(w, struct {
		Action string
		Fields []formField
		Script template.JS
	}{f.target.String(), p.fields, submitScript}); err != nil {
		f.log.Warn("writing the repair portal hand-off page", "error", err)
	}
	f.log.Info("repair portal hand-off page opened", "portal", f.target.Host)
}

// portalFields are the form fields the portal receives: on a relay the
// signed assertion, else the access token and its type; then the
// identity's fields (auth.Identity.Fields, named as a tool's JSON names
// them; on a relay for display only) and, when known, when the session
// ends.
func portalFields(s *auth.Session) []formField {
	fields := []formField{{"access_token", s.AccessToken.Reveal()}, {"token_type", "Bearer"}}
	if signed := s.Assertion.Reveal(); signed != "" {
		fields = []formField{{"assertion", signed}}
	}
	for _, f := range s.Identity.Fields() {
		fields = append(fields, formField{f.Name, f.Value})
	}
	if !s.ExpiresAt.IsZero() {
		fields = append(fields, formField{"expires_at", s.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	if s.Manufacturer != "" { // a kiosk of several: whose session this is
		fields = append(fields, formField{"manufacturer", s.Manufacturer})
	}
	return fields
}

const submitScript = `document.forms[0].submit();`

// submitScriptHash lets the page's own script run and nothing else.
var submitScriptHash = webpage.ScriptHash(submitScript)

var postTemplate = template.Must(template.New("post").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Opening the repair portal</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<p>Opening the repair portal…</p>
<noscript><button type="submit" style="font-size:1.2em">Continue to the repair portal</button></noscript>
</form>
<script>{{.Script}}</script>
</body></html>
`))

var kioskOnlyTemplate = template.Must(template.New("kiosk-only").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Repair portal hand-off</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<h1>This page opens only from the kiosk</h1>
<p>Go back to the kiosk and press the repair portal button.</p>
</body></html>
`))

var goneTemplate = template.Must(template.New("gone").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Hand-off already used</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<h1>This page has already been used or has expired</h1>
<p>For your safety it works once, within a minute. Go back to the kiosk and press the repair portal button again.</p>
</body></html>
`))
