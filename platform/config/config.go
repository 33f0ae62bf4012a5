// Package config reads the kiosk's configuration file: which Trust Centre
// environment, the client registration and every endpoint setting. A wrong
// file stops the program with one message naming the file, the key and the fix.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/workshop-login/workshop-login/auth"
)

// Config is the whole configuration.
type Config struct {
	// File is the file it was read from; empty when none exists and the
	// defaults (the simulator environment) apply.
	File        string
	Environment auth.Environment
	TrustCentre auth.Settings
	Simulator   Simulator
	Kiosk       Kiosk
	Tools       []Tool
	Portal      Portal
	Relay       Relay
	// Manufacturers are the [[manufacturers]] entries; none means the one
	// manufacturer of [relay] or [trust_centre], [[tools]] and [portal]
	// (see VMs, which gives both the same shape).
	Manufacturers []Manufacturer
}

// Relay is the VM's relay, when the kiosk signs in through one: the relay
// holds the client secret, the kiosk its own key, which workshop-login enrol
// keeps in the OS keyring (never in this file).
type Relay struct {
	// URL is the relay's address: https, or http on loopback only.
	URL string
}

// OnRelay reports whether the kiosk signs in through a relay.
func (c Config) OnRelay() bool { return c.Relay.URL != "" }

// The file's keys for these fields are in schema (schema.go); the engine's
// settings (auth.Settings) know nothing of the file.

// Tool is one [[tools]] entry: a program platform/handoff starts for the
// person signed in. Its fields are those of handoff.Tool, which the program
// converts it to.
type Tool struct {
	Name    string
	Command string
	Args    []string
	Dir     string
	// PassAccessToken gives the tool the access token, on standard input only.
	PassAccessToken bool
	// EndAtSignOut ends the tool (and whatever it started) when the person
	// signs out, so the next person does not inherit it.
	EndAtSignOut bool
	// Manufacturer names the [[manufacturers]] entry whose session the
	// tool is handed; it may be left out when there is only one.
	Manufacturer string
}

// Portal is the VM's repair portal.
type Portal struct {
	// URL is opened in the system browser by the window's portal button.
	URL string
	// HandoffURL is where a portal that takes a session hand-off receives
	// it: the access token and UIDs, posted as a form from a one-time page on
	// this machine. When set, the portal button uses it instead of URL.
	HandoffURL string
}

// Simulator configures the embedded Trust Centre simulator, used when the
// environment is "simulator" and no trust_centre.issuer is set.
type Simulator struct {
	// Listen is its address; 127.0.0.1:0 picks a free port on this machine.
	// Use 0.0.0.0:8787 to let a phone on the same network open its pages.
	Listen string
	// PublicURL is the base of the QR code's address when the phone must use
	// another address than the kiosk (for example http://192.168.1.20:8787).
	PublicURL       string
	SessionLifetime time.Duration
	// Direct signs in at the embedded simulator itself, without the
	// embedded relay that a production kiosk's sign-in goes through.
	Direct bool
	// Manufacturers, when set and nothing else is configured, makes the
	// embedded simulator play one client, with its own embedded relay, per
	// name: a demonstration of a kiosk for several manufacturers (make run).
	Manufacturers []string
}

// EmbeddedSimulator reports whether the program must start its own simulator
// and point the Trust Centre settings at it.
func (c Config) EmbeddedSimulator() bool {
	return c.Environment == auth.EnvSimulator && c.TrustCentre.Issuer == ""
}

// EmbeddedRelay reports whether the program must also start its own relay
// in front of the embedded simulator and sign in through it, as a
// production kiosk signs in through its VM's relay. The web sign-in needs
// the client secret, so a kiosk that offers it signs in direct.
func (c Config) EmbeddedRelay() bool {
	return c.EmbeddedSimulator() && !c.Simulator.Direct && !c.OnRelay() && (c.Kiosk.SignIn == SignInQR || c.Kiosk.SignIn == "")
}

// VariableName is the environment variable that sets key, as
// EnvironmentLayers reads it: "kiosk.admin_keys" is set by
// WORKSHOP_LOGIN_KIOSK_ADMIN_KEYS.
func VariableName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// DefinedIn names where key was set, for a message about a value the
// program checks itself: "$" and its variable when that is set (it
// overrides the files), or else the layer c was read from last (c.File;
// "" when that was another variable, which the message calls
// "configuration").
func (c Config) DefinedIn(key string) string {
	name := VariableName(key)
	if _, ok := os.LookupEnv(name); ok {
		return "$" + name
	}
	if strings.HasPrefix(c.File, "$") {
		return ""
	}
	return c.File
}

// Error is a configuration mistake: where, which key, and what to do.
type Error struct {
	File    string
	Key     string
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	where := oneLine(e.File)
	if where == "" {
		where = "configuration"
	}
	if e.Key != "" {
		where += ": " + oneLine(e.Key)
	}
	msg := where + ": " + oneLine(e.Problem)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// oneLine quotes a part of a message that holds a line break or another
// control character (a quoted TOML key, a variable's name), so the message
// stays one line.
func oneLine(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// DefaultPath is the user's configuration file.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "workshop-login", "config.toml"), nil
}

// SystemPath is the machine-wide file a fleet's administrator manages.
func SystemPath() string {
	switch runtime.GOOS {
	case "windows":
		dir := os.Getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return filepath.Join(dir, "WorkshopLogin", "config.toml")
	case "darwin":
		return "/Library/Application Support/WorkshopLogin/config.toml"
	default:
		return "/etc/workshop-login/config.toml"
	}
}

// Load reads the layers a managed fleet needs, each overriding the keys it
// sets: the system file, the user's file, the file given with --config
// (explicit, which must exist), then WORKSHOP_LOGIN_* environment variables.
// With none of them, the embedded simulator applies.
func Load(explicit string) (Config, error) { return load(SystemPath(), explicit) }

func load(system, explicit string) (Config, error) {
	var layers []Layer
	paths := []string{system}
	if user, err := DefaultPath(); err == nil {
		paths = append(paths, user)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return Config{}, &Error{File: path, Problem: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+path+": "),
				Fix: "check the file's permissions"}
		}
		layers = append(layers, Layer{Name: path, Data: data})
	}
	if explicit != "" {
		data, err := os.ReadFile(explicit)
		if err != nil {
			return Config{}, &Error{File: explicit, Problem: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+explicit+": "),
				Fix: "check the path given with --config"}
		}
		layers = append(layers, Layer{Name: explicit, Data: data})
	}
	layers = append(layers, EnvironmentLayers(os.Environ())...)
	if len(layers) == 0 {
		return Defaults(), nil
	}
	return ParseLayers(layers)
}

// The client the simulator environment uses when no layer names one: the
// simulator's own default client (auth/simulator's DefaultClientID and the
// rest; a test checks they agree), so that a kiosk pointed at a separate
// `workshop-login simulator` needs no client settings either.
const (
	simulatorClientID     = "workshop-login-simulator"
	simulatorClientSecret = "simulator-secret-not-confidential"
	simulatorProductScope = "s1mulat0rscope16"
)

// Defaults is the configuration without a file: the embedded simulator.
func Defaults() Config {
	c := Config{Environment: auth.EnvSimulator, TrustCentre: auth.DefaultSettings(auth.EnvSimulator), Kiosk: defaultKiosk()}
	c.fillSimulatorDefaults()
	return c
}

func (c *Config) fillSimulatorDefaults() {
	if c.Simulator.Listen == "" {
		c.Simulator.Listen = "127.0.0.1:0"
	}
	if c.Environment != auth.EnvSimulator {
		return
	}
	tc := &c.TrustCentre
	if tc.ClientID == "" {
		tc.ClientID = simulatorClientID
	}
	if tc.ClientSecret == "" {
		tc.ClientSecret = simulatorClientSecret
	}
	if tc.ProductScope == "" {
		tc.ProductScope = simulatorProductScope
	}
}

func (c Config) validate() error {
	settings := c.TrustCentre
	if c.EmbeddedSimulator() {
		settings.Issuer = "http://127.0.0.1" // filled in once the simulator listens
	}
	var se *auth.SettingError
	validate := settings.Validate
	if len(c.Manufacturers) > 0 {
		// Each manufacturer's relay or client is checked with it
		// (checkManufacturers); what is shared is the engine's timings.
		validate = settings.ValidateTimings
	} else if c.OnRelay() {
		// The relay holds the client id and secret; the kiosk needs only
		// the engine's timings, and a relay address it will use.
		validate = func() error {
			if err := auth.CheckRelayURL(c.Relay.URL); err != nil {
				return err
			}
			return settings.ValidateTimings()
		}
	}
	if err := validate(); errors.As(err, &se) {
		return settingError(c.File, se)
	} else if err != nil {
		return &Error{File: c.File, Problem: err.Error()}
	}
	switch c.Kiosk.SignIn {
	case SignInQR:
	case SignInWeb, SignInBoth:
		if len(c.Manufacturers) > 0 {
			return &Error{File: c.File, Key: "kiosk.sign_in", Problem: "the web sign-in is for a kiosk of one manufacturer, set in [trust_centre]",
				Fix: `use sign_in = "qr" with [[manufacturers]]`}
		}
		if c.OnRelay() {
			return &Error{File: c.File, Key: "kiosk.sign_in", Problem: "the web sign-in is not available through a relay",
				Fix: `use sign_in = "qr"; the web sign-in needs the client secret, which stays at the relay`}
		}
		if err := settings.ValidateWeb(c.Environment); errors.As(err, &se) {
			return settingError(c.File, se)
		}
	default:
		return &Error{File: c.File, Key: "kiosk.sign_in", Problem: fmt.Sprintf("%q is not a way to sign in", c.Kiosk.SignIn),
			Fix: `use "qr" (the Digidentity app scans a code), "web" (the browser) or "both"`}
	}
	switch c.Kiosk.Codes {
	case CodesOnDemand, CodesAlways:
	default:
		return &Error{File: c.File, Key: "kiosk.codes", Problem: fmt.Sprintf("%q is not a way to show codes", c.Kiosk.Codes),
			Fix: `use "on_demand" (a code once someone touches the kiosk) or "always"`}
	}
	if c.Kiosk.CodeRestAfter < 10*time.Second || c.Kiosk.CodeRestAfter > time.Hour {
		return &Error{File: c.File, Key: "kiosk.code_rest_after", Problem: fmt.Sprintf("%s is outside 10s to 1h", c.Kiosk.CodeRestAfter),
			Fix: `use "2m": long enough to take out a phone and scan, short enough that nobody's code waits`}
	}
	if err := c.checkManufacturers(); err != nil {
		return err
	}
	if err := checkTools(c.Tools); err != nil {
		return &Error{File: c.File, Key: "tools", Problem: err.Error(), Fix: "give each [[tools]] entry a unique name and a command"}
	}
	for _, p := range []struct{ key, value, example string }{
		{"portal.url", c.Portal.URL, "https://rmi.example-vm.com/"},
		{"portal.handoff_url", c.Portal.HandoffURL, "https://rmi.example-vm.com/sermi/handoff"},
	} {
		if p.value == "" {
			continue
		}
		if !isPortalAddress(p.value) {
			return &Error{File: c.File, Key: p.key, Problem: fmt.Sprintf("%q is not an https address", p.value),
				Fix: "write the full address the vehicle manufacturer gave you, for example " + p.example}
		}
	}
	switch k := c.Kiosk; {
	case k.IdleSignOut < 0:
		return &Error{File: c.File, Key: "kiosk.idle_sign_out", Problem: "is negative", Fix: `write "5m", or "0s" to never sign out for idleness`}
	case k.IdleSignOut > 0 && k.IdleSignOut < 10*time.Second: // a bare number is read as nanoseconds
		return &Error{File: c.File, Key: "kiosk.idle_sign_out", Problem: fmt.Sprintf("%s is shorter than 10s", k.IdleSignOut),
			Fix: `write a duration in quotes, for example "5m", or "0s" to never sign out for idleness`}
	case k.IdleSignOut > 0 && (k.IdleWarning < 0 || k.IdleWarning >= k.IdleSignOut):
		return &Error{File: c.File, Key: "kiosk.idle_warning", Problem: fmt.Sprintf("%s does not fit in idle_sign_out (%s)", k.IdleWarning, k.IdleSignOut),
			Fix: `make it shorter than idle_sign_out, for example "30s"`}
	}
	switch c.Kiosk.Language {
	case "", "en", "nl", "de", "fr":
	default:
		return &Error{File: c.File, Key: "kiosk.language", Problem: fmt.Sprintf("%q is not a language of the screen", c.Kiosk.Language),
			Fix: `use "en", "nl", "de" or "fr", or leave it out to follow the system`}
	}
	return nil
}

// checkTools refuses a tool without a name or command, and two of one
// name for one manufacturer (each manufacturer's row has its own buttons).
func checkTools(tools []Tool) error {
	seen := map[[2]string]bool{}
	for i, t := range tools {
		key := [2]string{t.Manufacturer, t.Name}
		switch {
		case t.Name == "":
			return fmt.Errorf("tool %d has no name", i+1)
		case t.Command == "":
			return fmt.Errorf("tool %q has no command", t.Name)
		case seen[key]:
			return fmt.Errorf("two tools are called %q", t.Name)
		}
		seen[key] = true
	}
	return nil
}

// Explain gives err, when the engine refused one of c.TrustCentre's settings
// (an *auth.SettingError), as the message naming the file and key that
// Load's own mistakes have, so that check shows the line the window stops
// with; any other error as it is.
func (c Config) Explain(err error) error {
	var se *auth.SettingError
	if !errors.As(err, &se) {
		return err
	}
	return settingError(c.File, se)
}

// settingError names the engine's setting as the file does: its key, and
// in the problem the other settings of [trust_centre] as they are written
// there, in the fix in full, for a search of the file.
func settingError(file string, se *auth.SettingError) *Error {
	return &Error{File: file, Key: trustCentreKey(se.Field), Problem: se.Problem(trustCentreName), Fix: se.Fix(trustCentreKey)}
}
