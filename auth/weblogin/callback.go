package weblogin

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/webpage"
)

// callback is what the browser brought back.
type callback struct{ code, err, description string }

// callbackServer is the loopback redirect target of one sign-in.
type callbackServer struct {
	w           *WebLogin
	redirectURI string
	host        string // the Host header of a request to us: host:port as in redirectURI
	path        string
	state       string
	// origins may send the callback: the provider (a redirect after its
	// form's POST may carry its Origin) besides ourselves.
	origins []string
	answers chan callback
	// outcome is what the browser's page says once the kiosk knows: signed
	// in, or why not. The page waits for it a while (pageWait).
	outcome chan auth.MessageKey
	// delivered is closed once the page of the answer taken is written.
	delivered chan struct{}
	// launchPath is where the kiosk's launcher posts (see BrowserStart);
	// launched is closed once it has.
	launchPath string
	launched   chan struct{}

	mu   sync.Mutex
	used bool
	// The launcher's secret, the cookie it gives the browser, and whether
	// the callback requires it (not for a printed address).
	address, launchSecret, bind string
	bound                       bool
}

// listen starts the loopback server before anything is sent, so the
// browser can never come back to a port nobody listens on. It stops when
// ctx ends.
func (w *WebLogin) listen(ctx context.Context) (*callbackServer, error) {
	host, path := "127.0.0.1:0", "/callback"
	if w.settings.RedirectURI != "" {
		u, _ := url.Parse(w.settings.RedirectURI) // checked by ValidateWeb
		host, path = u.Host, u.Path
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "0")
		}
		if path == "" {
			path = "/"
		}
	}
	var ln net.Listener
	var err error
	for try := 0; try < 10; try++ { // the previous sign-in may still be letting go of a fixed port
		if ln, err = net.Listen("tcp", host); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // the operating system's time, not the flow's clock
	}
	if err != nil {
		return nil, auth.NewError(auth.MsgFailed, err, "listening for the browser's return on %s", host)
	}
	cb := &callbackServer{w: w, path: path, answers: make(chan callback, 1), outcome: make(chan auth.MessageKey, 1), delivered: make(chan struct{}),
		launchPath: launchPathFor(path), launched: make(chan struct{}),
		host: ln.Addr().String(), redirectURI: (&url.URL{Scheme: "http", Host: ln.Addr().String(), Path: path}).String()}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		// Gracefully: the browser's page may still be saying how it ended.
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shutdownCtx) != nil {
			srv.Close()
		}
	}()
	return cb, nil
}

func (cb *callbackServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cb.path && r.URL.Path != cb.launchPath {
		http.NotFound(rw, r)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		cb.w.log.Warn("web sign-in: a callback from another machine was refused", "from", host)
		cb.page(rw, http.StatusForbidden, auth.MsgWebNotLocal)
		return
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if r.URL.Path == cb.launchPath {
		cb.launch(rw, r)
		return
	}
	if why := cb.foreign(r); why != "" {
		cb.w.log.Warn("web sign-in: a callback through another site was refused", "why", why)
		cb.page(rw, http.StatusForbidden, auth.MsgWebOtherBrowser)
		return
	}
	if !cb.fromOwnBrowser(r) {
		// Someone else's browser with this sign-in's request (read where
		// it should not have been): the kiosk's browser may still answer.
		cb.w.log.Warn("web sign-in: an answer from a browser the kiosk did not start was refused")
		cb.page(rw, http.StatusForbidden, auth.MsgWebOtherBrowser)
		return
	}
	q := r.URL.Query()
	switch {
	case cb.used:
		cb.w.log.Warn("web sign-in: a replayed callback was refused")
		cb.page(rw, http.StatusBadRequest, auth.MsgWebReplayed)
	case cb.state == "" || q.Get("state") != cb.state:
		// Not ours (cross-site request forgery, or an old tab): ignored,
		// and the sign-in goes on waiting for its own answer.
		cb.w.log.Warn("web sign-in: a callback with the wrong state was ignored")
		cb.page(rw, http.StatusBadRequest, auth.MsgWebWrongState)
	case q.Get("error") != "":
		cb.used = true
		cb.answers <- callback{err: q.Get("error"), description: q.Get("error_description")}
		cb.page(rw, http.StatusOK, auth.MsgWebRefusedTab)
		close(cb.delivered)
	case q.Get("code") == "":
		cb.page(rw, http.StatusBadRequest, auth.MsgWebWrongState)
	default:
		cb.used = true
		cb.answers <- callback{code: q.Get("code")}
		cb.mu.Unlock()
		key := cb.wait(r.Context())
		cb.mu.Lock()
		cb.page(rw, http.StatusOK, key)
		close(cb.delivered)
	}
}

// foreign says why r did not come straight from a browser to us, or "":
// another name for 127.0.0.1 (DNS rebinding: a site's script reaching us
// under its own name), or a site's page sending its visitor here. A
// browser following the provider's redirect sends no Origin (a GET), or
// the provider's. The caller holds mu.
func (cb *callbackServer) foreign(r *http.Request) string {
	if r.Host != cb.host {
		return "Host " + r.Host
	}
	o, ok := r.Header["Origin"]
	if !ok || len(o) == 1 && (o[0] == "http://"+cb.host || slices.Contains(cb.origins, o[0])) {
		return ""
	}
	return "Origin " + strings.Join(o, ", ")
}

// originOf is the origin (scheme://host[:port]) of an address, or "".
func originOf(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host
}

// pageWait is how long the browser's page waits for the kiosk to finish
// before it says to return there; real time, as it is the browser's wait.
const pageWait = 20 * time.Second

// wait returns what the page should say: the outcome, or "finishing".
func (cb *callbackServer) wait(ctx context.Context) auth.MessageKey {
	t := time.NewTimer(pageWait)
	defer t.Stop()
	select {
	case key := <-cb.outcome:
		return key
	case <-t.C:
	case <-ctx.Done():
	}
	return auth.MsgWebFinishing
}

// deliverWait bounds how long the sign-in's end waits for its page to be
// written (once the outcome is known, a moment); real time, the browser's.
const deliverWait = 5 * time.Second

// settle tells the browser's page how the sign-in ended and waits until that
// page is written: what follows the sign-in's end may be the program's exit
// (`login --web --terminal`), which would cut the page off and leave the
// person in the browser with an error.
func (cb *callbackServer) settle(err error) {
	cb.finish(err)
	cb.mu.Lock()
	used := cb.used
	cb.mu.Unlock()
	if !used {
		return
	}
	t := time.NewTimer(deliverWait)
	defer t.Stop()
	select {
	case <-cb.delivered:
	case <-t.C:
	}
}

// finish tells a waiting page how the sign-in ended.
func (cb *callbackServer) finish(err error) {
	key := auth.MsgWebReturn
	switch {
	case err == nil:
	case auth.KeyOf(err) == auth.MsgRefused:
		key = auth.MsgWebRefusedTab
	case errors.Is(err, context.Canceled):
		key = auth.MsgWebFinishing
	default:
		key = auth.KeyOf(err)
	}
	select {
	case cb.outcome <- key:
	default:
	}
}

func (cb *callbackServer) page(rw http.ResponseWriter, status int, key auth.MessageKey) {
	h := rw.Header()
	webpage.Secure(h)
	// Whole, with its length, and sent now: a page taken as delivered
	// (settle) must be on its way, not in a buffer.
	var body bytes.Buffer
	callbackPage.Execute(&body, struct{ Text, Key string }{cb.w.text(key), string(key)})
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	rw.WriteHeader(status)
	rw.Write(body.Bytes())
	if f, ok := rw.(http.Flusher); ok {
		f.Flush()
	}
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Workshop Login</title></head>
<body style="font-family:sans-serif;font-size:1.5em;margin:3em;max-width:36em" data-message="{{.Key}}">
<h1>Workshop Login</h1>
<p>{{.Text}}</p>
</body></html>
`))
