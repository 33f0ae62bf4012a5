package simulator

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The browser sign-in (OpenID Connect's authorization code flow with PKCE),
// which Digidentity calls the web login: /oauth2/authorize shows the same
// page as a QR code's, and answers the kiosk's loopback redirect.

// webRequest is what an authorization request asked for.
type webRequest struct {
	redirectURI, state, nonce, challenge string
}

// checkExchange checks the token request against the authorization request:
// the same redirect_uri, and the PKCE verifier (S256) of the challenge.
func (w *webRequest) checkExchange(form url.Values) string {
	if form.Get("redirect_uri") != w.redirectURI {
		return "redirect_uri differs from the authorization request's"
	}
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != w.challenge {
		return "code_verifier does not match the code_challenge (PKCE)"
	}
	return ""
}

func (s *Simulator) handleWebAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r, "authorize") {
		return
	}
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if _, ok := s.opts.Clients[clientID]; !ok {
		s.log(r, "web_authorize", "invalid_client")
		s.render(w, http.StatusBadRequest, pageData{Message: "Unknown client_id: this kiosk is not registered here.", Class: "bad"})
		return
	}
	redirect := q.Get("redirect_uri")
	// An error about the redirect itself is shown, never redirected (RFC 6749 §4.1.2.1).
	if problem := checkLoopbackRedirect(redirect); problem != "" {
		s.log(r, "web_authorize", "invalid_redirect_uri")
		s.render(w, http.StatusBadRequest, pageData{Message: "redirect_uri refused: " + problem, Class: "bad"})
		return
	}
	fail := func(code, description string) {
		s.log(r, "web_authorize", code)
		http.Redirect(w, r, redirect+"?"+url.Values{"error": {code}, "error_description": {description}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		fail("invalid_request", "PKCE with S256 is required")
		return
	case q.Get("state") == "":
		fail("invalid_request", "state is required")
		return
	}
	if problem := s.checkScope(clientID, q.Get("scope")); problem != "" {
		fail("invalid_scope", problem)
		return
	}
	now := s.opts.Now()
	sess := &session{code: randomID(), qrID: randomID(), clientID: clientID, scope: q.Get("scope"),
		created: now, expires: now.Add(s.opts.SessionLifetime), state: statePending,
		web: &webRequest{redirectURI: redirect, state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}}
	s.mu.Lock()
	s.prune(now)
	s.addSession(sess)
	reused := s.singleSignOn(r, sess, q, now)
	s.mu.Unlock()
	if reused {
		// Like Digidentity's web login: a browser that is still signed in
		// is sent straight back, as the person it remembers.
		if back, ok := s.webAnswer(sess.qrID); ok {
			s.log(r, "web_authorize", "single_sign_on")
			http.Redirect(w, r, back, http.StatusFound)
			return
		}
	}
	s.log(r, "web_authorize", "login_page")
	http.Redirect(w, r, "/sim/login/"+sess.qrID, http.StatusFound)
}

// browserSession is a browser that signed in on the web login: Digidentity
// documents single sign-on for it, so the next sign-in in the same browser
// needs no PIN, unless the request says prompt=login or a max_age it is past.
type browserSession struct {
	persona  Persona
	authTime time.Time
	sid      string // named in the ID tokens of its sign-ins, as OIDC's sid
}

// browserCookie names the simulator's single sign-on cookie.
const browserCookie = "sim_browser_session"

// singleSignOn approves sess at once for a browser that is still signed in
// and reports whether it did; the caller holds mu.
func (s *Simulator) singleSignOn(r *http.Request, sess *session, q url.Values, now time.Time) bool {
	c, err := r.Cookie(browserCookie)
	if err != nil {
		return false
	}
	b, ok := s.browsers[c.Value]
	if !ok || (q.Get("prompt") == "login" && !s.opts.IgnoreFreshLogin) {
		return false
	}
	if maxAge, err := strconv.Atoi(q.Get("max_age")); err == nil && !s.opts.IgnoreFreshLogin && now.Sub(b.authTime) > time.Duration(maxAge)*time.Second {
		return false
	}
	if b.persona.Revoked || (b.persona.ChainAuthorisation && s.usedChains[b.persona.ID]) {
		return false
	}
	sess.persona, sess.state, sess.authTime, sess.sid = b.persona, stateApproved, b.authTime, b.sid
	return true
}

// AgeBrowserSessions moves every browser's sign-in d into the past, as if
// the next person came d later: for tests of max_age and auth_time.
func (s *Simulator) AgeBrowserSessions(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, b := range s.browsers {
		b.authTime = b.authTime.Add(-d)
		s.browsers[id] = b
	}
}

// rememberBrowser sets the single sign-on cookie after a web sign-in was
// approved on the page.
func (s *Simulator) rememberBrowser(w http.ResponseWriter, qrID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessionByQR(qrID, s.opts.Now())
	if sess == nil || sess.web == nil || sess.state != stateApproved {
		return
	}
	id := randomID()
	sess.sid = randomID()
	s.browsers[id] = browserSession{persona: sess.persona, authTime: sess.authTime, sid: sess.sid}
	http.SetCookie(w, &http.Cookie{Name: browserCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// webAnswer is where the login page sends the browser after a web sign-in
// was answered: back to the kiosk with a code, or with the error.
func (s *Simulator) webAnswer(qrID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessionByQR(qrID, s.opts.Now())
	if sess == nil || sess.web == nil || sess.state == statePending {
		return "", false
	}
	q := url.Values{"state": {sess.web.state}}
	switch sess.state {
	case stateApproved:
		q.Set("code", sess.code)
		delete(s.byQR, sess.qrID) // the page is done; the code stays until exchanged
	case stateDenied:
		q.Set("error", "access_denied")
		q.Set("error_description", "the person denied the sign-in")
		s.forget(sess)
	default:
		q.Set("error", "access_denied")
		q.Set("error_description", "authorisation_revoked")
		s.forget(sess)
	}
	return sess.web.redirectURI + "?" + q.Encode(), true
}

// checkLoopbackRedirect accepts what RFC 8252 §7.3 lets a native app use:
// http on a loopback IP literal, any port, any path.
func checkLoopbackRedirect(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || raw == "":
		return "missing or not an address"
	case u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1"):
		return fmt.Sprintf("%q is not http on 127.0.0.1 or [::1]", raw)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#"):
		return "a redirect_uri carries no query or fragment"
	}
	return ""
}

// PendingWebLogins lists the login pages of the web sign-ins not yet
// answered, newest first: where browsers were sent. A test plays the person
// there (GET it, submit its form) when the browser itself cannot be driven.
func (s *Simulator) PendingWebLogins() []string {
	s.mu.Lock()
	now := s.opts.Now()
	s.prune(now)
	var list []SessionInfo
	for _, sess := range s.byQR {
		if sess.web != nil && sess.state == statePending && now.Before(sess.expires) {
			list = append(list, SessionInfo{QRCodeURI: s.publicURL() + "/sim/login/" + sess.qrID, CreatedAt: sess.created})
		}
	}
	s.mu.Unlock()
	sortSessions(list)
	out := make([]string, len(list))
	for i, info := range list {
		out[i] = info.QRCodeURI
	}
	return out
}
