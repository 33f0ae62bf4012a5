package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Reachable reports whether the Trust Centre answers over HTTP at all (any
// status counts): the about panel's "is Digidentity there?" check. It sends
// nothing about anyone.
func Reachable(ctx context.Context, s Settings, client *http.Client) error {
	if client == nil {
		client = &http.Client{Timeout: s.HTTPTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint("/.well-known/openid-configuration"), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from %s (%v)", req.URL.Host, unwrapURLError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	return nil
}
