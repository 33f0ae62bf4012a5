package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
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
	if tc.UserInfoURL() != "https://auth.digidentity.eu/user_info.json" {
		t.Errorf("user info at %s", tc.UserInfoURL())
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
	c, err := Load("")
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
	c, err := Load("")
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
			[]string{"trust_centre.poll_interval", "below the minimum", `"5s"`}},
		{"missing client id", strings.Replace(production, `client_id = "garage-kiosk"`, "", 1),
			[]string{"site.toml: trust_centre.client_id: missing", "onboarding"}},
		{"product scope not 16", strings.Replace(production, "e9x4a6m254p663l4", "e9x4a6m254p663l", 1),
			[]string{"trust_centre.product_scope", "not exactly 16 letters and digits", "onboarding"}},
		{"product scope not alphanumeric", strings.Replace(production, "e9x4a6m254p663l4", "e9x4a6m254p663l!", 1),
			[]string{"trust_centre.product_scope"}},
		{"issuer over http", production + `issuer = "http://auth.digidentity.eu"` + "\n",
			[]string{"trust_centre.issuer", "not https", "127.0.0.1"}},
		{"poll too fast", strings.Replace(production, `"3s"`, `"500ms"`, 1),
			[]string{"trust_centre.poll_interval", "below the minimum of 1s"}},
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
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
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
	if d := Defaults(); d.Kiosk.AdminKeys != "Ctrl+Alt+Q" || d.Kiosk.SignOutKeys != "Ctrl+L" {
		t.Errorf("defaults = %+v", d.Kiosk)
	}
	for doc, want := range map[string]string{
		"[kiosk]\nlanguage = \"es\"\n":    `k.toml: kiosk.language: "es" is not a language of the screen`,
		"[kiosk]\nkiosk_mode = \"yes\"\n": "k.toml: kiosk.kiosk_mode: line",
		"[kiosk]\nfull_screen = true\n":   "k.toml: kiosk.full_screen: is not a known setting",
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
	if len(c.Tools) != 2 || c.Tools[0].Args[0] != "--kiosk" || !c.Tools[0].EndAtSignOut || !c.Tools[1].PassAccessToken || c.Portal.URL == "" {
		t.Errorf("tools %+v portal %+v", c.Tools, c.Portal)
	}
	for bad, want := range map[string]string{
		"[[tools]]\nname = \"x\"\n":                                "t.toml: tools: tool \"x\" has no command",
		"[[tools]]\nname = \"x\"\ncommand = \"y\"\nargs = \"z\"\n": "t.toml: tools.args",
		"[[tools]]\nname = \"x\"\ncommand = \"y\"\nenv = 1\n":      "t.toml: tools.env: is not a known setting",
		"[portal]\nurl = \"http://rmi.example-vm.com/\"\n":         "t.toml: portal.url",
	} {
		if _, err := Parse("t.toml", []byte(production+"\n"+bad)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}
