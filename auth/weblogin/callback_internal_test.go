package weblogin

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth"
)

// The loopback server listens on 127.0.0.1 only, so another machine cannot
// reach it; the handler refuses one anyway (a proxy on this machine, say).
func TestCallbackFromAnotherAddressIsRefused(t *testing.T) {
	w := &WebLogin{}
	w.SetPageText(func(k auth.MessageKey) string { return "text of " + string(k) })
	cb := &callbackServer{w: w, path: "/callback", host: "127.0.0.1:53682", state: "s", answers: make(chan callback, 1), outcome: make(chan auth.MessageKey, 1), delivered: make(chan struct{})}
	w.log = slog.New(slog.DiscardHandler)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:53682/callback?state=s&code=c", nil)
	req.RemoteAddr = "192.0.2.7:40000"
	rec := httptest.NewRecorder()
	cb.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "auth.web_not_local") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
	select {
	case a := <-cb.answers:
		t.Errorf("the kiosk took the answer %+v", a)
	default:
	}
	// The same answer from this machine is taken, and its page says what
	// the kiosk made of it.
	req.RemoteAddr = "127.0.0.1:40000"
	rec = httptest.NewRecorder()
	cb.finish(nil)
	cb.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || (<-cb.answers).code != "c" || !strings.Contains(rec.Body.String(), "auth.web_return") {
		t.Errorf("from loopback: %d %s", rec.Code, rec.Body.String())
	}
}
