package relay

import (
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
// production kiosk does. It has one kiosk, this one, with KioskKey (the
// terminal signs in with it), or enrolled by its garage (the window does,
// so the default run shows enrolment). Its keys are made afresh at each
// start and kept in memory, but for its sealing key when it is given a
// file to keep it in: a kiosk enrolled in one run is then enrolled in the
// next.
type Embedded struct {
	URL      string      // http://127.0.0.1:port
	KioskKey auth.Secret // this kiosk's key
	Server   *Server
	http     *http.Server
}

// StartEmbedded starts a relay on a free loopback port that signs in at the
// Trust Centre s names (the embedded simulator). keep, unless empty, is the
// sealing keys file it reads its key from, or writes a new one to.
func StartEmbedded(s auth.Settings, keep string, log *slog.Logger) (*Embedded, error) {
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
	sealKey, err := embeddedSealKey(keep, log)
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

// embeddedSealKey is the sealing key kept in keep, or a new one, written
// there when keep is given. A file that cannot be read or written costs
// the next run an enrolment, nothing more: it is logged, not fatal.
func embeddedSealKey(keep string, log *slog.Logger) (SealKey, error) {
	if keep != "" {
		keys, err := ReadSealKeys(keep)
		if err == nil {
			return keys[0], nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("the demonstration relay's kept key is unusable; a new one is made", "file", keep, "error", err)
		}
	}
	k, err := NewSealKey("embedded")
	if err != nil || keep == "" {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(keep), 0o700); err != nil {
		log.Warn("the demonstration relay's key is not kept: the next run enrols the kiosk again", "error", err)
		return k, nil
	}
	if err := os.WriteFile(keep, []byte(SealKeyLine(k)), 0o600); err != nil {
		log.Warn("the demonstration relay's key is not kept: the next run enrols the kiosk again", "error", err)
	}
	return k, nil
}
