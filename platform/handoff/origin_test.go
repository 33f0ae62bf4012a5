package handoff

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A page elsewhere that learnt a launcher's secret cannot have a browser
// post it cross-origin: the hand-off answers only its own launcher (a
// file, whose origin browsers send as "null") or no Origin at all.
func TestHandoffPageRefusesAnotherOrigin(t *testing.T) {
	p := newPortal(t)
	post := NewFormPost(p.handoffURL(), nil)
	post.dir = t.TempDir()
	defer post.Close()
	send := func(secret, origin string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, post.origin+"/handoff", strings.NewReader(url.Values{"handoff": {secret}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, secret := launcher(t, post)
	for _, foreign := range []string{"http://attacker.example", "http://127.0.0.1:1", "https://portal.example"} {
		if code, body := send(secret, foreign); code != http.StatusForbidden || strings.Contains(body, "at-secret") ||
			!strings.Contains(body, "opens only from the kiosk") {
			t.Errorf("a POST from %s: %d\n%s", foreign, code, body)
		}
	}
	if code, body := send(secret, "null"); code != http.StatusOK || !strings.Contains(body, "at-secret") { // not used up
		t.Errorf("then the launcher: %d\n%s", code, body)
	}
	_, secret = launcher(t, post)
	if code, _ := send(secret, post.origin); code != http.StatusOK {
		t.Errorf("from its own origin: %d", code)
	}
}
