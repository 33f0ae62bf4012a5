package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// trustCentre is the engine's view of Digidentity: the three calls of the
// passwordless flow. The HTTP implementation below is the real one; the
// engine's state-machine tests script it.
type trustCentre interface {
	// endpoints are the addresses in use: settings, discovery, fallbacks.
	endpoints(ctx context.Context) Endpoints
	requestQR(ctx context.Context) (qrSession, error)
	exchange(ctx context.Context, code Secret) (tokenResponse, error)
	userInfo(ctx context.Context, accessToken Secret) ([]byte, error)
}

// maxAnswer bounds what is read from the Trust Centre; real answers are a few
// hundred bytes.
const maxAnswer = 1 << 20

// httpTrustCentre talks to a Trust Centre over HTTP. Each call has its own
// deadline: HTTPTimeout for the quick ones, TokenTimeout for the token
// poll, whose answer may carry an approval that cannot be asked for twice.
type httpTrustCentre struct {
	settings Settings
	client   *http.Client
	dir      *directory
}

func newHTTPTrustCentre(s Settings, client *http.Client, now func() time.Time) *httpTrustCentre {
	return &httpTrustCentre{settings: s, client: client, dir: &directory{settings: s, client: client, now: now}}
}

func (tc *httpTrustCentre) endpoints(ctx context.Context) Endpoints { return tc.dir.get(ctx) }

func (tc *httpTrustCentre) requestQR(ctx context.Context) (qrSession, error) {
	q := url.Values{
		"client_id":     {tc.settings.ClientID},
		"scope":         {tc.settings.Scope()},
		"response_type": {"code"},
	}
	ctx, cancel := context.WithTimeout(ctx, tc.settings.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tc.settings.endpoint(tc.settings.AuthorizePath)+"?"+q.Encode(), nil)
	if err != nil {
		return qrSession{}, fail(verdictFailed, MsgFailed, "building the QR code request: %v", err)
	}
	req.Header.Set("Accept", "application/vnd.api+json, application/json")
	status, header, body, err := tc.do(req, "QR code request")
	if err != nil {
		return qrSession{}, err
	}
	return decodeQRSession(status, header, body)
}

func (tc *httpTrustCentre) exchange(ctx context.Context, code Secret) (tokenResponse, error) {
	e := tc.endpoints(ctx)
	status, header, body, err := tc.postToken(ctx, e.Token, e.ClientAuth, code)
	if err == nil && status == http.StatusNotFound {
		// Digidentity's pages spell the path both ways; a guessed one that
		// is not there is switched, and the same code asked again at once.
		if other := tc.dir.switchTokenSpelling(e.Token); other != "" {
			status, header, body, err = tc.postToken(ctx, other, e.ClientAuth, code)
		}
	}
	if err != nil {
		return tokenResponse{}, err
	}
	return decodeTokenResponse(status, header, body)
}

func (tc *httpTrustCentre) postToken(ctx context.Context, tokenURL string, auth ClientAuth, code Secret) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, tc.settings.TokenTimeout)
	defer cancel()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code.Reveal()}}
	switch auth {
	case ClientAuthPost:
		form.Set("client_id", tc.settings.ClientID)
		form.Set("client_secret", tc.settings.ClientSecret.Reveal())
	case ClientAuthNone:
		form.Set("client_id", tc.settings.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, fail(verdictFailed, MsgFailed, "building the token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if auth == ClientAuthBasic {
		// Sent as given, not form-encoded first: Digidentity's own examples do
		// so, and the two only differ for secrets with special characters.
		req.SetBasicAuth(tc.settings.ClientID, tc.settings.ClientSecret.Reveal())
	}
	return tc.do(req, "token request")
}

func (tc *httpTrustCentre) userInfo(ctx context.Context, accessToken Secret) ([]byte, error) {
	e := tc.endpoints(ctx)
	ctx, cancel := context.WithTimeout(ctx, tc.settings.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.UserInfo, nil)
	if err != nil {
		return nil, fail(verdictFailed, MsgFailed, "building the user info request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken.Reveal())
	req.Header.Set("Accept", "application/json")
	status, header, body, err := tc.do(req, "user info request")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		e := classifyError("user info request", status, header, body)
		if e.verdict != verdictTransient && e.verdict != verdictRetryAfter {
			e.err.Key = MsgIdentityInvalid
		}
		return nil, e
	}
	return body, nil
}

// do sends req and reads the answer. A network failure is transient; its
// detail names the host and the cause but not the URL, whose query may hold
// more than a log needs.
func (tc *httpTrustCentre) do(req *http.Request, what string) (int, http.Header, []byte, error) {
	return send(tc.client, req, what)
}

// send is do for any client: the relay's too.
func send(client *http.Client, req *http.Request, what string) (int, http.Header, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		// The caller's own end (sign-out, a new attempt) is not an outage;
		// a call's deadline passing is one.
		if ctxErr := req.Context().Err(); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return 0, nil, nil, ctxErr
		}
		return 0, nil, nil, &callError{verdict: verdictTransient, lost: !neverSent(err),
			err: NewError(MsgOffline, unwrapURLError(err), "%s to %s failed", what, req.URL.Host)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, nil, &callError{verdict: verdictTransient, lost: true,
			err: NewError(MsgOffline, unwrapURLError(err), "%s to %s: reading the answer failed", what, req.URL.Host)}
	}
	return resp.StatusCode, resp.Header, body, nil
}

// neverSent reports whether err happened before the request left: no
// connection (or name) could be had, so no answer can have been lost.
func neverSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial")
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer in time: %w", err)
	}
	return err
}
