// Package config reads the kiosk's configuration file: which Trust Centre
// environment, the client registration and every endpoint setting. A wrong
// file stops the program with one message naming the file, the key and the fix.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/handoff"
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
	Tools       []handoff.Tool
	Portal      Portal
}

// Portal is the VM's repair portal.
type Portal struct {
	// URL is opened in the system browser by the window's portal button.
	URL string `toml:"url"`
}

// Kiosk is how the window behaves at a shared workshop terminal.
type Kiosk struct {
	// KioskMode: full screen, no decorations, closing and Escape do not quit;
	// only AdminKeys do.
	KioskMode bool   `toml:"kiosk_mode"`
	AdminKeys string `toml:"admin_keys"`
	// SignOutKeys sign the person out from the keyboard.
	SignOutKeys string `toml:"sign_out_keys"`
	// DeeplinkButton shows a button that opens the code in the Digidentity
	// app, for a tablet that has it installed.
	DeeplinkButton bool `toml:"deeplink_button"`
	HighContrast   bool `toml:"high_contrast"`
	LargeText      bool `toml:"large_text"`
	// Language is en, nl, de or fr; empty follows the system.
	Language string `toml:"language"`
}

func defaultKiosk() Kiosk { return Kiosk{AdminKeys: "Ctrl+Alt+Q", SignOutKeys: "Ctrl+L"} }

// Simulator configures the embedded Trust Centre simulator, used when the
// environment is "simulator" and no trust_centre.issuer is set.
type Simulator struct {
	// Listen is its address; 127.0.0.1:0 picks a free port on this machine.
	// Use 0.0.0.0:8787 to let a phone on the same network open its pages.
	Listen string `toml:"listen"`
	// PublicURL is the base of the QR code's address when the phone must use
	// another address than the kiosk (for example http://192.168.1.20:8787).
	PublicURL       string        `toml:"public_url"`
	SessionLifetime time.Duration `toml:"session_lifetime"`
}

// EmbeddedSimulator reports whether the program must start its own simulator
// and point the Trust Centre settings at it.
func (c Config) EmbeddedSimulator() bool {
	return c.Environment == auth.EnvSimulator && c.TrustCentre.Issuer == ""
}

// Error is a configuration mistake: where, which key, and what to do.
type Error struct {
	File    string
	Key     string
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	where := e.File
	if where == "" {
		where = "configuration"
	}
	if e.Key != "" {
		where += ": " + e.Key
	}
	msg := where + ": " + e.Problem
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// DefaultPath is the user's configuration file.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "workshop-login", "config.toml"), nil
}

// Load reads path. An empty path means DefaultPath, which may be absent: then
// the simulator environment applies. A path given explicitly must exist.
func Load(path string) (Config, error) {
	explicit := path != ""
	if !explicit {
		var err error
		if path, err = DefaultPath(); err != nil {
			return Defaults(), nil
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return Defaults(), nil
	case err != nil:
		return Config{}, &Error{File: path, Problem: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+path+": "),
			Fix: "check the path given with --config"}
	}
	return Parse(path, data)
}

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
		tc.ClientID = simulator.DefaultClientID
	}
	if tc.ClientSecret == "" {
		tc.ClientSecret = simulator.DefaultClientSecret
	}
	if tc.ProductScope == "" {
		tc.ProductScope = simulator.DefaultProductScope
	}
}

// Parse reads a configuration document; file names it in messages.
func Parse(file string, data []byte) (Config, error) {
	var top struct {
		Environment string           `toml:"environment"`
		TrustCentre toml.Primitive   `toml:"trust_centre"`
		Simulator   toml.Primitive   `toml:"simulator"`
		Kiosk       toml.Primitive   `toml:"kiosk"`
		Tools       []toml.Primitive `toml:"tools"`
		Portal      toml.Primitive   `toml:"portal"`
	}
	md, err := toml.Decode(string(data), &top)
	if err != nil {
		return Config{}, decodeError(file, err)
	}
	c := Config{File: file, Environment: auth.Environment(top.Environment)}
	switch c.Environment {
	case "":
		c.Environment = auth.EnvSimulator
	case auth.EnvSimulator, auth.EnvPreproduction, auth.EnvProduction:
	default:
		return Config{}, &Error{File: file, Key: "environment", Problem: fmt.Sprintf("%q is not an environment", top.Environment),
			Fix: `use "simulator", "preproduction" or "production"`}
	}
	c.TrustCentre = auth.DefaultSettings(c.Environment)
	if err := md.PrimitiveDecode(top.TrustCentre, &c.TrustCentre); err != nil {
		return Config{}, decodeError(file, err)
	}
	if err := md.PrimitiveDecode(top.Simulator, &c.Simulator); err != nil {
		return Config{}, decodeError(file, err)
	}
	c.Kiosk = defaultKiosk()
	if err := md.PrimitiveDecode(top.Kiosk, &c.Kiosk); err != nil {
		return Config{}, decodeError(file, err)
	}
	for _, p := range top.Tools {
		var tool handoff.Tool
		if err := md.PrimitiveDecode(p, &tool); err != nil {
			return Config{}, decodeError(file, err)
		}
		c.Tools = append(c.Tools, tool)
	}
	if err := md.PrimitiveDecode(top.Portal, &c.Portal); err != nil {
		return Config{}, decodeError(file, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return Config{}, &Error{File: file, Key: undecoded[0].String(), Problem: "is not a known setting",
			Fix: "check its spelling against the README's configuration table, or remove it"}
	}
	if c.Environment != auth.EnvSimulator && md.IsDefined("simulator") {
		return Config{}, &Error{File: file, Key: "simulator", Problem: fmt.Sprintf("is set but the environment is %s", c.Environment),
			Fix: "remove the [simulator] section, or set environment = \"simulator\""}
	}
	c.fillSimulatorDefaults()
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c Config) validate() error {
	settings := c.TrustCentre
	if c.EmbeddedSimulator() {
		settings.Issuer = "http://127.0.0.1" // filled in once the simulator listens
	}
	var se *auth.SettingError
	if err := settings.Validate(); errors.As(err, &se) {
		return &Error{File: c.File, Key: "trust_centre." + se.Key, Problem: se.Problem, Fix: se.Fix}
	} else if err != nil {
		return &Error{File: c.File, Problem: err.Error()}
	}
	if _, err := handoff.NewLauncher(c.Tools, nil); err != nil {
		return &Error{File: c.File, Key: "tools", Problem: err.Error(), Fix: "give each [[tools]] entry a unique name and a command"}
	}
	if c.Portal.URL != "" {
		if u, err := url.Parse(c.Portal.URL); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && auth.IsLoopbackHost(u.Hostname())) || u.Host == "" {
			return &Error{File: c.File, Key: "portal.url", Problem: fmt.Sprintf("%q is not an https address", c.Portal.URL),
				Fix: "write the repair portal's full address, for example https://rmi.example-vm.com/"}
		}
	}
	switch c.Kiosk.Language {
	case "", "en", "nl", "de", "fr":
	default:
		return &Error{File: c.File, Key: "kiosk.language", Problem: fmt.Sprintf("%q is not a language of the screen", c.Kiosk.Language),
			Fix: `use "en", "nl", "de" or "fr", or leave it out to follow the system`}
	}
	return nil
}

// typeError matches BurntSushi/toml's type mismatch message.
var typeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

func decodeError(file string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key := pe.LastKey
		problem := fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
		if key == "" {
			return &Error{File: file, Problem: problem, Fix: "fix the TOML syntax on that line"}
		}
		return &Error{File: file, Key: key, Problem: problem, Fix: fixFor(key)}
	}
	if m := typeError.FindStringSubmatch(err.Error()); m != nil {
		return &Error{File: file, Key: m[2], Problem: "line " + m[1] + ": " + m[3], Fix: fixFor(m[2])}
	}
	return &Error{File: file, Problem: err.Error()}
}

// fixFor says how a value of the key is written.
func fixFor(key string) string {
	name := key[strings.LastIndex(key, ".")+1:]
	switch {
	case strings.HasPrefix(key, "kiosk.") && name != "language" && !strings.HasSuffix(name, "_keys"),
		name == "pass_access_token", name == "end_at_sign_out":
		return "write true or false"
	case name == "args":
		return `write a list of strings, for example ["--vin-from-stdin"]`
	case name == "extra_scopes":
		return `write a list of strings, for example ["profile"]`
	case strings.HasSuffix(name, "_interval") || strings.HasSuffix(name, "_lifetime") || strings.HasSuffix(name, "_lead") ||
		strings.HasSuffix(name, "_timeout") || strings.HasSuffix(name, "_wait"):
		return `write a duration in quotes, for example "5s" or "2m"`
	default:
		return `write the value as a string in quotes`
	}
}
