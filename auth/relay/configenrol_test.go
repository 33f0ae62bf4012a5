package relay_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth/relay"
)

func loadRelayConfig(t *testing.T, top string, sections ...string) (relay.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.toml")
	doc := top + `public_url = "https://relay.example.com"
kiosks_file = "kiosks"
[sealing]
keys_file = "seal.keys"
[signing]
keys_file = "signing.pem"
audience = "urn:example-vm:repair"
` + strings.Join(sections, "")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return relay.LoadConfig(path)
}

// "admin" stays the default; "garage" binds kiosks to their garage unless
// told otherwise; a misspelt policy says what to write.
func TestEnrolmentPolicyInRelayToml(t *testing.T) {
	for _, c := range []struct {
		top         string
		garage, bin bool
	}{
		{"", false, false},
		{"enrolment = \"garage\"\n", true, true},
		{"enrolment = \"garage\"\nbind_to_garage = false\n", true, false},
	} {
		cfg, err := loadRelayConfig(t, c.top)
		if err != nil {
			t.Fatalf("%q: %v", c.top, err)
		}
		ec, err := cfg.EnrolmentConfig(nil)
		if err != nil || ec.Garage != c.garage || ec.BindToGarage != c.bin || ec.Limits != relay.DefaultEnrolLimits {
			t.Errorf("%q: %+v, %v; want garage %v, bound %v, the default limits", c.top, ec, err, c.garage, c.bin)
		}
	}
	if _, err := loadRelayConfig(t, "", "[enrolment_limits]\ntrusted_proxies = [\"10.0.0.0\"]\n"); err == nil ||
		!strings.Contains(err.Error(), "not an address range") {
		t.Errorf("a proxy without its prefix length: %v", err)
	}
	if _, err := loadRelayConfig(t, "enrolment = \"garages\"\n"); err == nil || !strings.Contains(err.Error(), `use "admin"`) {
		t.Errorf("a misspelt policy: %v", err)
	}
}
