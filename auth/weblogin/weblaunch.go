package weblogin

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"strings"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/webpage"
)

// BrowserStart is what the web login's open function gets: the
// authorisation address, and the way to hand it to a browser without
// putting it on a command line, which every local user can read
// (/proc/PID/cmdline). Whoever knows the address can sign in at the
// provider as themselves and send the answer to the kiosk's callback; so a
// kiosk gives its browser a launcher that only the kiosk's user can read,
// which posts LaunchSecret as LaunchField to LaunchURL. That answer gives
// the browser a cookie the callback then requires, and a page that goes on
// to Address. A browser that did not come through the launcher is refused.
type BrowserStart struct {
	// Address is the authorisation request: for a person to open
	// (`login --web --terminal` prints it), never for a command line.
	Address string
	// LaunchURL, LaunchField and LaunchSecret are the launcher's form:
	// empty when the address is printed (WithPrintedAddress).
	LaunchURL, LaunchField, LaunchSecret string
	// Text is what the launcher says while it opens the sign-in, in the
	// kiosk's language.
	Text string
	// Launched is closed once a browser has come through the launcher:
	// it may then be deleted.
	Launched <-chan struct{}
}

// launchField is the launcher's form field.
const launchField = "launch"

// prepareLaunch makes this sign-in's launcher secret and browser binding,
// unless the address is printed, and returns what the open function gets.
func (cb *callbackServer) prepareLaunch(address string, printed bool) BrowserStart {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.address, cb.bound = address, !printed
	start := BrowserStart{Address: address, Launched: cb.launched, Text: cb.w.text(auth.MsgWebOpening)}
	if printed {
		return start
	}
	cb.launchSecret, cb.bind = randomToken(), randomToken()
	start.LaunchURL = "http://" + cb.host + cb.launchPath
	start.LaunchField, start.LaunchSecret = launchField, cb.launchSecret
	return start
}

// cookieName is the binding cookie's: one per port, as browsers share
// 127.0.0.1's cookies between ports.
func (cb *callbackServer) cookieName() string {
	return "workshop_login_" + strings.NewReplacer(".", "_", ":", "_", "[", "", "]", "").Replace(cb.host)
}

// launch answers the launcher's POST: the binding cookie and a page that
// goes on to the authorisation address. The caller holds mu.
func (cb *callbackServer) launch(rw http.ResponseWriter, r *http.Request) {
	webpage.Secure(rw.Header())
	// The launcher is a file, whose origin browsers send as "null".
	o, hasOrigin := r.Header["Origin"]
	foreignOrigin := hasOrigin && (len(o) != 1 || o[0] != "null" && o[0] != "http://"+cb.host)
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	secret := ""
	if r.Method == http.MethodPost && r.ParseForm() == nil {
		secret = r.PostForm.Get(launchField)
	}
	if r.Host != cb.host || foreignOrigin || cb.launchSecret == "" || cb.used ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(cb.launchSecret)) != 1 {
		cb.w.log.Warn("web sign-in: a start without the kiosk's launcher was refused")
		cb.page(rw, http.StatusForbidden, auth.MsgWebOtherBrowser)
		return
	}
	// Lax: sent on the provider's redirect back to us, a top-level GET.
	http.SetCookie(rw, &http.Cookie{Name: cb.cookieName(), Value: cb.bind, Path: cb.path, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	select {
	case <-cb.launched:
	default:
		close(cb.launched)
	}
	// A page that goes on, not a redirect: the launcher's policy lets its
	// form reach us alone, and browsers apply that to a redirect too.
	onwardPage.Execute(rw, struct{ Address, Text string }{cb.address, cb.w.text(auth.MsgWebOpening)})
}

var onwardPage = template.Must(template.New("onward").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={{.Address}}">
<meta name="referrer" content="no-referrer"><title>Workshop Login</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em"><p><a href="{{.Address}}">{{.Text}}</a></p></body></html>
`))

// fromOwnBrowser says whether r comes from the browser the launcher
// started, or nothing binds the answer to one (a printed address). The
// caller holds mu.
func (cb *callbackServer) fromOwnBrowser(r *http.Request) bool {
	if !cb.bound {
		return true
	}
	c, err := r.Cookie(cb.cookieName())
	return err == nil && cb.bind != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(cb.bind)) == 1
}

// launchPathFor is where the launcher posts: never the callback's path.
func launchPathFor(callbackPath string) string {
	if callbackPath == "/launch" {
		return "/launch-browser"
	}
	return "/launch"
}
