package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two manufacturers: one through its relay, one a direct client; each
// with its tools and portal.
const twoManufacturers = `
environment = "production"

[trust_centre]
poll_interval = "3s"

[[manufacturers]]
name = "Example Motors"
url = "https://relay.example-motors.eu"
portal_handoff_url = "https://rmi.example-motors.eu/sermi/handoff"

[[manufacturers]]
name = "Sample Trucks"
client_id = "sample-trucks-kiosk"
client_secret = "s3cret"
product_scope = "s4mpl3trucks0016"
portal_url = "https://rmi.sample-trucks.eu/"

[[tools]]
name = "Motors diagnostics"
command = "/opt/motors/diag"
manufacturer = "Example Motors"

[[tools]]
name = "Trucks diagnostics"
command = "/opt/trucks/diag"
manufacturer = "Sample Trucks"
`

func TestManufacturersList(t *testing.T) {
	// Each manufacturer may have a tool of one name: its row has its own.
	same := twoManufacturers + "[[tools]]\nname = \"Motors diagnostics\"\ncommand = \"/opt/trucks/motors\"\nmanufacturer = \"Sample Trucks\"\n"
	if _, err := Parse("t.toml", []byte(same)); err != nil {
		t.Errorf("a tool name of each manufacturer: %v", err)
	}
	if _, err := Parse("t.toml", []byte(same+"[[tools]]\nname = \"Motors diagnostics\"\ncommand = \"/x\"\nmanufacturer = \"Sample Trucks\"\n")); err == nil ||
		!strings.Contains(err.Error(), `tools: two tools are called "Motors diagnostics"`) {
		t.Errorf("two of one name for one manufacturer: %v", err)
	}
	c, err := Parse("t.toml", []byte(twoManufacturers))
	if err != nil {
		t.Fatal(err)
	}
	vms := c.VMs()
	if len(vms) != 2 {
		t.Fatalf("%d manufacturers, want 2", len(vms))
	}
	a, b := vms[0], vms[1]
	if a.Name != "Example Motors" || !a.OnRelay() || a.Relay.URL != "https://relay.example-motors.eu" ||
		a.Portal.HandoffURL == "" || len(a.Tools) != 1 || a.Tools[0].Name != "Motors diagnostics" {
		t.Errorf("first: %+v", a)
	}
	if b.Name != "Sample Trucks" || b.OnRelay() || b.TrustCentre.ClientID != "sample-trucks-kiosk" || b.TrustCentre.ProductScope != "s4mpl3trucks0016" ||
		b.TrustCentre.PollInterval.String() != "3s" || b.Portal.URL == "" || len(b.Tools) != 1 || b.Tools[0].Name != "Trucks diagnostics" {
		t.Errorf("second: %+v", b)
	}
}

// Today's configuration, with no [[manufacturers]], is a list of one with
// its relay, tools and portal.
func TestOneManufacturerAsBefore(t *testing.T) {
	c, err := Parse("t.toml", []byte(production+"\n[portal]\nurl = \"https://rmi.example-vm.com/\"\n[[tools]]\nname = \"Diagnostics\"\ncommand = \"/opt/diag\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	vms := c.VMs()
	if len(vms) != 1 || vms[0].Name != "" || vms[0].TrustCentre.ClientID != "garage-kiosk" || len(vms[0].Tools) != 1 || vms[0].Portal.URL == "" {
		t.Errorf("%+v", vms)
	}
	// One [[manufacturers]] entry: its tools need not name it.
	one := "environment = \"production\"\n[[manufacturers]]\nname = \"Example Motors\"\nurl = \"https://relay.example-motors.eu\"\n" +
		"[[tools]]\nname = \"Diagnostics\"\ncommand = \"/opt/diag\"\n"
	c, err = Parse("t.toml", []byte(one))
	if err != nil {
		t.Fatal(err)
	}
	if vms := c.VMs(); len(vms) != 1 || len(vms[0].Tools) != 1 {
		t.Errorf("%+v", vms)
	}
}

// Layers merge the list as they merge [[tools]]: a layer that sets it
// replaces it, one that does not keeps it.
func TestManufacturersLayers(t *testing.T) {
	dir := t.TempDir()
	system := writeFile(t, filepath.Join(dir, "etc.toml"), twoManufacturers)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "home"))
	writeFile(t, filepath.Join(dir, "home", "workshop-login", "config.toml"), "[kiosk]\nlanguage = \"nl\"\n")
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_POLL_INTERVAL", "4s")
	c, err := load(system, "")
	if err != nil {
		t.Fatal(err)
	}
	if vms := c.VMs(); len(vms) != 2 || vms[1].TrustCentre.PollInterval.String() != "4s" || c.Kiosk.Language != "nl" {
		t.Errorf("kept: %+v", vms)
	}
	explicit := writeFile(t, filepath.Join(dir, "site.toml"), "[[manufacturers]]\nname = \"Only\"\nurl = \"https://relay.only.eu\"\n[[tools]]\nname = \"D\"\ncommand = \"/d\"\n")
	c, err = load(system, explicit)
	if err != nil {
		t.Fatal(err)
	}
	if vms := c.VMs(); len(vms) != 1 || vms[0].Name != "Only" || len(vms[0].Tools) != 1 {
		t.Errorf("replaced: %+v", vms)
	}
	// A tool of a later layer that names a manufacturer the list lost is
	// blamed on that layer.
	explicit = writeFile(t, filepath.Join(dir, "tools.toml"), "[[tools]]\nname = \"D\"\ncommand = \"/d\"\nmanufacturer = \"Gone\"\n")
	if _, err := load(system, explicit); err == nil || !strings.HasPrefix(err.Error(), explicit+": tools.manufacturer:") {
		t.Errorf("err = %v", err)
	}
}

// The environment is a layer like the files: WORKSHOP_LOGIN_MANUFACTURERS
// and WORKSHOP_LOGIN_TOOLS give a whole list in TOML's inline form, which
// replaces the files' list, as a fleet's management sets a kiosk up.
// Mistakes name the variable and never quote its text (a client secret
// may be in it).
func TestListsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	system := writeFile(t, filepath.Join(dir, "etc.toml"), twoManufacturers)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "home"))
	t.Setenv("WORKSHOP_LOGIN_MANUFACTURERS", `[{name = "Only", url = "https://relay.only.eu"}, {name = "Direct", client_id = "d", client_secret = "d-secret", product_scope = "e9x4a6m254p663l4"}]`)
	t.Setenv("WORKSHOP_LOGIN_TOOLS", `[{name = "D", command = "/d", manufacturer = "Direct"}]`)
	c, err := load(system, "")
	if err != nil {
		t.Fatal(err)
	}
	vms := c.VMs()
	if len(vms) != 2 || vms[0].Name != "Only" || vms[0].Relay.URL != "https://relay.only.eu" || vms[1].TrustCentre.ClientSecret.Reveal() != "d-secret" ||
		len(vms[1].Tools) != 1 || vms[1].Tools[0].Name != "D" {
		t.Errorf("from the environment: %+v", vms)
	}
	for name, bad := range map[string]struct{ value, want string }{
		"broken syntax":            {`[{name = "A", client_secret = "s3cret-value`, "$WORKSHOP_LOGIN_MANUFACTURERS: manufacturers: is not a list of tables in TOML's inline form"},
		"another setting":          {"[]\nenvironment = \"production\"", "$WORKSHOP_LOGIN_MANUFACTURERS: manufacturers: sets more than its list"},
		"neither relay nor client": {`[{name = "A", url = "https://relay.a.eu"}, {name = "B"}]`, `$WORKSHOP_LOGIN_MANUFACTURERS: manufacturers.url: manufacturer "B" has neither`},
	} {
		t.Setenv("WORKSHOP_LOGIN_MANUFACTURERS", bad.value)
		_, err := load(system, "")
		if err == nil || !strings.HasPrefix(err.Error(), bad.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: err = %v, want %q", name, err, bad.want)
		}
	}
}

// Every bad input stops with one line: the file, the key and the fix.
func TestManufacturersMistakes(t *testing.T) {
	entry := func(lines ...string) string { return "[[manufacturers]]\n" + strings.Join(lines, "\n") + "\n" }
	relayA := entry(`name = "A"`, `url = "https://relay.a.eu"`)
	for name, c := range map[string]struct{ doc, want, fix string }{
		"two of one name": {relayA + entry(`name = "A"`, `url = "https://relay.b.eu"`),
			`t.toml: manufacturers.name: two manufacturers are called "A"`, "its own name"},
		"no name": {entry(`url = "https://relay.a.eu"`), "t.toml: manufacturers.name: manufacturer 1 has no name", "give each"},
		"neither relay nor client": {relayA + entry(`name = "B"`, `portal_url = "https://rmi.b.eu/"`),
			`t.toml: manufacturers.url: manufacturer "B" has neither a relay (url) nor a Trust Centre client (client_id)`, "set url"},
		"both relay and client": {entry(`name = "A"`, `url = "https://relay.a.eu"`, `client_id = "x"`),
			`t.toml: manufacturers.client_id: manufacturer "A" has both`, "keep only url"},
		"tool of an unknown manufacturer": {relayA + "[[tools]]\nname = \"D\"\ncommand = \"/d\"\nmanufacturer = \"B\"\n",
			`t.toml: tools.manufacturer: tool "D" names manufacturer "B", which is not configured`, `use one of "A"`},
		"tool of no manufacturer among two": {relayA + entry(`name = "B"`, `url = "https://relay.b.eu"`) + "[[tools]]\nname = \"D\"\ncommand = \"/d\"\n",
			`t.toml: tools.manufacturer: tool "D" names no manufacturer`, `"A", "B"`},
		"relay beside the list": {"[relay]\nurl = \"https://relay.x.eu\"\n" + relayA,
			"t.toml: relay.url: is set beside [[manufacturers]]", "move it into"},
		"relay not https":      {entry(`name = "A"`, `url = "http://relay.a.eu"`), `t.toml: manufacturers.url: manufacturer "A":`, ""},
		"client without scope": {entry(`name = "A"`, `client_id = "x"`, `client_secret = "y"`), `t.toml: manufacturers.product_scope: manufacturer "A":`, ""},
		"portal not https": {entry(`name = "A"`, `url = "https://relay.a.eu"`, `portal_url = "rmi.a.eu"`),
			`t.toml: manufacturers.portal_url: manufacturer "A": "rmi.a.eu" is not an https address`, "write the full address"},
		"unknown key":         {entry(`name = "A"`, `url = "https://relay.a.eu"`, `logo = "a.png"`), "t.toml: manufacturers.logo: is not a known setting", "check its spelling"},
		"a table, not a list": {"[manufacturers]\nname = \"A\"\n", "t.toml: manufacturers", "[[manufacturers]]"},
	} {
		_, err := Parse("t.toml", []byte("environment = \"production\"\n"+c.doc))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !strings.Contains(err.Error(), c.fix) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v\nwant %q ... %q", name, err, c.want, c.fix)
		}
	}
}

func writeFile(t *testing.T, path, doc string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
