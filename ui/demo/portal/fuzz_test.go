package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPortalRequests sends the portal one request of any method, query,
// content type and body, with no relay to check against: whatever comes,
// it answers with a page and welcomes nobody. The seeds were the
// simulator's while it served the portal; `make fuzz` explores further.
func FuzzPortalRequests(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	for _, seed := range []struct{ method, query, contentType, body string }{
		{"GET", "", "", ""},
		{"POST", "", form, "assertion=eyJhbGciOiJFUzI1NiJ9.e30.c2ln&iouid=GARAGE+JANSEN%2FX%2FY"},
		{"POST", "", form, "access_token=a-code&token_type=Bearer"},
		{"POST", "relay=1", form, "assertion=x"},
		{"POST", "relay=-1", "multipart/form-data; boundary=X", "--X\r\n"},
		{"PUT", "", "", ""},
	} {
		f.Add(seed.method, seed.query, seed.contentType, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, query, contentType, body string) {
		p, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+Path+"?"+query, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if strings.Contains(w.Body.String(), "Welcome,") {
			t.Fatalf("welcomed someone without a relay: HTTP %d\n%s", w.Code, w.Body)
		}
		if w.Code >= 500 && w.Code != http.StatusBadGateway && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("HTTP %d", w.Code)
		}
	})
}
