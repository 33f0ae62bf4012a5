package handoff

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// PageLifetime is how long a hand-off page may be opened after it is made.
const PageLifetime = 60 * time.Second

// FormPost hands a session to the repair portal the way OAuth's form_post
// response mode does: the browser is sent to a page on 127.0.0.1 that posts
// the access token and UIDs to the portal's hand-off address. The secret
// travels in a POST body, never in an address, so it is not in the browser's
// history, a proxy's log or a Referer header.
//
// Each page's address carries 128 random bits, answers once, and expires
// after PageLifetime. Only this machine can reach the listener.
type FormPost struct {
	target *url.URL
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	origin string // http://127.0.0.1:port once listening
	server *http.Server
	pages  map[string]handoffPage
}

type handoffPage struct {
	fields  []formField
	expires time.Time
}

type formField struct{ Name, Value string }

// NewFormPost prepares hand-offs to target. It listens only once the first
// page is made.
func NewFormPost(target *url.URL, log *slog.Logger) *FormPost {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &FormPost{target: target, log: log, now: time.Now, pages: map[string]handoffPage{}}
}

// Page makes a one-time page for the session and returns its address.
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
	id := base64.RawURLEncoding.EncodeToString(random[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for k, p := range f.pages { // an unopened page must not wait for the next person
		if !now.Before(p.expires) {
			delete(f.pages, k)
		}
	}
	f.pages[id] = handoffPage{fields: portalFields(s), expires: now.Add(PageLifetime)}
	return url.Parse(f.origin + "/handoff/" + id)
}

// Forget drops every page not yet opened: at sign-out, nothing of the last
// person may still be handed over.
func (f *FormPost) Forget() {
	f.mu.Lock()
	clear(f.pages)
	f.mu.Unlock()
}

// Close stops the listener.
func (f *FormPost) Close() error {
	f.mu.Lock()
	srv := f.server
	f.server, f.origin = nil, ""
	clear(f.pages)
	f.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
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

// take removes the page and returns it if it may still be opened.
func (f *FormPost) take(id string) (handoffPage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pages[id]
	delete(f.pages, id)
	return p, ok && f.now().Before(p.expires)
}

func (f *FormPost) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// Another name for 127.0.0.1 (DNS rebinding) is not this page.
	if r.Host != strings.TrimPrefix(f.origin, "http://") {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/handoff/")
	if !ok || r.Method != http.MethodGet {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	p, ok := f.take(id)
	if !ok {
		f.log.Warn("repair portal hand-off page refused: used, expired or unknown")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusGone)
		goneTemplate.Execute(w, nil)
		return
	}
	h.Set("Content-Security-Policy", fmt.Sprintf("default-src 'none'; style-src 'unsafe-inline'; script-src '%s'; form-action %s",
		submitScriptHash, f.target.Scheme+"://"+f.target.Host))
	h.Set("Content-Type", "text/html; charset=utf-8")
	if err := postTemplate.Execute(w, struct {
		Action string
		Fields []formField
		Script template.JS
	}{f.target.String(), p.fields, submitScript}); err != nil {
		f.log.Warn("writing the repair portal hand-off page", "error", err)
	}
	f.log.Info("repair portal hand-off page opened", "portal", f.target.Host)
}

// portalFields are the form fields the portal receives: the names of the
// identity document a tool reads, with the access token.
func portalFields(s *auth.Session) []formField {
	d := newIdentityDocument(s, true)
	fields := []formField{
		{"access_token", d.AccessToken},
		{"token_type", "Bearer"},
		{"sub", d.Sub},
		{"role", string(d.Role)},
		{"cabuid", d.CABUID},
		{"iouid", d.IOUID},
		{"ioeuid", d.IOEUID},
		{"authorisation_uid", d.AuthorisationUID},
	}
	if d.RSSUID != "" {
		fields = append(fields, formField{"rssuid", d.RSSUID}, formField{"rsseuid", d.RSSEUID})
	}
	if !d.ExpiresAt.IsZero() {
		fields = append(fields, formField{"expires_at", d.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	return fields
}

const submitScript = `document.forms[0].submit();`

// submitScriptHash lets the page's own script run and nothing else.
var submitScriptHash = func() string {
	sum := sha256.Sum256([]byte(submitScript))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

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

var goneTemplate = template.Must(template.New("gone").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Hand-off already used</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<h1>This page has already been used or has expired</h1>
<p>For your safety it works once, within a minute. Go back to the kiosk and press the repair portal button again.</p>
</body></html>
`))
