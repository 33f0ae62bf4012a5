package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// verdict is a Trust Centre answer reduced to what the engine does next.
type verdict int

const (
	verdictOK         verdict = iota
	verdictPending            // login_pending, authorization_pending: keep polling
	verdictSlowDown           // slow_down: poll 5 s slower from now on
	verdictGone               // session_not_found, expired_token: a fresh QR session
	verdictRefused            // access_denied: the person or Digidentity said no
	verdictRetryAfter         // HTTP 429: wait as long as the server says
	verdictTransient          // network error, timeout, 5xx: back off and retry
	verdictFailed             // anything else: report, then a fresh QR session
)

// callError is a failed call to the Trust Centre, classified.
type callError struct {
	verdict    verdict
	retryAfter string // for verdictRetryAfter: the Retry-After header, read against the engine's clock
	// lost: the request may have been handled but its answer never came
	// (a timeout, a cut connection, a gateway's 502 or 504).
	lost bool
	err  *Error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

func fail(v verdict, key MessageKey, format string, args ...any) *callError {
	return &callError{verdict: v, err: NewError(key, nil, format, args...)}
}

// QR session -----------------------------------------------------------------

// qrSession is one QR code and the authorisation code paired with it.
type qrSession struct {
	code Secret // the kiosk polls with it; it never leaves the kiosk
	uri  string // what the QR code shows
}

// decodeQRSession checks an authorize.json answer field by field, the way
// Digidentity's own examples do, and fails on anything unexpected: a QR code
// pointing somewhere odd must never reach the screen.
func decodeQRSession(status int, header http.Header, body []byte) (qrSession, error) {
	if status != http.StatusOK {
		return qrSession{}, classifyError("QR code request", status, header, body)
	}
	var doc struct {
		Data *struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Attributes *struct {
				Type      string `json:"type"`
				QRCodeURI string `json:"qr_code_uri"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return qrSession{}, &callError{verdict: verdictFailed, err: NewError(MsgUnexpected, err, "QR code answer is not valid JSON")}
	}
	switch {
	case doc.Data == nil:
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has no data")
	case doc.Data.ID == "":
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has no authorisation code (data.id)")
	case doc.Data.Type != "passwordless_login_session":
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has data.type %q, want passwordless_login_session", doc.Data.Type)
	case doc.Data.Attributes == nil:
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has no data.attributes")
	case doc.Data.Attributes.Type != "qr_code":
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has attributes.type %q, want qr_code", doc.Data.Attributes.Type)
	}
	uri := doc.Data.Attributes.QRCodeURI
	if u, err := url.Parse(uri); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") || len(uri) > 2048 {
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "QR code answer has no usable qr_code_uri")
	}
	return qrSession{code: Secret(doc.Data.ID), uri: uri}, nil
}

// Token -----------------------------------------------------------------------

// tokenResponse is a successful token answer.
type tokenResponse struct {
	AccessToken  Secret
	RefreshToken Secret
	IDToken      Secret
	TokenType    string
	Scope        string
	ExpiresIn    time.Duration // zero when the answer does not say
	// relayed is the relay's answer, when the kiosk signs in through one:
	// the relay keeps Digidentity's token, and relayIdentity reads this.
	relayed *relayapi.PollAnswer
}

func decodeTokenResponse(status int, header http.Header, body []byte) (tokenResponse, error) {
	if status != http.StatusOK {
		return tokenResponse{}, classifyError("token request", status, header, body)
	}
	var raw struct {
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		IDToken      string          `json:"id_token"`
		TokenType    string          `json:"token_type"`
		Scope        string          `json:"scope"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		// A 200 that cannot be read may carry a token the Trust Centre has
		// issued, the code used up: an answer lost on the way, not a failure
		// to drop the codes for.
		return tokenResponse{}, &callError{verdict: verdictTransient, lost: true,
			err: NewError(MsgOffline, err, "token answer is not valid JSON (cut off on the way?)")}
	}
	if raw.AccessToken == "" {
		return tokenResponse{}, fail(verdictFailed, MsgUnexpected, "token answer has no access_token")
	}
	if raw.TokenType != "" && !strings.EqualFold(raw.TokenType, "bearer") {
		return tokenResponse{}, fail(verdictFailed, MsgUnexpected, "token answer has token_type %q, want Bearer", raw.TokenType)
	}
	expires, err := parseExpiresIn(raw.ExpiresIn)
	if err != nil {
		return tokenResponse{}, &callError{verdict: verdictFailed, err: NewError(MsgUnexpected, err, "token answer has an unusable expires_in")}
	}
	return tokenResponse{
		AccessToken:  Secret(raw.AccessToken),
		RefreshToken: Secret(raw.RefreshToken),
		IDToken:      Secret(raw.IDToken),
		TokenType:    "Bearer",
		Scope:        raw.Scope,
		ExpiresIn:    expires,
	}, nil
}

// parseExpiresIn accepts a number or a numeric string (both occur in the wild).
func parseExpiresIn(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := strings.Trim(string(raw), `"`)
	seconds, err := strconv.ParseFloat(text, 64)
	if err != nil || seconds < 0 || seconds > 366*24*3600 {
		return 0, fmt.Errorf("%q is not a number of seconds", text)
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// Errors ----------------------------------------------------------------------

// classifyError turns a non-200 answer into a verdict. Digidentity puts the
// passwordless state in error_description (login_pending, session_not_found);
// RFC 6749 and 8628 put it in error. Both are read, description first.
func classifyError(what string, status int, header http.Header, body []byte) *callError {
	if e := busyOrDown(what, "Digidentity", "", status, header); e != nil {
		return e
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &oauth) // a body that is not JSON classifies as unknown below
	code := ""
	for _, c := range []string{oauth.Description, oauth.Error} {
		if c = strings.ToLower(strings.TrimSpace(c)); knownCodes[c] != 0 {
			code = c
			break
		}
	}
	detail := fmt.Sprintf("%s: HTTP %d, error %q", what, status, oauth.Error)
	if code != "" {
		detail += ", " + code
	}
	switch v := knownCodes[code]; {
	case v == verdictRefused:
		return fail(v, MsgRefused, "%s (error_description %q)", detail, truncate(oauth.Description, 80))
	case v != 0:
		return fail(v, MsgScanCode, "%s", detail)
	case oauth.Error == "invalid_client" || oauth.Error == "unauthorized_client" || oauth.Error == "invalid_scope" || status == http.StatusUnauthorized:
		return fail(verdictFailed, MsgClientRejected, "%s: the kiosk's client id, secret or product scope is not accepted", detail)
	default:
		return fail(verdictFailed, MsgUnexpected, "%s (error_description %q)", detail, truncate(oauth.Description, 80))
	}
}

// busyOrDown classifies the answers the Trust Centre and the relay give
// alike: 429, and 503 with Retry-After (a relay shedding load), wait as
// long as the server says; another 5xx backs off (lost when a gateway may
// have passed the request on). Anything else is nil, for the caller's own
// reading. who names the server, note follows the status.
func busyOrDown(what, who, note string, status int, header http.Header) *callError {
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable && header.Get("Retry-After") != "":
		e := fail(verdictRetryAfter, MsgBusy, "%s: %s asks to wait (HTTP %d%s)", what, who, status, note)
		e.retryAfter = header.Get("Retry-After")
		return e
	case status >= 500:
		e := fail(verdictTransient, MsgOffline, "%s: %s answered HTTP %d", what, who, status)
		e.lost = status == http.StatusBadGateway || status == http.StatusGatewayTimeout
		return e
	}
	return nil
}

var knownCodes = map[string]verdict{
	"login_pending":         verdictPending,
	"authorization_pending": verdictPending,
	"slow_down":             verdictSlowDown,
	"session_not_found":     verdictGone,
	"expired_token":         verdictGone,
	"access_denied":         verdictRefused,
}

// parseRetryAfter reads seconds or an HTTP date (RFC 9110 §10.2.3); an
// unreadable value yields zero and the caller falls back to its own wait.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0
		}
		return min(time.Duration(seconds)*time.Second, time.Hour)
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return min(at.Sub(now), time.Hour)
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
