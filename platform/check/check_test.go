package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/config"
)

// trustCentre serves discovery as answer says and returns an engine on it.
func trustCentre(t *testing.T, answer func(w http.ResponseWriter, issuer string)) (auth.Settings, *auth.Passwordless) {
	t.Helper()
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != auth.DiscoveryPath {
			http.NotFound(w, r)
			return
		}
		answer(w, issuer)
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.ClientID, s.ClientSecret, s.ProductScope = srv.URL, "kiosk", "secret", "e9x4a6m254p663l4"
	s.HTTPTimeout = 2 * time.Second
	engine, err := auth.NewPasswordless(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, engine
}

func rowsByName(rows []Row) map[string]Row {
	m := map[string]Row{}
	for _, r := range rows {
		m[r.Check] = r
	}
	return m
}

// What the discovery document said, and what is used: a Trust Centre
// without one is fine, one that fails is a warning (sign-in works with
// the fallbacks), and neither is a failure.
func TestDiscoveryRows(t *testing.T) {
	t.Run("a document", func(t *testing.T) {
		s, engine := trustCentre(t, func(w http.ResponseWriter, issuer string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":"%[1]s/oauth2/token.json","userinfo_endpoint":"%[1]s/oauth2/userinfo",
				"jwks_uri":"%[1]s/oauth2/keys","id_token_signing_alg_values_supported":["RS256"],
				"token_endpoint_auth_methods_supported":["client_secret_post"]}`, issuer)
		})
		rows := rowsByName(Discovery(context.Background(), s, engine))
		d, e := rows["discovery"], rows["endpoints"]
		if d.Result != OK || !strings.HasPrefix(d.Detail, s.Issuer+"/.well-known/openid-configuration: issuer "+s.Issuer) ||
			!strings.Contains(d.Detail, "token "+s.Issuer+"/oauth2/token.json") || !strings.Contains(d.Detail, "client authentication client_secret_post") {
			t.Errorf("discovery row %+v", d)
		}
		for _, want := range []string{
			"token " + s.Issuer + "/oauth2/token.json (discovery)", "user info " + s.Issuer + "/oauth2/userinfo (discovery)",
			"keys " + s.Issuer + "/oauth2/keys (discovery)", "ID-token algorithms RS256", "client authentication post (discovery)",
		} {
			if e.Result != OK || !strings.Contains(e.Detail, want) {
				t.Errorf("endpoints row %+v lacks %q", e, want)
			}
		}
	})
	t.Run("none", func(t *testing.T) {
		s, engine := trustCentre(t, func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusNotFound) })
		s.TokenPath = "/oauth2/token.json" // a setting wins, and says so
		engine, _ = auth.NewPasswordless(s)
		rows := Discovery(context.Background(), s, engine)
		d, e := rows[0], rows[1]
		if d.Check != "discovery" || d.Result != OK || !strings.HasPrefix(d.Detail, "none: using settings and fallbacks") || d.WhatToDo != "" {
			t.Errorf("discovery row %+v", d)
		}
		for _, want := range []string{"token " + s.Issuer + "/oauth2/token.json (setting)", "user info " + s.Issuer + "/user_info.json (fallback)", "keys none (fallback)"} {
			if !strings.Contains(e.Detail, want) {
				t.Errorf("endpoints row %+v lacks %q", e, want)
			}
		}
		if e.Result != Note || !strings.Contains(e.WhatToDo, "jwks_url") {
			t.Errorf("no keys known: %+v", e)
		}
		if AnyFailed(rows) {
			t.Error("no discovery document counted as a failure")
		}
	})
	t.Run("failed", func(t *testing.T) {
		s, engine := trustCentre(t, func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusInternalServerError) })
		rows := Discovery(context.Background(), s, engine)
		d, e := rows[0], rows[1]
		if d.Result != Warning || !strings.Contains(d.Detail, "could not be read") || !strings.Contains(d.Detail, "using settings and fallbacks") ||
			!strings.Contains(d.WhatToDo, "sign-in works") {
			t.Errorf("discovery row %+v", d)
		}
		if !strings.Contains(e.Detail, "token "+s.Issuer+"/oauth2/token (fallback)") {
			t.Errorf("endpoints row %+v", e)
		}
		if AnyFailed(rows) {
			t.Error("a failed discovery counted as a failure: sign-in works with the fallbacks")
		}
	})
	t.Run("not valid JSON", func(t *testing.T) {
		s, engine := trustCentre(t, func(w http.ResponseWriter, _ string) { fmt.Fprint(w, "<html>maintenance</html>") })
		if d := Discovery(context.Background(), s, engine)[0]; d.Result != Warning {
			t.Errorf("discovery row %+v", d)
		}
	})
}

// The engine's own error for "none" is recognised even when wrapped.
func TestDiscoveryNoneWrapped(t *testing.T) {
	s := auth.DefaultSettings(auth.EnvProduction)
	rows := Discovery(context.Background(), s, fakeDiscovery{err: fmt.Errorf("reading: %w", auth.ErrNoDiscovery)})
	if rows[0].Result != OK || !strings.HasPrefix(rows[0].Detail, "none: using settings and fallbacks") {
		t.Errorf("%+v", rows[0])
	}
	rows = Discovery(context.Background(), s, fakeDiscovery{err: errors.New("no answer from auth.digidentity.eu")})
	if rows[0].Result != Warning || !strings.Contains(rows[0].Detail, "no answer from auth.digidentity.eu") {
		t.Errorf("%+v", rows[0])
	}
}

type fakeDiscovery struct{ err error }

func (f fakeDiscovery) Discovery(context.Context) (*auth.Discovery, auth.Endpoints, error) {
	return nil, auth.DefaultSettings(auth.EnvProduction).Resolve(nil), f.err
}

func TestCodeLifetimeRow(t *testing.T) {
	s := auth.DefaultSettings(auth.EnvProduction)
	if r := CodeLifetime(s); r.Result != OK || !strings.HasPrefix(r.Detail, "learnt from the Trust Centre") || !strings.Contains(r.Detail, "10m0s") {
		t.Errorf("unset: %+v", r)
	}
	s.QRLifetime = 2 * time.Minute
	if r := CodeLifetime(s); r.Result != OK || !strings.HasPrefix(r.Detail, "qr_lifetime 2m0s, as configured") {
		t.Errorf("set: %+v", r)
	}
}

// A timing out of bounds fails the configuration row with the one line the
// window stops with: the message, then what to do.
func TestConfigurationRowIsTheWindowsLine(t *testing.T) {
	const base = "environment = \"production\"\n[trust_centre]\nclient_id = \"k\"\nclient_secret = \"s\"\nproduct_scope = \"e9x4a6m254p663l4\"\n"
	for _, bad := range []string{`poll_interval = "20s"`, `max_retry_wait = "11m"`, `max_code_age = "2h"`, `token_timeout = "0s"`,
		`identity_retry_limit = "1s"`, `http_timeout = 5`, `qr_lifetime = "5s"`} {
		cfg, err := config.Parse("/etc/workshop-login/config.toml", []byte(base+bad+"\n"))
		if err == nil {
			t.Errorf("%s accepted", bad)
			continue
		}
		key := "trust_centre." + strings.TrimSpace(strings.Split(bad, "=")[0])
		row := Configuration(cfg, err)
		if row.Result != Failed || row.Detail+"; "+row.WhatToDo != err.Error() || row.WhatToDo == "" ||
			!strings.HasPrefix(row.Detail, "/etc/workshop-login/config.toml: "+key+": ") {
			t.Errorf("%s: row %+v, the window's line %q", bad, row, err)
		}
		// In the table, the row wraps under itself and still says the line.
		var out bytes.Buffer
		Write(&out, []Row{row})
		_, table, _ := strings.Cut(out.String(), "\n")
		if got, want := strings.Join(strings.Fields(table), " "), "configuration FAILED "+row.Detail+" what to do: "+row.WhatToDo; got != want {
			t.Errorf("%s: the table says\n%s\nnot\n%s", bad, got, want)
		}
	}
}

// Administrators run check over remote shells, often 80 columns wide: the
// table fits them, a long detail wrapping under its own row, and what to
// do follows under it, so no line is broken by the terminal mid-word.
func TestTableFitsEightyColumns(t *testing.T) {
	rows := []Row{
		{Check: "configuration", Result: OK, Detail: `environment simulator (C:\ProgramData\WorkshopLogin\config.toml)`},
		{Check: "discovery", Result: OK, Detail: "http://127.0.0.1:44303/.well-known/openid-configuration: issuer http://127.0.0.1:44303, " +
			"authorization http://127.0.0.1:44303/oauth2/authorize, token http://127.0.0.1:44303/oauth2/token, " +
			"ID-token algorithms RS256, client authentication client_secret_basic client_secret_post none, PKCE S256"},
		{Check: "tool Diagnostics", Result: Failed, Detail: "/opt/diag/bin/diag: not found or not executable",
			WhatToDo: "install the tool, or correct its command in the configuration (a full path is safest)"},
	}
	var out bytes.Buffer
	if err := Write(&out, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, line := range lines {
		if len([]rune(line)) > Width {
			t.Errorf("%d columns, wider than %d:\n%s", len([]rune(line)), Width, line)
		}
	}
	if !strings.HasPrefix(lines[0], "CHECK") || !strings.Contains(lines[0], "DETAIL") {
		t.Fatalf("no header: %q", lines[0])
	}
	// Each row starts at the left edge; its continuation lines start under
	// the detail column, and together they say the result, the detail, then
	// what to do.
	result, detail := strings.Index(lines[0], "RESULT"), strings.Index(lines[0], "DETAIL")
	got := map[string]string{}
	var name string
	for _, line := range lines[1:] {
		if !strings.HasPrefix(line, " ") {
			name = strings.TrimSpace(line[:result])
			got[name] = line[result:]
			continue
		}
		if len(line) <= detail || strings.TrimSpace(line[:detail]) != "" || line[detail] == ' ' {
			t.Errorf("a continuation line not under the detail column:\n%s", line)
		}
		got[name] += " " + line
	}
	for _, r := range rows {
		want := string(r.Result) + " " + r.Detail
		if r.WhatToDo != "" {
			want += " what to do: " + r.WhatToDo
		}
		// Spaces aside: an address longer than the column is cut in two.
		if g := strings.Join(strings.Fields(got[r.Check]), ""); g != strings.Join(strings.Fields(want), "") {
			t.Errorf("%s:\n got %s\nwant %s", r.Check, got[r.Check], want)
		}
	}
}

// check says which way codes come, and what always costs for nobody.
func TestCodesRow(t *testing.T) {
	k := config.Kiosk{Codes: config.CodesOnDemand, CodeRestAfter: 2 * time.Minute}
	if row := Codes(k, 2*time.Second); row.Result != OK || !strings.Contains(row.Detail, "no request at rest") || !strings.Contains(row.Detail, "2m0s") {
		t.Errorf("on demand: %+v", row)
	}
	k.Codes = config.CodesAlways
	if row := Codes(k, 2*time.Second); row.Result != Note || !strings.Contains(row.Detail, "at least 1800 Trust Centre requests an hour for nobody") || !strings.Contains(row.WhatToDo, `"on_demand"`) {
		t.Errorf("always: %+v", row)
	}
}
