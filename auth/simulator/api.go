package simulator

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The Trust Centre's API: authorize.json, token, user info.

func (s *Simulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r, "authorize") {
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the request cannot be read")
		return
	}
	clientID := r.Form.Get("client_id")
	if _, ok := s.opts.Clients[clientID]; !ok {
		s.log(r, "authorize", "invalid_client")
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	if rt := r.Form.Get("response_type"); rt != "code" {
		oauthError(w, http.StatusBadRequest, "unsupported_response_type", fmt.Sprintf("response_type %q is not code", rt))
		return
	}
	scope := r.Form.Get("scope")
	if problem := s.checkScope(clientID, scope); problem != "" {
		s.log(r, "authorize", "invalid_scope")
		oauthError(w, http.StatusBadRequest, "invalid_scope", problem)
		return
	}
	now := s.opts.Now()
	sess := &session{code: randomID(), qrID: randomID(), clientID: clientID, scope: scope,
		created: now, expires: now.Add(s.opts.SessionLifetime), state: statePending}
	s.mu.Lock()
	s.prune(now)
	s.addSession(sess)
	s.mu.Unlock()
	s.log(r, "authorize", "qr_code")
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id":   sess.code,
		"type": "passwordless_login_session",
		"attributes": map[string]string{
			"type":        "qr_code",
			"qr_code_uri": s.publicURL() + "/sim/login/" + sess.qrID,
		},
	}})
}

func (s *Simulator) checkScope(clientID, scope string) string {
	product, own := s.opts.ProductScopes[clientID]
	if !own {
		product = s.opts.ProductScope
	}
	fields := strings.Fields(scope)
	has := func(want string) bool { return slices.Contains(fields, want) }
	switch {
	case !has("openid"):
		return "scope lacks openid"
	case !has("sermi"):
		return "scope lacks sermi"
	case !has(product):
		return "scope lacks this client's product scope"
	}
	return ""
}

func (s *Simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	s.keys.warm() // a code is on screen and polled: time to make the key
	arrived := s.opts.Now()
	s.mu.Lock()
	slow := s.faults.SlowTokenAnswers > 0
	if slow {
		s.faults.SlowTokenAnswers--
	}
	hold := time.Duration(s.faults.SlowAnswerMS) * time.Millisecond
	s.mu.Unlock()
	var outcome string
	if slow {
		// Process first, then hold the answer: the client may be gone by then.
		held := newHeldAnswer()
		outcome = s.token(held, r)
		s.log(r, "token", "fault slow_answer")
		if hold > 0 {
			t := time.NewTimer(hold)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		held.writeTo(w)
	} else {
		outcome = s.token(w, r)
	}
	if s.opts.OnTokenRequest != nil {
		s.opts.OnTokenRequest(TokenRequest{At: arrived, Outcome: outcome})
	}
}

// token answers one token request and names its outcome.
func (s *Simulator) token(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return "invalid_request"
	}
	if outcome := s.tokenFault(w, r); outcome != "" {
		return outcome
	}
	if err := parseBody(r); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form cannot be read")
		return "invalid_request"
	}
	clientID, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="trust-centre"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return s.logged(r, "token", "invalid_client")
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not authorization_code", gt))
		return "invalid_request"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	sess := s.sessionByCode(r.PostForm.Get("code"), now)
	if sess == nil || sess.clientID != clientID {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "session_not_found")
		return s.logged(r, "token", "session_not_found")
	}
	switch sess.state {
	case statePending:
		if near := s.faults.TooManyNearEndSeconds; near > 0 && sess.expires.Sub(now) < time.Duration(near)*time.Second {
			retryAfter := s.faults.RetryAfterSeconds
			if retryAfter <= 0 {
				retryAfter = 2
			}
			w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
			oauthError(w, http.StatusTooManyRequests, "too_many_requests", "slow down")
			s.log(r, "token", "fault too_many_near_end")
			return "too_many_requests"
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "login_pending")
		return s.logged(r, "token", "login_pending")
	case stateDenied:
		s.forget(sess)
		oauthError(w, http.StatusBadRequest, "access_denied", "access_denied")
		return s.logged(r, "token", "access_denied")
	case stateRefused:
		s.forget(sess)
		oauthError(w, http.StatusBadRequest, "access_denied", "authorisation_revoked")
		return s.logged(r, "token", "authorisation_revoked")
	}
	if sess.web != nil {
		if problem := sess.web.checkExchange(r.PostForm); problem != "" {
			s.forget(sess) // a code is tried once
			oauthError(w, http.StatusBadRequest, "invalid_grant", problem)
			return s.logged(r, "token", "invalid_grant")
		}
	}
	// Approved: the exchange works once, and uses up a chain authorisation.
	s.forget(sess)
	if sess.persona.ChainAuthorisation {
		s.usedChains[sess.persona.ID] = true
	}
	access, refresh := randomID(), randomID()
	s.addToken(access, grant{persona: sess.persona, expires: now.Add(s.opts.TokenLifetime)})
	body := map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"token_type":    "Bearer",
		"expires_in":    int(s.opts.TokenLifetime / time.Second),
		"scope":         sess.scope,
	}
	if !s.opts.OmitIDToken {
		claims := idClaims{issuer: s.issuer(), audience: clientID, subject: sess.persona.Claims["sub"], now: now, authTime: sess.authTime, sid: sess.sid}
		if sess.web != nil {
			claims.nonce = sess.web.nonce
		}
		key, err := s.keys.get()
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "making the signing key failed")
			return "server_error"
		}
		idToken, err := key.sign(s.tamper(claims))
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "signing the ID token failed")
			return "server_error"
		}
		body["id_token"] = idToken
	}
	writeJSON(w, http.StatusOK, body)
	return s.logged(r, "token", "issued")
}

// authenticate checks HTTP Basic (raw or form-encoded values, RFC 6749
// §2.3.1) or client_secret_post, and returns the client id.
func (s *Simulator) authenticate(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if want, ok := s.opts.Clients[id]; ok && id != "" && secret == want {
		return id, true
	}
	if basic {
		decodedID, err1 := url.QueryUnescape(id)
		decodedSecret, err2 := url.QueryUnescape(secret)
		if want, ok := s.opts.Clients[decodedID]; ok && err1 == nil && err2 == nil && decodedSecret == want {
			return decodedID, true
		}
	}
	return "", false
}

// parseBody reads a form sent urlencoded or as multipart/form-data (as some
// integrations do).
func parseBody(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(1 << 20)
	}
	return r.ParseForm()
}

func (s *Simulator) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r, "user_info") {
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	now := s.opts.Now()
	s.prune(now)
	g, found := s.grantOf(token, now)
	s.mu.Unlock()
	if !ok || !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "the access token is unknown or expired")
		s.log(r, "user_info", "bearer_refused")
		return
	}
	s.log(r, "user_info", "ok")
	claims := g.persona.Claims
	s.mu.Lock()
	otherSub := s.faults.UserInfoSub != ""
	s.mu.Unlock()
	if otherSub {
		claims = maps.Clone(claims)
		claims["sub"] = "00000000-someone-else"
	}
	writeJSON(w, http.StatusOK, claims)
}
