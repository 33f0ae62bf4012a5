package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

// checkConfigError asserts what every configuration error must be: a
// *Error naming where, on one line (the window and check print it so).
func checkConfigError(t *testing.T, err error, file string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a configuration error: %v", err, err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error is not one line: %q", msg)
	}
	if ce.File == "" || !strings.HasPrefix(msg, oneLine(ce.File)) {
		t.Fatalf("error does not name its file: %q", msg)
	}
}

// checkAccepted asserts that an accepted configuration is one the window
// can use as it is.
func checkAccepted(t *testing.T, c Config) {
	t.Helper()
	if err := c.validate(); err != nil {
		t.Fatalf("accepted a configuration that does not validate: %v", err)
	}
	if c.Simulator.Listen == "" {
		t.Fatal("accepted without the simulator's listen address")
	}
	if c.Environment == "simulator" && (c.TrustCentre.ClientID == "" || c.TrustCentre.ProductScope == "") {
		t.Fatalf("simulator without its client: %+v", c.TrustCentre)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(production))
	f.Add([]byte(""))
	f.Add([]byte("environment = \"preproduction\"\n[trust_centre]\nclient_id = \"c\"\nclient_secret = \"s\"\nproduct_scope = \"e9x4a6m254p663l4\"\n"))
	f.Add([]byte("[kiosk]\nidle_sign_out = 300\nidle_warning = \"30s\"\nlanguage = \"nl\"\nsign_in = \"both\"\n"))
	f.Add([]byte("[kiosk]\nidle_sign_out = \"5m\"\nidle_warning = \"10m\"\n"))
	f.Add([]byte("[[tools]]\nname = \"Diagnostics\"\ncommand = \"/opt/diag\"\nargs = [\"--kiosk\"]\n[[tools]]\nname = \"Diagnostics\"\ncommand = \"/x\"\n"))
	f.Add([]byte("[portal]\nurl = \"http://rmi.example/\"\nhandoff_url = \"https://[::1]:99999/\"\n"))
	f.Add([]byte("environment = \"production\"\n[simulator]\nlisten = \"0.0.0.0:0\"\n"))
	f.Add([]byte("[trust_centre]\npoll_interval = 1e400\nmax_code_age = -9223372036854775808\n"))
	f.Add([]byte("[trust_centre\nclient_secret = \"\x00\"\n"))
	f.Add([]byte("a.b.c.d = 1\n\"\\u0000\" = \"\\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("/etc/workshop-login/config.toml", data)
		if err != nil {
			checkConfigError(t, err, "/etc/workshop-login/config.toml")
			return
		}
		checkAccepted(t, c)
		again, err := Parse("/etc/workshop-login/config.toml", data)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("read twice, the same file gives %+v, %v and %+v", c, err, again)
		}
	})
}

// stringSettings are settings written as text, with where they end up.
var stringSettings = map[string]func(Config) string{
	"TRUST_CENTRE_CLIENT_ID":     func(c Config) string { return c.TrustCentre.ClientID },
	"TRUST_CENTRE_CLIENT_SECRET": func(c Config) string { return c.TrustCentre.ClientSecret.Reveal() },
	"KIOSK_ADMIN_KEYS":           func(c Config) string { return c.Kiosk.AdminKeys },
	"SIMULATOR_LISTEN":           func(c Config) string { return c.Simulator.Listen },
}

// FuzzEnvironmentLayers reads WORKSHOP_LOGIN_* variables of any name and
// value, with one more variable of any shape beside them.
func FuzzEnvironmentLayers(f *testing.F) {
	f.Add("TRUST_CENTRE_CLIENT_SECRET", `a "quoted" secret`, "HOME=/root")
	f.Add("TRUST_CENTRE_CLIENT_SECRET", "[s3cret-in-brackets", "")
	f.Add("TRUST_CENTRE_CLIENT_SECRET", "123456", "WORKSHOP_LOGIN_ENVIRONMENT=production")
	f.Add("TRUST_CENTRE_CLIENT_ID", " true ", "")
	f.Add("TRUST_CENTRE_EXTRA_SCOPES", `["profile"]`, "")
	f.Add("KIOSK_ADMIN_KEYS", "Ctrl+Alt+\u2028\x00\xff", "WORKSHOP_LOGIN_KIOSK_IDLE_SIGN_OUT=5m")
	f.Add("KIOSK_IDLE_SIGN_OUT", "[1, 2]", "WORKSHOP_LOGIN_=x")
	f.Add("ENVIRONMENT", "staging", "=WORKSHOP_LOGIN_KIOSK_LANGUAGE")
	f.Add("SIMULATOR_LISTEN", "0.0.0.0:0", "WORKSHOP_LOGIN_KIOSK_A.B=1")
	f.Add("PORTAL_URL", "javascript:alert(1)", "WORKSHOP_LOGIN_PORTAL_URL\n[kiosk]=x")
	f.Add("MANUFACTURERS", `[{name = "A", url = "https://relay.a.eu"}, {name = "B", client_id = "b", client_secret = "s3cret", product_scope = "e9x4a6m254p663l4"}]`, "")
	f.Add("TOOLS", "[]\n[kiosk]\nname = \"x\"", "WORKSHOP_LOGIN_MANUFACTURERS=[{")
	f.Fuzz(func(t *testing.T, name, value, other string) {
		environ := []string{envPrefix + name + "=" + value, other}
		layers := EnvironmentLayers(environ)
		if len(layers) > len(environ) {
			t.Fatalf("%d layers from %d variables", len(layers), len(environ))
		}
		for _, l := range layers {
			if !strings.HasPrefix(l.Name, "$"+envPrefix) {
				t.Fatalf("layer %q is not a WORKSHOP_LOGIN_ variable", l.Name)
			}
		}
		if len(layers) == 0 {
			return
		}
		c, err := ParseLayers(layers)
		if err != nil {
			checkConfigError(t, err, "")
			// A secret is never repeated in a message (it is printed, and
			// may be logged).
			if strings.EqualFold(name, "TRUST_CENTRE_CLIENT_SECRET") {
				if secret := strings.Trim(strings.TrimSpace(value), "[]"); len(secret) >= 6 && strings.Contains(err.Error(), secret) {
					t.Fatalf("error repeats the client secret: %q", err)
				}
			}
			return
		}
		checkAccepted(t, c)
		// A text setting reads as exactly the text given.
		v := strings.TrimSpace(value)
		if get := stringSettings[name]; get != nil && len(layers) == 1 && utf8.ValidString(value) &&
			v != "true" && v != "false" && !strings.HasPrefix(v, "[") && get(c) != value {
			t.Fatalf("$%s%s=%q reads as %q", envPrefix, name, value, get(c))
		}
	})
}
