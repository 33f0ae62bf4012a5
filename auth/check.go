package auth

import "context"

// CheckClient asks the Trust Centre for a QR session, as a sign-in would,
// and returns nil when the answer is one the engine can use: the address,
// the client ID and the scope are right. Nobody signs in; the session
// expires unused.
func (p *Passwordless) CheckClient(ctx context.Context) error {
	_, err := p.tc.requestQR(ctx)
	return err
}
