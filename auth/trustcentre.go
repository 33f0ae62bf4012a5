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
)

// trustCentre is the engine's view of Digidentity: the three calls of the
// passwordless flow. The HTTP implementation below is the real one; the
// engine's state-machine tests script it.
type trustCentre interface {
	requestQR(ctx context.Context) (qrSession, error)
	exchange(ctx context.Context, code Secret) (tokenResponse, error)
	userInfo(ctx context.Context, accessToken Secret) ([]byte, error)
}

// maxAnswer bounds what is read from the Trust Centre; real answers are a few
// hundred bytes.
const maxAnswer = 1 << 20

// httpTrustCentre talks to a Trust Centre over HTTP.
type httpTrustCentre struct {
	settings Settings
	client   *http.Client
}

func (tc *httpTrustCentre) requestQR(ctx context.Context) (qrSession, error) {
	q := url.Values{
		"client_id":     {tc.settings.ClientID},
		"scope":         {tc.settings.Scope()},
		"response_type": {"code"},
	}
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
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code.Reveal()}}
	if tc.settings.ClientAuth == ClientAuthPost {
		form.Set("client_id", tc.settings.ClientID)
		form.Set("client_secret", tc.settings.ClientSecret.Reveal())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tc.settings.endpoint(tc.settings.TokenPath), strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, fail(verdictFailed, MsgFailed, "building the token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if tc.settings.ClientAuth == ClientAuthBasic {
		// Sent as given, not form-encoded first: Digidentity's own examples do
		// so, and the two only differ for secrets with special characters.
		req.SetBasicAuth(tc.settings.ClientID, tc.settings.ClientSecret.Reveal())
	}
	status, header, body, err := tc.do(req, "token request")
	if err != nil {
		return tokenResponse{}, err
	}
	return decodeTokenResponse(status, header, body)
}

func (tc *httpTrustCentre) userInfo(ctx context.Context, accessToken Secret) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tc.settings.UserInfoURL(), nil)
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
	resp, err := tc.client.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return 0, nil, nil, ctxErr
		}
		return 0, nil, nil, &callError{verdict: verdictTransient,
			err: newError(MsgOffline, unwrapURLError(err), "%s to %s failed", what, req.URL.Host)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, nil, &callError{verdict: verdictTransient,
			err: newError(MsgOffline, unwrapURLError(err), "%s to %s: reading the answer failed", what, req.URL.Host)}
	}
	return resp.StatusCode, resp.Header, body, nil
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
