// Package config reads the kiosk's configuration file: which Trust Centre
// environment, the client registration and every endpoint setting. A wrong
// file stops the program with one message naming the file, the key and the fix.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	// HandoffURL is where a portal that takes a session hand-off receives
	// it: the access token and UIDs, posted as a form from a one-time page on
	// this machine. When set, the portal button uses it instead of URL.
	HandoffURL string `toml:"handoff_url"`
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
	// IdleSignOut signs the person out after this long without keyboard or
	// pointer input to the machine; "0s" never does. A warning counts down
	// for IdleWarning first.
	IdleSignOut time.Duration `toml:"idle_sign_out"`
	IdleWarning time.Duration `toml:"idle_warning"`
	// SignIn is how people sign in: "qr" (default), "web" or "both" (the
	// browser offered beside the QR code).
	SignIn string `toml:"sign_in"`
}

// The ways to sign in.
const (
	SignInQR   = "qr"
	SignInWeb  = "web"
	SignInBoth = "both"
)

func defaultKiosk() Kiosk {
	return Kiosk{AdminKeys: "Ctrl+Alt+Q", SignOutKeys: "Ctrl+L", IdleSignOut: 5 * time.Minute, IdleWarning: 30 * time.Second, SignIn: SignInQR}
}

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

// Layer is one source of settings: a file, or one environment variable.
type Layer struct {
	Name string // the file's path, or "$VARIABLE"
	Data []byte // TOML
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

// envSections are the sections a variable may set, as
// WORKSHOP_LOGIN_<SECTION>_<KEY> (WORKSHOP_LOGIN_ENVIRONMENT sets environment).
var envSections = []string{"trust_centre", "simulator", "kiosk", "portal"}

const envPrefix = "WORKSHOP_LOGIN_"

// EnvironmentLayers turns WORKSHOP_LOGIN_* variables into one-key layers,
// e.g. WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET=… sets
// trust_centre.client_secret. A boolean setting takes true or false, a
// list setting a TOML list of strings, and every other setting the value
// as it is, a string, whatever it looks like. Variables of other sections are
// not settings and are left alone.
func EnvironmentLayers(environ []string) []Layer {
	var layers []Layer
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(name, envPrefix)
		if !ok {
			continue
		}
		key := strings.ToLower(rest)
		section := ""
		if key != "environment" {
			for _, s := range envSections {
				if k, ok := strings.CutPrefix(key, s+"_"); ok {
					section, key = s, k
					break
				}
			}
			if section == "" {
				continue
			}
		}
		// A value is a value: TOML only where the setting is a boolean or a
		// list, a string otherwise, so a secret such as 123456, true or
		// [abc is still text, and never echoed in a message.
		literal := strconvQuote(value)
		v := strings.TrimSpace(value)
		switch envKind(section, key) {
		case reflect.Bool:
			if v == "true" || v == "false" {
				literal = v
			}
		case reflect.Slice:
			if list, ok := stringList(v); ok {
				literal = list
			} // else a string, which the list refuses without quoting it
		}
		doc := key + " = " + literal + "\n"
		if section != "" {
			doc = "[" + section + "]\n" + doc
		}
		layers = append(layers, Layer{Name: "$" + name, Data: []byte(doc)})
	}
	sort.Slice(layers, func(i, j int) bool { return layers[i].Name < layers[j].Name })
	return layers
}

// envKind is the kind of value the setting section.key takes (a string
// for environment and for a key that is not a setting).
func envKind(section, key string) reflect.Kind {
	t := sections[section]
	if t == nil {
		return reflect.String
	}
	for i := range t.NumField() {
		if f := t.Field(i); strings.Split(f.Tag.Get("toml"), ",")[0] == key {
			return f.Type.Kind()
		}
	}
	return reflect.String
}

// stringList re-writes v, a TOML array of strings and nothing else (no
// second line, table or other key), as a TOML literal.
func stringList(v string) (string, bool) {
	if !strings.HasPrefix(v, "[") {
		return "", false
	}
	var doc struct{ V []string }
	md, err := toml.Decode("V = "+v, &doc)
	if err != nil || len(md.Keys()) != 1 || len(md.Undecoded()) != 0 {
		return "", false
	}
	quoted := make([]string, len(doc.V))
	for i, s := range doc.V {
		quoted[i] = strconvQuote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]", true
}

// strconvQuote writes s as a TOML basic string.
func strconvQuote(s string) string {
	b, _ := json.Marshal(s) // JSON string escapes are valid TOML basic-string escapes
	return string(b)
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

// Parse reads one configuration document; file names it in messages.
func Parse(file string, data []byte) (Config, error) {
	return ParseLayers([]Layer{{Name: file, Data: data}})
}

// parsed is one layer, decoded but not yet applied.
type parsed struct {
	Layer
	md  toml.MetaData
	top struct {
		Environment string           `toml:"environment"`
		TrustCentre toml.Primitive   `toml:"trust_centre"`
		Simulator   toml.Primitive   `toml:"simulator"`
		Kiosk       toml.Primitive   `toml:"kiosk"`
		Tools       []toml.Primitive `toml:"tools"`
		Portal      toml.Primitive   `toml:"portal"`
	}
}

// ParseLayers applies layers in order, each overriding the keys it sets.
// The environment (and so the defaults) is the last one any layer names; a
// layer that sets [[tools]] replaces the list.
func ParseLayers(layers []Layer) (Config, error) {
	docs := make([]*parsed, len(layers))
	for i, l := range layers {
		p := &parsed{Layer: l}
		md, err := toml.Decode(string(l.Data), &p.top)
		if err != nil {
			return Config{}, decodeError(l.Name, err)
		}
		p.md, docs[i] = md, p
	}
	c := Config{File: layers[len(layers)-1].Name, Environment: auth.EnvSimulator}
	envFrom := ""
	for _, p := range docs {
		if p.md.IsDefined("environment") {
			c.Environment, envFrom = auth.Environment(p.top.Environment), p.Name
		}
	}
	switch c.Environment {
	case auth.EnvSimulator, auth.EnvPreproduction, auth.EnvProduction:
	default:
		return Config{}, &Error{File: envFrom, Key: "environment", Problem: fmt.Sprintf("%q is not an environment", c.Environment),
			Fix: `use "simulator", "preproduction" or "production"`}
	}
	c.TrustCentre, c.Kiosk = auth.DefaultSettings(c.Environment), defaultKiosk()
	for _, p := range docs {
		if err := p.apply(&c); err != nil {
			return Config{}, err
		}
	}
	c.fillSimulatorDefaults()
	if err := c.validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Key != "" {
			ce.File = lastDefining(docs, ce.Key, c.File)
			if isDuration(ce.Key) && definedAsNumber(docs, ce.Key) && !strings.Contains(ce.Fix, "in quotes") {
				ce.Fix = "write it as a duration in quotes (a bare number is nanoseconds): " + ce.Fix
			}
		}
		return Config{}, err
	}
	return c, nil
}

// apply decodes a layer's settings over c.
func (p *parsed) apply(c *Config) error {
	md, top := p.md, &p.top
	for _, d := range []struct {
		from toml.Primitive
		into any
	}{{top.TrustCentre, &c.TrustCentre}, {top.Simulator, &c.Simulator}, {top.Kiosk, &c.Kiosk}, {top.Portal, &c.Portal}} {
		if err := md.PrimitiveDecode(d.from, d.into); err != nil {
			return decodeError(p.Name, err)
		}
	}
	if md.IsDefined("tools") {
		c.Tools = nil
		for _, prim := range top.Tools {
			var tool handoff.Tool
			if err := md.PrimitiveDecode(prim, &tool); err != nil {
				return decodeError(p.Name, err)
			}
			c.Tools = append(c.Tools, tool)
		}
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return &Error{File: p.Name, Key: undecoded[0].String(), Problem: "is not a known setting",
			Fix: "check its spelling against the README's configuration table, or remove it"}
	}
	if c.Environment != auth.EnvSimulator && md.IsDefined("simulator") {
		return &Error{File: p.Name, Key: "simulator", Problem: fmt.Sprintf("is set but the environment is %s", c.Environment),
			Fix: "remove the [simulator] section, or set environment = \"simulator\""}
	}
	return nil
}

// lastDefining names the last layer that sets key, or fallback when none
// does (a missing setting belongs in the most specific file).
func lastDefining(docs []*parsed, key, fallback string) string {
	path := strings.Split(key, ".")
	for i := len(docs) - 1; i >= 0; i-- {
		if docs[i].md.IsDefined(path...) {
			return docs[i].Name
		}
	}
	return fallback
}

// definedAsNumber reports whether the last layer that sets key gives a bare
// number, which TOML decodes into a duration as nanoseconds.
func definedAsNumber(docs []*parsed, key string) bool {
	path := strings.Split(key, ".")
	for i := len(docs) - 1; i >= 0; i-- {
		if docs[i].md.IsDefined(path...) {
			t := docs[i].md.Type(path...)
			return t == "Integer" || t == "Float"
		}
	}
	return false
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
	switch c.Kiosk.SignIn {
	case SignInQR:
	case SignInWeb, SignInBoth:
		if err := settings.ValidateWeb(c.Environment); errors.As(err, &se) {
			return &Error{File: c.File, Key: "trust_centre." + se.Key, Problem: se.Problem, Fix: se.Fix}
		}
	default:
		return &Error{File: c.File, Key: "kiosk.sign_in", Problem: fmt.Sprintf("%q is not a way to sign in", c.Kiosk.SignIn),
			Fix: `use "qr" (the Digidentity app scans a code), "web" (the browser) or "both"`}
	}
	if _, err := handoff.NewLauncher(c.Tools, nil); err != nil {
		return &Error{File: c.File, Key: "tools", Problem: err.Error(), Fix: "give each [[tools]] entry a unique name and a command"}
	}
	for _, p := range []struct{ key, value, example string }{
		{"portal.url", c.Portal.URL, "https://rmi.example-vm.com/"},
		{"portal.handoff_url", c.Portal.HandoffURL, "https://rmi.example-vm.com/sermi/handoff"},
	} {
		if p.value == "" {
			continue
		}
		if u, err := url.Parse(p.value); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && auth.IsLoopbackHost(u.Hostname())) || u.Host == "" {
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

// sections are the structs the settings of each section decode into.
var sections = map[string]reflect.Type{
	"trust_centre": reflect.TypeFor[auth.Settings](),
	"simulator":    reflect.TypeFor[Simulator](),
	"kiosk":        reflect.TypeFor[Kiosk](),
	"portal":       reflect.TypeFor[Portal](),
}

// isDuration reports whether key ("trust_centre.max_code_age") is a
// duration, so that every one, also those the engine adds later, is
// explained as one.
func isDuration(key string) bool {
	section, name, ok := strings.Cut(key, ".")
	t := sections[section]
	if !ok || t == nil {
		return false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.Type == reflect.TypeFor[time.Duration]() && strings.Split(f.Tag.Get("toml"), ",")[0] == name {
			return true
		}
	}
	return false
}

// fixFor says how a value of the key is written.
func fixFor(key string) string {
	name := key[strings.LastIndex(key, ".")+1:]
	switch {
	case strings.HasPrefix(name, "idle_"):
		return `write a duration in quotes, for example "5m" or "30s"`
	case strings.HasPrefix(key, "kiosk.") && name != "language" && name != "sign_in" && !strings.HasSuffix(name, "_keys"),
		name == "pass_access_token", name == "end_at_sign_out":
		return "write true or false"
	case name == "args":
		return `write a list of strings, for example ["--vin-from-stdin"]`
	case name == "extra_scopes":
		return `write a list of strings, for example ["profile"]`
	case isDuration(key):
		return `write a duration in quotes, for example "5s" or "2m"`
	default:
		return `write the value as a string in quotes`
	}
}
