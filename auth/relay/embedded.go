package relay

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// EmbeddedAudience is what the embedded relay's assertions are for: the
// demo tool and the demo portal expect it.
const EmbeddedAudience = "urn:workshop-login:demo"

// EmbeddedKiosk is the name the embedded relay knows its one kiosk by.
const EmbeddedKiosk = "this-kiosk"

// Embedded is a relay the program runs for itself on loopback, in front of
// the embedded simulator, so that the first run signs in exactly as a
// production kiosk does. Its keys are made afresh at each start and kept
// in memory only: it has one kiosk, this one, with KioskKey (the terminal
// signs in with it), or enrolled by its garage (the window does, so the
// default run shows enrolment; the credential lasts as long as the run).
type Embedded struct {
	URL      string      // http://127.0.0.1:port
	KioskKey auth.Secret // this kiosk's key
	Server   *Server
	http     *http.Server
}

// StartEmbedded starts a relay on a free loopback port that signs in at the
// Trust Centre s names (the embedded simulator).
func StartEmbedded(s auth.Settings, log *slog.Logger) (*Embedded, error) {
	if !strings.HasPrefix(s.Issuer, "http://127.0.0.1:") && !strings.HasPrefix(s.Issuer, "http://[::1]:") {
		return nil, errors.New("relay: the embedded relay only fronts a Trust Centre on loopback (the embedded simulator)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	upstream, err := auth.NewUpstream(s, auth.WithLogger(log))
	if err != nil {
		return nil, err
	}
	sealKey, err := NewSealKey("embedded")
	if err != nil {
		return nil, err
	}
	sealer, err := NewSealer(SealerConfig{Current: sealKey, MaxAge: s.MaxCodeAge + s.IdentityRetryLimit + time.Minute,
		SessionMaxAge: 12 * time.Hour})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	signingKey, err := GenerateSigningKey("embedded")
	if err != nil {
		ln.Close()
		return nil, err
	}
	signer, err := NewSigner(SignerConfig{Issuer: url, Audience: EmbeddedAudience, Current: signingKey})
	if err != nil {
		ln.Close()
		return nil, err
	}
	key, hash, err := NewKioskKey()
	if err != nil {
		ln.Close()
		return nil, err
	}
	line, _ := KioskLine(EmbeddedKiosk, hash)
	kiosks, err := ParseKioskKeys(strings.NewReader(line))
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv, err := NewServer(ServerConfig{Upstream: upstream, Sealer: sealer, Signer: signer, Kiosks: kiosks,
		PublicURL: url, SessionMaxAge: 12 * time.Hour, Log: log,
		// As a fleet's relay should: the default run enrols its kiosk
		// with the garage's approval, and binds it to that garage.
		Enrolment: EnrolmentConfig{Garage: true, BindToGarage: true}})
	if err != nil {
		ln.Close()
		return nil, err
	}
	e := &Embedded{URL: url, KioskKey: auth.Secret(key), Server: srv,
		http: srv.HTTPServer(nil)}
	go e.http.Serve(srv.Listener(ln))
	return e, nil
}

// Close stops the embedded relay.
func (e *Embedded) Close() error { return e.http.Close() }
