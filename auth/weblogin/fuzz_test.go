package weblogin

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

const fuzzState = "st4te-0f-this-sign-in"

var dataMessage = regexp.MustCompile(`data-message="([a-z_.]+)"`)

// FuzzCallbackServer sends the web login's loopback callback any query from
// any address, twice, as a browser, a stale tab or another program may. It
// must answer a page, never take an answer with a wrong state or from
// another machine, take at most one, and never block.
func FuzzCallbackServer(f *testing.F) {
	for _, seed := range [][3]string{
		{"/callback", "state=" + fuzzState + "&code=c0de", "127.0.0.1:40000"},
		{"/callback", "state=" + fuzzState + "&error=access_denied&error_description=authorisation_revoked", "[::1]:40000"},
		{"/callback", "state=" + fuzzState + "&code=", "127.0.0.1:40000"},
		{"/callback", "state=other&code=c0de", "127.0.0.1:40000"},
		{"/callback", "code=c0de", "127.0.0.1:40000"},
		{"/callback", "state=" + fuzzState + "&code=c0de", "192.0.2.7:40000"},
		{"/callback", "state=" + fuzzState + "&code=c0de", "127.0.0.1"},
		{"/callback", "state=" + fuzzState + "&code=c0de", "::ffff:127.0.0.1:1"},
		{"/callback/", "state=" + fuzzState + "&code=c0de", "127.0.0.1:40000"},
		{"/callback", "state=%zz&state=" + fuzzState + "&code=c0de;x=1", "127.0.0.1:40000"},
		{"/callback", "state=" + fuzzState + "&state=other&code=a&code=b", "127.0.0.1:40000"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	w := &WebLogin{log: slog.New(slog.DiscardHandler)}
	w.SetPageText(func(k auth.MessageKey) string { return "text of " + string(k) })
	f.Fuzz(func(t *testing.T, path, rawQuery, remoteAddr string) {
		cb := &callbackServer{w: w, path: "/callback", host: "127.0.0.1:53682", state: fuzzState, answers: make(chan callback, 1), outcome: make(chan auth.MessageKey, 1), delivered: make(chan struct{})}
		cb.outcome <- auth.MsgWebReturn // the kiosk already knows: the page never waits
		q, _ := url.ParseQuery(rawQuery)
		host, _, _ := net.SplitHostPort(remoteAddr)
		ip := net.ParseIP(host)
		acceptable := path == "/callback" && ip != nil && ip.IsLoopback() && q.Get("state") == fuzzState &&
			(q.Get("error") != "" || q.Get("code") != "")
		for try := 0; try < 2; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			req := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path, RawQuery: rawQuery}, Host: "127.0.0.1:53682",
				Header: http.Header{}, RemoteAddr: remoteAddr}).WithContext(ctx)
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() { defer close(done); cb.ServeHTTP(rec, req) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatalf("try %d: %q ?%q from %q blocks", try, path, rawQuery, remoteAddr)
			}
			cancel()
			var took *callback
			select {
			case a := <-cb.answers:
				took = &a
			default:
			}
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
			default:
				t.Fatalf("answered %d", rec.Code)
			}
			if want := acceptable && try == 0; (took != nil) != want {
				t.Fatalf("try %d: %q ?%q from %q: answer taken %+v, want one %v", try, path, rawQuery, remoteAddr, took, want)
			}
			if took != nil {
				if rec.Code != http.StatusOK || took.code != q.Get("code") && took.err == "" || took.err != q.Get("error") {
					t.Fatalf("took %+v from %q with status %d", *took, rawQuery, rec.Code)
				}
			} else if rec.Code == http.StatusOK {
				t.Fatalf("try %d: %q answered 200 without taking the answer", try, rawQuery)
			}
			// Every page says one message of the catalogue.
			if path == "/callback" {
				if m := dataMessage.FindStringSubmatch(rec.Body.String()); m == nil || w.text(auth.MessageKey(m[1])) == "" {
					t.Fatalf("page without a message: %s", rec.Body.String())
				}
			}
		}
	})
}
