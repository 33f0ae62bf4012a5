package auth

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

func FuzzParseUserInfo(f *testing.F) {
	f.Add([]byte(ioeUserInfo))
	f.Add([]byte(`{"sub":"s","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"A/B/C","ioeuid":"NL/C/1","rssuid":"R/S/T","rsseuid":"DE/X/Y"}`))
	f.Add([]byte(`{"sub":null,"cabuid":[],"iouid":{},"ioeuid":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := ParseUserInfo(body)
		if err != nil {
			if KeyOf(err) == MsgFailed {
				t.Fatalf("error without a catalogue key: %v", err)
			}
			return
		}
		// Whatever is accepted is a complete, consistent identity.
		if id.Sub == "" || id.CABUID.Raw == "" || id.IOUID.Name == "" || id.IOEUID.AuthorisationUID == "" {
			t.Fatalf("incomplete identity accepted: %+v", id)
		}
		if (id.Role == RoleRSSE) != (id.RSSUID != nil && id.RSSEUID != nil) {
			t.Fatalf("role %s with rssuid %v rsseuid %v", id.Role, id.RSSUID, id.RSSEUID)
		}
		if id.IOUID.Name+"/"+id.IOUID.Address+"/"+id.IOUID.TaxID != id.IOUID.Raw {
			t.Fatalf("iouid parts do not rebuild %q", id.IOUID.Raw)
		}
	})
}

func FuzzDecodeQRSession(f *testing.F) {
	f.Add(200, []byte(`{"data":{"id":"abc","type":"passwordless_login_session","attributes":{"type":"qr_code","qr_code_uri":"https://x.test/q/1"}}}`))
	f.Add(200, []byte(`{"data":{"id":"abc","type":"passwordless_login_session","attributes":{"type":"qr_code","qr_code_uri":"digidentity:login?x=1"}}}`))
	f.Add(400, []byte(`{"error":"invalid_scope"}`))
	f.Add(503, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		qr, err := decodeQRSession(status, http.Header{}, body)
		if err != nil {
			checkCallError(t, err)
			return
		}
		if qr.code == "" || qr.uri == "" || status != 200 {
			t.Fatalf("accepted an unusable session: %+v (status %d)", qr, status)
		}
	})
}

func FuzzDecodeTokenResponse(f *testing.F) {
	for _, a := range []answer{pending, rfcPending, slowDown, sessionGone, expiredToken, denied, serverError, badClient, oddError, malformed, issued, busy("3")} {
		f.Add(a.status, a.header.Get("Retry-After"), []byte(a.body))
	}
	f.Add(200, "", []byte(`{"access_token":"a","token_type":"mac","expires_in":"60"}`))
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(``))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		header := http.Header{"Retry-After": {retryAfter}}
		tok, err := decodeTokenResponse(status, header, body)
		if err != nil {
			checkCallError(t, err)
			var sent struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(body, &sent) == nil && len(sent.AccessToken) >= 4 && strings.Contains(err.Error(), sent.AccessToken) {
				t.Fatalf("error quotes the access token: %v", err)
			}
			if d := parseRetryAfter(retryAfter, time.Now()); d < 0 || d > time.Hour {
				t.Fatalf("Retry-After %q gives %s", retryAfter, d)
			}
			return
		}
		if status != 200 || tok.AccessToken == "" || tok.ExpiresIn < 0 {
			t.Fatalf("accepted %+v from status %d", tok, status)
		}
	})
}

// checkCallError asserts what every decoder error must be: classified, with
// a catalogue key.
func checkCallError(t *testing.T, err error) {
	t.Helper()
	ce, ok := err.(*callError)
	if !ok || ce.err == nil || ce.err.Key == "" {
		t.Fatalf("unclassified error %T: %v", err, err)
	}
}
