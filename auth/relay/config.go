package relay

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/time/rate"

	"github.com/workshop-login/workshop-login/auth"
)

// Config is relay.toml: what one relay replica serves, and with which keys.
// Every replica of a relay reads the same file and the same key files.
type Config struct {
	Listen    string `toml:"listen"`     // host:port, default 127.0.0.1:8780
	PublicURL string `toml:"public_url"` // https://relay.vm.example: what kiosks and verifiers use
	TLSCert   string `toml:"tls_cert"`   // PEM; empty behind a TLS-terminating proxy
	TLSKey    string `toml:"tls_key"`
	// KiosksFile holds one "name sha256:hash" line per enrolled kiosk;
	// it is read again when it changes, so deleting a line revokes a kiosk.
	KiosksFile string `toml:"kiosks_file"`
	// SessionMaxAge bounds how long a signed-in session gets fresh
	// assertions when the Trust Centre's token does not say.
	SessionMaxAge duration `toml:"session_max_age"`
	// HandAccessToken gives kiosks Digidentity's access token; by default
	// it stays at the relay.
	HandAccessToken bool `toml:"hand_access_token_to_kiosks"`
	// DrainTime is how long a replica that is stopping answers not-ready
	// before it stops taking calls, for the load balancer to notice.
	DrainTime duration `toml:"drain_time"`

	EnrolmentSettings // configenrol.go

	// TrustCentre is the VM's registration at Digidentity, as written:
	// the kiosk's [trust_centre] keys (the relay's command reads them with
	// the kiosk's key table, platform/config.DecodeTrustCentre), and the
	// relay's own environment (production, preproduction or simulator) and
	// client_secret_file. The secret is read from that file (a Kubernetes
	// Secret mounted) or the environment variable RELAY_CLIENT_SECRET,
	// never from relay.toml itself.
	TrustCentre map[string]any `toml:"trust_centre"`
	Sealing     struct {
		// KeysFile: "id base64url-key [retired-at]" lines, the current key
		// first; see SealKeysFile.
		KeysFile string `toml:"keys_file"`
	} `toml:"sealing"`
	Signing struct {
		// KeysFile: PKCS #8 PEM blocks with a "Key-Id:" header, the current
		// key first; later ones are published until their assertions expire.
		KeysFile     string   `toml:"keys_file"`
		Issuer       string   `toml:"issuer"`   // default public_url
		Audience     string   `toml:"audience"` // what tools and portals expect
		AssertionTTL duration `toml:"assertion_ttl"`
	} `toml:"signing"`
	Rotation struct {
		// PromoteAfter is how long a new key must have been published
		// (every replica opening its handles and serving it in the JWKS)
		// before promote-keys makes it sign and seal; a replica refuses to
		// start with a key promoted sooner.
		PromoteAfter duration `toml:"promote_after"`
	} `toml:"rotation"`
	Limits struct {
		PerKioskPerSecond float64 `toml:"per_kiosk_per_second"`
		PerKioskBurst     int     `toml:"per_kiosk_burst"`
		GlobalPerSecond   float64 `toml:"global_per_second"`
		GlobalBurst       int     `toml:"global_burst"`
		ShedConfig                // max_in_flight, max_trust_centre_calls, max_connections
	} `toml:"limits"`

	dir  string // relative paths are read from the config's folder
	file string
}

// ClientSecretEnv names the environment variable that may hold the client
// secret instead of a file. Not WORKSHOP_LOGIN_RELAY_…: a kiosk reads those
// as settings of its [relay] section, and would refuse this one.
const ClientSecretEnv = "RELAY_CLIENT_SECRET"

type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"5m\" or \"8h\"", b)
	}
	d.Duration = v
	return nil
}

// LoadConfig reads relay.toml, fills in the defaults and checks it; an
// unknown key is an error, so a misspelt setting is not silently ignored.
func LoadConfig(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	c.dir, c.file = filepath.Dir(path), path
	if extra := md.Undecoded(); len(extra) > 0 {
		return c, c.mistake(extra[0].String(), "is not a known setting", "check its spelling against auth/relay/README.md, or remove it")
	}
	return c, c.defaults()
}

// mistake is an error in relay.toml, worded as the kiosk's configuration
// words its own: the file, the key, what is wrong; what to do.
func (c *Config) mistake(key, problem, fix string) error {
	return fmt.Errorf("%s: %s: %s; %s", c.file, key, problem, fix)
}

func (c *Config) defaults() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8780"
	}
	if c.SessionMaxAge.Duration == 0 {
		c.SessionMaxAge.Duration = 8 * time.Hour
	}
	if c.DrainTime.Duration == 0 {
		c.DrainTime.Duration = 5 * time.Second
	}
	if c.Signing.Issuer == "" {
		c.Signing.Issuer = strings.TrimRight(c.PublicURL, "/")
	}
	if c.Signing.AssertionTTL.Duration == 0 {
		c.Signing.AssertionTTL.Duration = DefaultAssertionTTL
	}
	if c.Rotation.PromoteAfter.Duration == 0 {
		c.Rotation.PromoteAfter.Duration = DefaultPromoteAfter
	}
	l := &c.Limits
	if l.PerKioskPerSecond == 0 {
		l.PerKioskPerSecond, l.PerKioskBurst = float64(DefaultLimits.PerKiosk), DefaultLimits.PerKioskBurst
	}
	if l.GlobalPerSecond == 0 {
		l.GlobalPerSecond, l.GlobalBurst = float64(DefaultLimits.Global), DefaultLimits.GlobalBurst
	}
	if l.PerKioskBurst == 0 {
		l.PerKioskBurst = max(1, int(l.PerKioskPerSecond*5))
	}
	if l.GlobalBurst == 0 {
		l.GlobalBurst = max(1, int(l.GlobalPerSecond*2))
	}
	switch {
	case c.PublicURL == "":
		return c.mistake("public_url", "is missing", `set it to the address kiosks use, for example "https://relay.example.com"`)
	case c.KiosksFile == "":
		return c.mistake("kiosks_file", "is missing", "name the file that workshop-login relay add-kiosk writes")
	case c.Sealing.KeysFile == "":
		return c.mistake("sealing.keys_file", "is missing", "name the file that workshop-login relay new-keys writes")
	case c.Signing.KeysFile == "":
		return c.mistake("signing.keys_file", "is missing", "name the file that workshop-login relay new-keys writes")
	case c.Signing.Audience == "":
		return c.mistake("signing.audience", "is missing", `set it to what your tools and portals expect, for example "urn:example-vm:repair"`)
	case c.TLSCert == "" && c.TLSKey != "":
		return c.mistake("tls_cert", "is missing while tls_key is set", "give both, or neither behind a TLS-terminating proxy")
	case c.TLSCert != "" && c.TLSKey == "":
		return c.mistake("tls_key", "is missing while tls_cert is set", "give both, or neither behind a TLS-terminating proxy")
	case l.PerKioskPerSecond < 0 || l.GlobalPerSecond < 0 || l.MaxInFlight < 0 || l.MaxTrustCentreCalls < 0 || l.MaxConnections < 0:
		return c.mistake("limits", "has a negative value", "give each limit as 0 (its default) or more")
	case c.SessionMaxAge.Duration < time.Minute || c.SessionMaxAge.Duration > 7*24*time.Hour:
		return c.mistake("session_max_age", "must be between 1m and 168h", `use "8h" for a working day`)
	case c.Rotation.PromoteAfter.Duration < time.Second || c.Rotation.PromoteAfter.Duration > 7*24*time.Hour:
		return c.mistake("rotation.promote_after", "must be between 1s and 168h", `use "10m", longer than rolling out every replica takes`)
	case c.Signing.AssertionTTL.Duration < 30*time.Second || c.Signing.AssertionTTL.Duration > time.Hour:
		return c.mistake("signing.assertion_ttl", "must be between 30s and 1h", `use "5m"`)
	case !publicURLUsable(c.PublicURL):
		return c.mistake("public_url", fmt.Sprintf("%q is not https", c.PublicURL), "use https://…; plain http only on loopback")
	}
	return c.enrolmentDefaults()
}

// publicURLUsable refuses a plain-HTTP public address off loopback: kiosks
// would refuse it anyway.
func publicURLUsable(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" && auth.IsLoopbackHost(u.Hostname()))
}

// Path resolves a file named in the configuration against its folder.
func (c Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// File is the configuration's path, as its errors name it.
func (c Config) File() string { return c.file }

// Limits are the configuration's rate limits.
func (c Config) RateLimits() Limits {
	return Limits{PerKiosk: rate.Limit(c.Limits.PerKioskPerSecond), PerKioskBurst: c.Limits.PerKioskBurst,
		Global: rate.Limit(c.Limits.GlobalPerSecond), GlobalBurst: c.Limits.GlobalBurst}
}

// Sealer reads the sealing keys file. Handles live as long as a code may be
// polled plus the identity step; sessions as long as session_max_age. It
// refuses a key promoted less than promote_after after it was published.
func (c Config) Sealer(s auth.Settings) (*Sealer, error) {
	keys, err := ReadSealKeys(c.Path(c.Sealing.KeysFile))
	if err != nil {
		return nil, err
	}
	cur, next, prev, err := SplitSealKeys(keys)
	if err != nil {
		return nil, err
	}
	if err := CheckPromoted("sealing", cur.ID, cur.PublishedAt, c.Rotation.PromoteAfter.Duration, time.Now()); err != nil {
		return nil, err
	}
	maxAge := s.MaxCodeAge + s.IdentityRetryLimit + time.Minute
	return NewSealer(SealerConfig{Current: cur, Next: next, Previous: prev, MaxAge: maxAge,
		SessionMaxAge: c.SessionMaxAge.Duration, Grace: max(maxAge, c.SessionMaxAge.Duration)})
}

// Signer reads the signing keys file, refusing a key promoted too early as
// Sealer does.
func (c Config) Signer() (*Signer, error) {
	keys, err := ReadSigningKeys(c.Path(c.Signing.KeysFile))
	if err != nil {
		return nil, err
	}
	cur, next, prev, err := SplitSigningKeys(keys)
	if err != nil {
		return nil, err
	}
	if err := CheckPromoted("signing", cur.ID, cur.PublishedAt, c.Rotation.PromoteAfter.Duration, time.Now()); err != nil {
		return nil, err
	}
	return NewSigner(SignerConfig{Issuer: c.Signing.Issuer, Audience: c.Signing.Audience,
		Current: cur, Next: next, Previous: prev, TTL: c.Signing.AssertionTTL.Duration})
}

// NewSealKeyID names a new key after the time it was made, so a file's keys
// sort by age, and four random hex digits, so two rotations within a second
// differ.
func NewSealKeyID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "k" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
