package handoff

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

const (
	fuzzOrigin = "127.0.0.1:41234"
	fuzzPageID = "q2VtbWFudC1wYWdlLWlk"
	fuzzToken  = "AT-handoff-fuzz-0123456789"
)

func fuzzSession(tb testing.TB) *auth.Session {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN & ZN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		tb.Fatal(err)
	}
	return &auth.Session{Identity: id, AccessToken: fuzzToken, IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
}

// FuzzHandoffPage sends the hand-off listener requests of any method, host,
// path and body, as anything on this machine (or a page rebinding a name to
// 127.0.0.1) can. Only a POST to its own address, on its own host, whose
// form carries the launcher's secret gets the token, and only once; the
// address alone (GET, another body) never does.
func FuzzHandoffPage(f *testing.F) {
	own := "handoff=" + fuzzPageID
	for _, seed := range [][4]string{
		{"POST", fuzzOrigin, "/handoff", own},
		{"GET", fuzzOrigin, "/handoff", ""},
		{"GET", fuzzOrigin, "/handoff/" + fuzzPageID, ""},
		{"GET", "localhost:41234", "/handoff", own},
		{"POST", "attacker.example", "/handoff", own},
		{"POST", fuzzOrigin, "/handoff/" + fuzzPageID, own},
		{"HEAD", fuzzOrigin, "/handoff", own},
		{"POST", fuzzOrigin, "/handoff/", own},
		{"POST", fuzzOrigin, "/handoff/../handoff", own},
		{"post", fuzzOrigin, "/handoff", own},
		{"POST", fuzzOrigin, "/handoff", "handoff=" + fuzzPageID + "x"},
		{"POST", fuzzOrigin, "/handoff", "handoff=&handoff=" + fuzzPageID},
		{"POST", fuzzOrigin, "/handoff", own + ";x=1"},
		{"POST", fuzzOrigin, "/handoff", "handoff=%zz" + fuzzPageID},
		{"GET", "", "", ""},
		{"\x00", fuzzOrigin + "\r\n", "/handoff\xff", "\xff"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	target, _ := url.Parse("https://rmi.example-vm.com/sermi/handoff")
	session := fuzzSession(f)
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, method, host, path, body string) {
		fp := NewFormPost(target, log)
		fp.origin = "http://" + fuzzOrigin
		fp.pages[fuzzPageID] = handoffPage{fields: portalFields(session), expires: time.Now().Add(PageLifetime)}
		form, err := url.ParseQuery(body)
		ours := method == http.MethodPost && host == fuzzOrigin && path == "/handoff" &&
			len(body) <= 4<<10 && err == nil && form.Get("handoff") == fuzzPageID
		for try := 0; try < 2; try++ {
			req := &http.Request{Method: method, Host: host, URL: &url.URL{Path: path},
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:50000"}
			rec := httptest.NewRecorder()
			fp.serve(rec, req)
			page := rec.Body.String()
			switch rec.Code {
			case http.StatusOK, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
			default:
				t.Fatalf("%q %q %q answered %d", method, host, path, rec.Code)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Frame-Options") != "DENY" {
				t.Fatalf("answered without its safety headers: %v", rec.Header())
			}
			gotToken := strings.Contains(page, fuzzToken)
			if gotToken != (rec.Code == http.StatusOK) {
				t.Fatalf("status %d, token in page %v", rec.Code, gotToken)
			}
			if want := ours && try == 0; gotToken != want {
				t.Fatalf("try %d of %q %q %q %q: token handed over %v, want %v", try, method, host, path, body, gotToken, want)
			}
			if gotToken && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "form-action https://rmi.example-vm.com") {
				t.Fatalf("page may post elsewhere: %v", rec.Header())
			}
		}
		// A request tried and refused does not use up the page.
		if !ours {
			if _, ok := fp.take(fuzzPageID); !ok {
				t.Fatalf("%q %q %q %q used up the page", method, host, path, body)
			}
		}
	})
}
