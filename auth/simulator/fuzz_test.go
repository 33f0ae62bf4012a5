package simulator

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

// FuzzSimulatorRequests sends the simulator's handler one request of any
// method, path, query, content type, Authorization and body, with a code in
// a known state: {code} and {qr} in the request stand for its authorisation
// code and the id in its QR address. State 0 leaves the code pending, 1
// approves it, 2 denies it.
func FuzzSimulatorRequests(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(DefaultClientID+":"+DefaultClientSecret))
	post := url.Values{"grant_type": {"authorization_code"}, "code": {"{code}"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}}.Encode()
	scopeQuery := url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "scope": {"openid sermi " + DefaultProductScope}}.Encode()
	for _, seed := range []struct {
		state                                        uint8
		method, path, query, contentType, auth, body string
	}{
		{1, "POST", "/oauth2/token", "", form, basic, "grant_type=authorization_code&code={code}"},
		{1, "POST", "/oauth2/token.json", "", form, "", post},
		{0, "POST", "/oauth2/token", "", form, basic, "grant_type=authorization_code&code={code}"},
		{2, "POST", "/oauth2/token", "", form, basic, "grant_type=authorization_code&code={code}"},
		{1, "POST", "/oauth2/token", "", form, "Basic " + base64.StdEncoding.EncodeToString([]byte("workshop-login-simulator:wrong")), "grant_type=authorization_code&code={code}"},
		{1, "POST", "/oauth2/token", "", "multipart/form-data; boundary=X", basic, "--X\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nauthorization_code\r\n--X\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n{code}\r\n--X--\r\n"},
		{1, "POST", "/oauth2/token", "", "multipart/form-data", basic, "--X\r\n"},
		{1, "GET", "/oauth2/token", "grant_type=authorization_code&code={code}", "", basic, ""},
		{1, "POST", "/oauth2/token", "code={code}", form, basic, "grant_type=authorization_code&code=%zz"},
		{0, "GET", "/oauth2/authorize.json", scopeQuery, "", "", ""},
		{0, "POST", "/oauth2/authorize.json", "", form, "", scopeQuery},
		{0, "POST", "/oauth2/authorize.json", "", form, "", "client_id=" + DefaultClientID + "&response_type=code&scope=openid;sermi"},
		{0, "GET", "/sim/faults", "", "", "", ""},
		{0, "POST", "/sim/faults", "", "application/json", "", `{"server_errors":1,"only":"token","latency_ms":-5}`},
		{0, "POST", "/sim/faults", "", "application/json", "", `{"lose_sessions":true}{"x":1}`},
		{0, "POST", "/sim/faults", "", "application/json", "", `{"{code}":1}`},
		{0, "GET", "/sim/login/{qr}", "", "", "", ""},
		{0, "POST", "/sim/login/{qr}", "", form, "", "persona=ioe&pin=1234&decision=approve"},
		{0, "POST", "/sim/login/{qr}", "", form, "", "persona=revoked&pin=4567&decision=approve"},
		{0, "POST", "/sim/login/{qr}", "", form, "", "persona=ioe&pin=0000&decision=approve"},
		{1, "POST", "/sim/login/{qr}", "", form, "", "decision=deny"},
		{0, "POST", "/sim/login/%2e%2e", "", form, "", "decision=maybe"},
		{0, "GET", "/sim/sessions", "", "", "", ""},
		{1, "GET", "/user_info.json", "", "", "Bearer {code}", ""},
	} {
		f.Add(seed.state, seed.method, seed.path, seed.query, seed.contentType, seed.auth, seed.body)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	s, err := New(Options{Issuer: "http://sim.test", IDTokenAlg: "ES256", Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	serve := func(method, path, rawQuery, contentType, authorization, body string) *httptest.ResponseRecorder {
		req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Host: "sim.test",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:50000",
			Header: http.Header{}, Body: http.NoBody}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		if body != "" {
			req.Body, req.ContentLength = httpBody(body), int64(len(body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	f.Fuzz(func(t *testing.T, state uint8, method, path, rawQuery, contentType, authorization, body string) {
		s.Reset()
		rec := serve(http.MethodGet, "/oauth2/authorize.json", scopeQuery, "", "", "")
		var session struct {
			Data struct {
				ID         string
				Attributes struct {
					URI string `json:"qr_code_uri"`
				}
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &session); err != nil || session.Data.ID == "" {
			t.Fatalf("authorize: %d %s", rec.Code, rec.Body)
		}
		code, uri := session.Data.ID, session.Data.Attributes.URI
		switch state % 3 {
		case 1:
			if err := s.Approve(uri, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
		case 2:
			if err := s.Deny(uri); err != nil {
				t.Fatal(err)
			}
		}
		fill := strings.NewReplacer("{code}", code, "{qr}", qrIDOf(uri)).Replace
		method, path, rawQuery, contentType, authorization, body = fill(method), fill(path), fill(rawQuery), fill(contentType), fill(authorization), fill(body)
		asked := strings.Contains(method+path+rawQuery+contentType+authorization+body, code)

		for try := 0; try < 2; try++ {
			rec := serve(method, path, rawQuery, contentType, authorization, body)
			if rec.Code < 100 || rec.Code > 599 {
				t.Fatalf("status %d", rec.Code)
			}
			// The code is the kiosk's alone: no answer shows it to anyone who
			// did not send it (the phone's page, /sim/sessions, an error).
			if !asked && strings.Contains(rec.Body.String()+rec.Header().Get("Location"), code) {
				t.Fatalf("%s %s answered with the code: %d %s", method, path, rec.Code, rec.Body)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if rec.Code != http.StatusOK || !strings.HasPrefix(path, "/oauth2/token") ||
				json.Unmarshal(rec.Body.Bytes(), &tok) != nil || tok.AccessToken == "" {
				continue
			}
			// A token is issued once, for an approved code the request
			// carried, and it names the approving person.
			if try != 0 || state%3 != 1 || !asked {
				t.Fatalf("try %d: token issued for a code in state %d (asked %v): %s", try, state%3, asked, rec.Body)
			}
			info := serve(http.MethodGet, "/user_info.json", "", "", "Bearer "+tok.AccessToken, "")
			var claims map[string]string
			if info.Code != http.StatusOK || json.Unmarshal(info.Body.Bytes(), &claims) != nil || claims["sub"] != personas[0].Claims["sub"] {
				t.Fatalf("issued token does not read the approver: %d %s", info.Code, info.Body)
			}
		}
	})
}

func httpBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
