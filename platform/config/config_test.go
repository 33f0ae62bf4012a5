package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

const production = `
environment = "production"

[trust_centre]
client_id = "garage-kiosk"
client_secret = "s3cret"
product_scope = "e9x4a6m254p663l4"
token_path = "/oauth2/token.json"
poll_interval = "3s"
extra_scopes = ["profile"]
`

func TestProductionFile(t *testing.T) {
	c, err := Parse("/etc/workshop-login/config.toml", []byte(production))
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TrustCentre
	if c.Environment != auth.EnvProduction || tc.Issuer != auth.ProductionIssuer || c.EmbeddedSimulator() {
		t.Errorf("environment %s issuer %s", c.Environment, tc.Issuer)
	}
	if tc.TokenPath != "/oauth2/token.json" || tc.AuthorizePath != "/oauth2/authorize.json" || tc.PollInterval != 3*time.Second {
		t.Errorf("settings = %+v", tc)
	}
	if got := tc.Scope(); got != "e9x4a6m254p663l4 openid sermi profile" {
		t.Errorf("scope = %q", got)
	}
	if got := tc.Resolve(nil).UserInfo; got != "https://auth.digidentity.eu/user_info.json" {
		t.Errorf("user info at %s", got)
	}
}

// The engine's defaults: a code lifetime learnt from the Trust Centre and
// endpoints left to discovery, unless a file says otherwise.
func TestTimingsAndDiscoveryDefaults(t *testing.T) {
	c, err := Parse("c.toml", []byte(production))
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TrustCentre
	if tc.QRLifetime != 0 || tc.MaxCodeAge != 10*time.Minute || tc.TokenTimeout != 60*time.Second ||
		tc.IdentityRetryLimit != 10*time.Minute || tc.HTTPTimeout != 10*time.Second || tc.MaxRetryWait != 30*time.Second {
		t.Errorf("timings = %+v", tc)
	}
	if tc.UserInfoPath != "" || tc.ClientAuth != "" || tc.WebAuthorizePath != "" {
		t.Errorf("endpoints not left to discovery: %+v", tc)
	}
	c, err = Parse("c.toml", []byte(production+`qr_lifetime = "2m"
max_code_age = "15m"
token_timeout = "90s"
identity_retry_limit = "20m"
user_info_path = "/oauth2/userinfo"
client_auth = "post"
web_authorize_path = "/oauth2/authorize"
`))
	if err != nil {
		t.Fatal(err)
	}
	tc = c.TrustCentre
	if tc.QRLifetime != 2*time.Minute || tc.MaxCodeAge != 15*time.Minute || tc.TokenTimeout != 90*time.Second ||
		tc.IdentityRetryLimit != 20*time.Minute || tc.UserInfoPath != "/oauth2/userinfo" || tc.ClientAuth != auth.ClientAuthPost ||
		tc.WebAuthorizePath != "/oauth2/authorize" {
		t.Errorf("settings = %+v", tc)
	}
}

// Every duration can be set from the environment, as a fleet's
// administrator does for one machine; a value without a unit is refused
// with the key and how to write it.
func TestDurationsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "home"))
	system := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(system, []byte(production), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"QR_LIFETIME": "90s", "MAX_CODE_AGE": "20m", "TOKEN_TIMEOUT": "2m", "IDENTITY_RETRY_LIMIT": "30m",
		"HTTP_TIMEOUT": "5s", "MAX_RETRY_WAIT": "1m", "POLL_INTERVAL": "4s", "QR_REFRESH_LEAD": "15s",
	} {
		t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_"+name, value)
	}
	t.Setenv("WORKSHOP_LOGIN_KIOSK_IDLE_SIGN_OUT", "10m")
	c, err := load(system, "")
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TrustCentre
	if tc.QRLifetime != 90*time.Second || tc.MaxCodeAge != 20*time.Minute || tc.TokenTimeout != 2*time.Minute ||
		tc.IdentityRetryLimit != 30*time.Minute || tc.HTTPTimeout != 5*time.Second || tc.MaxRetryWait != time.Minute ||
		tc.PollInterval != 4*time.Second || tc.QRRefreshLead != 15*time.Second || c.Kiosk.IdleSignOut != 10*time.Minute {
		t.Errorf("from the environment: %+v, idle %s", tc, c.Kiosk.IdleSignOut)
	}

	// "0s" puts qr_lifetime back to learning, over a file that set it.
	if err := os.WriteFile(system, []byte(production+"qr_lifetime = \"2m\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_QR_LIFETIME", "0s")
	if c, err := load(system, ""); err != nil || c.TrustCentre.QRLifetime != 0 {
		t.Errorf("qr_lifetime 0s: %v, %v", c.TrustCentre.QRLifetime, err)
	}

	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_TOKEN_TIMEOUT", "90")
	_, err = load(system, "")
	if err == nil || !strings.HasPrefix(err.Error(), "$WORKSHOP_LOGIN_TRUST_CENTRE_TOKEN_TIMEOUT: trust_centre.token_timeout:") ||
		!strings.Contains(err.Error(), "write a duration in quotes") {
		t.Errorf("a number without a unit: %v", err)
	}
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_TOKEN_TIMEOUT", "6m")
	_, err = load(system, "")
	if err == nil || err.Error() != `$WORKSHOP_LOGIN_TRUST_CENTRE_TOKEN_TIMEOUT: trust_centre.token_timeout: 6m0s is outside 1s to 5m0s; use "60s": a token answer cut off is an approval lost` {
		t.Errorf("out of bounds: %v", err)
	}
}

// Every duration setting is explained as one when it cannot be read.
func TestEveryDurationIsExplainedAsOne(t *testing.T) {
	for _, table := range []map[string]*setting{schema, toolSchema} {
		for key, s := range table {
			if got := isDuration(key); got != (s.typ == reflect.TypeFor[time.Duration]()) {
				t.Errorf("isDuration(%q) = %v", key, got)
			}
			if isDuration(key) && !strings.HasPrefix(key, "kiosk.idle_") && !strings.Contains(fixFor(key), "duration in quotes") {
				t.Errorf("fixFor(%q) = %q", key, fixFor(key))
			}
		}
	}
}

// The schema names every field of the configuration, the engine's settings
// included, with one key each, and says how each list is written.
func TestSchemaCoversEveryField(t *testing.T) {
	named := map[string]string{}
	for owner, table := range map[string]map[string]*setting{"Config": schema, "Tool": toolSchema} {
		for key, s := range table {
			if other, ok := named[owner+"."+s.field]; ok {
				t.Errorf("%s.%s has two keys: %s and %s", owner, s.field, key, other)
			}
			named[owner+"."+s.field] = key
			if s.typ.Kind() == reflect.Slice && s.example == "" {
				t.Errorf("%s: a list without an example", key)
			}
		}
	}
	for _, c := range []struct {
		owner, prefix string
		typ           reflect.Type
	}{
		{"Config", "TrustCentre.", reflect.TypeFor[auth.Settings]()}, {"Config", "Simulator.", reflect.TypeFor[Simulator]()},
		{"Config", "Kiosk.", reflect.TypeFor[Kiosk]()}, {"Config", "Portal.", reflect.TypeFor[Portal]()}, {"Tool", "", reflect.TypeFor[Tool]()},
	} {
		for i := range c.typ.NumField() {
			if f := c.owner + "." + c.prefix + c.typ.Field(i).Name; named[f] == "" {
				t.Errorf("%s has no key in the file", f)
			}
		}
	}
	for _, field := range []string{"PollInterval", "MaxCodeAge", "RedirectURI", "AllowedRedirectURIs"} {
		if key := trustCentreKey(field); !strings.HasPrefix(key, "trust_centre.") || strings.ContainsAny(key, "APR") {
			t.Errorf("trustCentreKey(%s) = %s", field, key)
		}
	}
}

// The simulator environment's client is the simulator's own default one.
func TestSimulatorClientIsTheSimulators(t *testing.T) {
	if simulatorClientID != simulator.DefaultClientID || simulatorClientSecret != simulator.DefaultClientSecret ||
		simulatorProductScope != simulator.DefaultProductScope {
		t.Error("the simulator environment's client is not auth/simulator's default client")
	}
}

func TestPreproductionPreset(t *testing.T) {
	c, err := Parse("c.toml", []byte(strings.Replace(production, `"production"`, `"preproduction"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.TrustCentre.Issuer != "https://auth.digidentity-preproduction.eu" {
		t.Errorf("issuer = %s", c.TrustCentre.Issuer)
	}
}

func TestNoFileMeansEmbeddedSimulator(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	c, err := load(filepath.Join(t.TempDir(), "none.toml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.EmbeddedSimulator() || c.File != "" || c.TrustCentre.ClientID == "" || c.Simulator.Listen != "127.0.0.1:0" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestUserFileIsRead(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	path := filepath.Join(dir, "workshop-login", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(production), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(filepath.Join(t.TempDir(), "none.toml"), "")
	if err != nil || c.File != path || c.Environment != auth.EnvProduction {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

// Each mistake stops the program with one message naming the file, the key
// and the fix.
func TestBadConfiguration(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", strings.Replace(production, "poll_interval", "poll_intervall", 1),
			[]string{"site.toml: trust_centre.poll_intervall: is not a known setting", "check its spelling"}},
		{"unknown section", production + "\n[trustcentre]\nclient_id = \"x\"\n",
			[]string{"site.toml: trustcentre", "not a known setting"}},
		{"wrong type", strings.Replace(production, `"garage-kiosk"`, `42`, 1),
			[]string{"site.toml: trust_centre.client_id: line", "incompatible types", "in quotes"}},
		{"list expected", strings.Replace(production, `["profile"]`, `"profile"`, 1),
			[]string{"trust_centre.extra_scopes", `for example ["profile"]`}},
		{"duration not readable", strings.Replace(production, `"3s"`, `"three"`, 1),
			[]string{"trust_centre.poll_interval", `for example "5s"`}},
		{"duration as a bare number", strings.Replace(production, `"3s"`, `3`, 1),
			[]string{"trust_centre.poll_interval", "3ns is outside 1s to 15s", "in quotes (a bare number is nanoseconds)", `"2s"`}},
		{"poll too slow", strings.Replace(production, `"3s"`, `"20s"`, 1),
			[]string{"site.toml: trust_centre.poll_interval: 20s is outside 1s to 15s", `use "2s"`}},
		{"max retry wait too long", production + "max_retry_wait = \"11m\"\n",
			[]string{"site.toml: trust_centre.max_retry_wait: 11m0s is outside 1s to 10m0s", `use "30s"`}},
		{"max code age not readable", production + "max_code_age = \"ten minutes\"\n",
			[]string{"site.toml: trust_centre.max_code_age", "write a duration in quotes"}},
		{"identity retry limit as a bare number", production + "identity_retry_limit = 600\n",
			[]string{"trust_centre.identity_retry_limit: 600ns is outside 30s to 1h0m0s", "in quotes (a bare number is nanoseconds)", `"10m"`}},
		{"token timeout too long", production + "token_timeout = \"10m\"\n",
			[]string{"trust_centre.token_timeout: 10m0s is outside 1s to 5m0s", `"60s"`}},
		{"qr lifetime beyond max code age", production + "qr_lifetime = \"20m\"\n",
			[]string{"trust_centre.qr_lifetime: 20m0s is outside 10s to max_code_age (10m0s)", "leave it out to learn it"}},
		{"missing client id", strings.Replace(production, `client_id = "garage-kiosk"`, "", 1),
			[]string{"site.toml: trust_centre.client_id: missing", "onboarding"}},
		{"product scope not 16", strings.Replace(production, "e9x4a6m254p663l4", "e9x4a6m254p663l", 1),
			[]string{"trust_centre.product_scope", "not exactly 16 letters and digits", "onboarding"}},
		{"product scope not alphanumeric", strings.Replace(production, "e9x4a6m254p663l4", "e9x4a6m254p663l!", 1),
			[]string{"trust_centre.product_scope"}},
		{"issuer over http", production + `issuer = "http://auth.digidentity.eu"` + "\n",
			[]string{"trust_centre.issuer", "not https", "127.0.0.1"}},
		{"poll too fast", strings.Replace(production, `"3s"`, `"500ms"`, 1),
			[]string{"trust_centre.poll_interval", "500ms is outside 1s to 15s"}},
		{"unknown environment", strings.Replace(production, `"production"`, `"prod"`, 1),
			[]string{"site.toml: environment", `"prod" is not an environment`, "preproduction"}},
		{"syntax", "[trust_centre\n", []string{"site.toml: line", "fix the TOML syntax"}},
		{"simulator section in production", production + "[simulator]\nlisten = \"0.0.0.0:8787\"\n",
			[]string{"site.toml: simulator", "environment is production"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("site.toml", []byte(tt.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestLocalHTTPIssuerIsAllowed(t *testing.T) {
	doc := "environment = \"simulator\"\n[trust_centre]\nissuer = \"http://127.0.0.1:8787\"\n"
	c, err := Parse("c.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.EmbeddedSimulator() {
		t.Error("an issuer is set: the standalone simulator is used, not an embedded one")
	}
}

func TestExplicitPathMustExist(t *testing.T) {
	_, err := load(filepath.Join(t.TempDir(), "none.toml"), filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml: cannot be read") {
		t.Errorf("err = %v", err)
	}
}

func TestKioskSection(t *testing.T) {
	c, err := Parse("k.toml", []byte(production+"\n[kiosk]\nkiosk_mode = true\nlanguage = \"nl\"\nsign_out_keys = \"Ctrl+F12\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Kiosk.KioskMode || c.Kiosk.Language != "nl" || c.Kiosk.SignOutKeys != "Ctrl+F12" || c.Kiosk.AdminKeys != "Ctrl+Alt+Q" {
		t.Errorf("kiosk = %+v", c.Kiosk)
	}
	if d := Defaults(); d.Kiosk.AdminKeys != "Ctrl+Alt+Q" || d.Kiosk.SignOutKeys != "Ctrl+L" ||
		d.Kiosk.IdleSignOut != 5*time.Minute || d.Kiosk.IdleWarning != 30*time.Second {
		t.Errorf("defaults = %+v", d.Kiosk)
	}
	c, err = Parse("k.toml", []byte(production+"\n[kiosk]\nidle_sign_out = \"10m\"\nidle_warning = \"1m\"\n"))
	if err != nil || c.Kiosk.IdleSignOut != 10*time.Minute || c.Kiosk.IdleWarning != time.Minute {
		t.Errorf("idle: %+v %v", c.Kiosk, err)
	}
	for doc, want := range map[string]string{
		"[kiosk]\nlanguage = \"es\"\n":       `k.toml: kiosk.language: "es" is not a language of the screen`,
		"[kiosk]\nkiosk_mode = \"yes\"\n":    "k.toml: kiosk.kiosk_mode: line",
		"[kiosk]\nfull_screen = true\n":      "k.toml: kiosk.full_screen: is not a known setting",
		"[kiosk]\nidle_sign_out = 5\n":       `k.toml: kiosk.idle_sign_out: 5ns is shorter than 10s; write a duration in quotes, for example "5m"`,
		"[kiosk]\nidle_warning = \"6m\"\n":   "k.toml: kiosk.idle_warning: 6m0s does not fit in idle_sign_out (5m0s)",
		"[kiosk]\nidle_sign_out = \"-1m\"\n": "k.toml: kiosk.idle_sign_out: is negative",
	} {
		_, err := Parse("k.toml", []byte(production+"\n"+doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
	_, err = Parse("k.toml", []byte(production+"\n[kiosk]\nkiosk_mode = \"yes\"\n"))
	if err == nil || !strings.Contains(err.Error(), "write true or false") {
		t.Errorf("%v", err)
	}
}

func TestToolsAndPortal(t *testing.T) {
	doc := production + `
[portal]
url = "https://rmi.example-vm.com/"
handoff_url = "https://rmi.example-vm.com/sermi/handoff"

[[tools]]
name = "Diagnostics"
command = "/opt/diag/bin/diag"
args = ["--kiosk"]
end_at_sign_out = true

[[tools]]
name = "Key programmer"
command = "/opt/keys/keys"
pass_access_token = true
`
	c, err := Parse("t.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tools) != 2 || c.Tools[0].Args[0] != "--kiosk" || !c.Tools[0].EndAtSignOut || !c.Tools[1].PassAccessToken || c.Portal.URL == "" || c.Portal.HandoffURL == "" {
		t.Errorf("tools %+v portal %+v", c.Tools, c.Portal)
	}
	for bad, want := range map[string]string{
		"[[tools]]\nname = \"x\"\n":                                "t.toml: tools: tool \"x\" has no command",
		"[[tools]]\nname = \"x\"\ncommand = \"y\"\nargs = \"z\"\n": "t.toml: tools.args",
		"[[tools]]\nname = \"x\"\ncommand = \"y\"\nenv = 1\n":      "t.toml: tools.env: is not a known setting",
		"[portal]\nurl = \"http://rmi.example-vm.com/\"\n":         "t.toml: portal.url",
		"[portal]\nhandoff_url = \"rmi.example-vm.com/in\"\n":      "t.toml: portal.handoff_url",
	} {
		if _, err := Parse("t.toml", []byte(production+"\n"+bad)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}

// A fleet's layers: the system file sets the environment and the client,
// the user's file the language, --config a token path, and environment
// variables the secret; each overrides only what it sets.
func TestLayers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	system := write("etc/config.toml", production+"\n[kiosk]\nkiosk_mode = true\n[[tools]]\nname = \"Diagnostics\"\ncommand = \"/opt/diag\"\n")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "home"))
	write("home/workshop-login/config.toml", "[kiosk]\nlanguage = \"de\"\n")
	explicit := write("site.toml", "[trust_centre]\ntoken_path = \"/oauth2/token.json\"\n")
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", "from-the-environment")
	t.Setenv("WORKSHOP_LOGIN_KIOSK_LARGE_TEXT", "true")
	t.Setenv("WORKSHOP_LOGIN_WINDOW_TEST", "1") // not a setting: left alone
	c, err := load(system, explicit)
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TrustCentre
	if c.Environment != auth.EnvProduction || tc.ClientID != "garage-kiosk" || tc.ClientSecret.Reveal() != "from-the-environment" ||
		tc.TokenPath != "/oauth2/token.json" || tc.PollInterval != 3*time.Second {
		t.Errorf("trust centre = %+v", tc)
	}
	if !c.Kiosk.KioskMode || c.Kiosk.Language != "de" || !c.Kiosk.LargeText || len(c.Tools) != 1 {
		t.Errorf("kiosk = %+v, tools %v", c.Kiosk, c.Tools)
	}

	// A bad value is blamed on the layer that set it.
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_PRODUCT_SCOPE", "short")
	if _, err := load(system, explicit); err == nil || !strings.HasPrefix(err.Error(), "$WORKSHOP_LOGIN_TRUST_CENTRE_PRODUCT_SCOPE: trust_centre.product_scope") {
		t.Errorf("err = %v", err)
	}
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_PRODUCT_SCOPE", "e9x4a6m254p663l4")
	t.Setenv("WORKSHOP_LOGIN_KIOSK_FULLSCREEN", "1")
	if _, err := load(system, explicit); err == nil || !strings.Contains(err.Error(), "$WORKSHOP_LOGIN_KIOSK_FULLSCREEN: kiosk.fullscreen: is not a known setting") {
		t.Errorf("err = %v", err)
	}
}

func TestEnvironmentValuesReadAsTheirSettingsType(t *testing.T) {
	layers := EnvironmentLayers([]string{
		"WORKSHOP_LOGIN_ENVIRONMENT=preproduction", `WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET=a "quoted" secret`,
		`WORKSHOP_LOGIN_TRUST_CENTRE_EXTRA_SCOPES=["profile"]`, "WORKSHOP_LOGIN_WINDOW_TEST=1", "HOME=/root",
		"WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_ID=123456", "WORKSHOP_LOGIN_KIOSK_LARGE_TEXT= true ",
	})
	var docs []string
	for _, l := range layers {
		docs = append(docs, l.Name+": "+l.Key+" = "+l.Value)
	}
	want := []string{
		"$WORKSHOP_LOGIN_ENVIRONMENT: environment = preproduction",
		"$WORKSHOP_LOGIN_KIOSK_LARGE_TEXT: kiosk.large_text =  true ",
		"$WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_ID: trust_centre.client_id = 123456",
		`$WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET: trust_centre.client_secret = a "quoted" secret`,
		`$WORKSHOP_LOGIN_TRUST_CENTRE_EXTRA_SCOPES: trust_centre.extra_scopes = ["profile"]`,
	}
	if strings.Join(docs, "|") != strings.Join(want, "|") {
		t.Errorf("layers:\n%s\nwant:\n%s", strings.Join(docs, "\n"), strings.Join(want, "\n"))
	}
	c, err := ParseLayers(append(layers, Layer{Name: "$WORKSHOP_LOGIN_TRUST_CENTRE_PRODUCT_SCOPE", Key: "trust_centre.product_scope", Value: "e9x4a6m254p663l4"}))
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TrustCentre
	if c.Environment != auth.EnvPreproduction || tc.ClientID != "123456" || tc.ClientSecret.Reveal() != `a "quoted" secret` ||
		!reflect.DeepEqual(tc.ExtraScopes, []string{"profile"}) || !c.Kiosk.LargeText {
		t.Errorf("read as %+v, large text %v", tc, c.Kiosk.LargeText)
	}
	for _, bad := range []struct{ name, key, value, want string }{
		{"KIOSK_LARGE_TEXT", "kiosk.large_text", "yes", "$WORKSHOP_LOGIN_KIOSK_LARGE_TEXT: kiosk.large_text: incompatible types: TOML value has type string; destination has type boolean; write true or false"},
		{"TRUST_CENTRE_EXTRA_SCOPES", "trust_centre.extra_scopes", "[profile", `trust_centre.extra_scopes: incompatible types: TOML value has type string; destination has type list of strings; write a list of strings, for example ["profile"]`},
	} {
		_, err := ParseLayers([]Layer{{Name: "$WORKSHOP_LOGIN_" + bad.name, Key: bad.key, Value: bad.value}})
		if err == nil || !strings.HasSuffix(err.Error(), bad.want) || strings.Contains(err.Error(), "[profile") {
			t.Errorf("%s=%s: %v", bad.name, bad.value, err)
		}
	}
}

var exampleLine = regexp.MustCompile(`^(\[|[a-z_]+ *=)`)

// The system file the packages install: as shipped (all comments) it is the
// simulator; with its examples uncommented it is a valid production kiosk.
func TestShippedConfigurationFile(t *testing.T) {
	data, err := os.ReadFile("../../assets/packaging/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("config.toml", data)
	if err != nil || c.Environment != auth.EnvSimulator {
		t.Fatalf("as shipped: %v, %v", c.Environment, err)
	}
	var uncommented []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# "); ok && exampleLine.MatchString(rest) {
			line = rest
		}
		uncommented = append(uncommented, line)
	}
	c, err = Parse("config.toml", []byte(strings.Join(uncommented, "\n")))
	if err != nil {
		t.Fatalf("with the examples: %v", err)
	}
	if c.Environment != auth.EnvProduction || !c.Kiosk.KioskMode || len(c.Tools) != 1 || c.Portal.HandoffURL == "" {
		t.Errorf("with the examples: %+v", c)
	}
}

// Production with the web login refuses to start without a fixed,
// allowlisted redirect URI, and says what to ask Digidentity for.
func TestWebLoginProductionGuard(t *testing.T) {
	_, err := Parse("k.toml", []byte(production+"\n[kiosk]\nsign_in = \"both\"\n"))
	if err == nil || !strings.Contains(err.Error(), "k.toml: trust_centre.redirect_uri: not set") ||
		!strings.Contains(err.Error(), "ask Digidentity's implementation team to allowlist") {
		t.Errorf("%v", err)
	}
	ok := production + "\n[kiosk]\nsign_in = \"web\"\n"
	ok = strings.Replace(ok, "[trust_centre]\n", "[trust_centre]\nredirect_uri = \"http://127.0.0.1:53682/callback\"\nallowed_redirect_uris = [\"http://127.0.0.1:53682/callback\"]\n", 1)
	if c, err := Parse("k.toml", []byte(ok)); err != nil || c.Kiosk.SignIn != SignInWeb {
		t.Errorf("a fixed, allowlisted redirect: %v", err)
	}
	if _, err := Parse("k.toml", []byte(production+"\n[kiosk]\nsign_in = \"sms\"\n")); err == nil || !strings.Contains(err.Error(), "kiosk.sign_in") {
		t.Errorf("%v", err)
	}
}

// VariableName is the variable EnvironmentLayers reads for each setting,
// and DefinedIn names it when it is set, before the file.
func TestVariableNameAndDefinedIn(t *testing.T) {
	for key := range schema {
		if key == "tools" || strings.HasPrefix(key, "tools.") {
			continue // a list of tables: no variable sets it
		}
		layers := EnvironmentLayers([]string{VariableName(key) + "=x"})
		if len(layers) != 1 || layers[0].Key != key || layers[0].Name != "$"+VariableName(key) {
			t.Errorf("%s: %s is read as %+v", key, VariableName(key), layers)
		}
	}
	c := Config{File: "/etc/workshop-login/config.toml"}
	if got := c.DefinedIn("kiosk.admin_keys"); got != c.File {
		t.Errorf("unset variable: %q", got)
	}
	t.Setenv("WORKSHOP_LOGIN_KIOSK_ADMIN_KEYS", "Q")
	if got := c.DefinedIn("kiosk.admin_keys"); got != "$WORKSHOP_LOGIN_KIOSK_ADMIN_KEYS" {
		t.Errorf("set variable: %q", got)
	}
	if got := (Config{File: "$WORKSHOP_LOGIN_KIOSK_KIOSK_MODE"}).DefinedIn("kiosk.sign_out_keys"); got != "" {
		t.Errorf("read last from another variable: %q", got)
	}
}
