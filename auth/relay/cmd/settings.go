package relaycmd

import (
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/platform/config"
)

// trustCentreKeys are the kiosk's [trust_centre] keys a relay takes: those
// of the Trust Centre's calls the relay makes for its kiosks. The kiosk's
// own (poll_interval, the QR code's and the web login's) are refused as
// unknown, as they always were.
var trustCentreKeys = []string{"issuer", "client_id", "product_scope", "extra_scopes", "client_auth",
	"authorize_path", "token_path", "user_info_host", "user_info_path", "jwks_url", "id_token_issuer",
	"http_timeout", "token_timeout", "max_code_age", "identity_retry_limit"}

// trustCentreSettings are relay.toml's [trust_centre], read with the kiosk's key
// table into auth.Settings, so both files take the same keys into the
// same fields and name a wrong one alike ("relay.toml:
// trust_centre.max_code_age: …; …"); the client secret is read from
// client_secret_file or RELAY_CLIENT_SECRET.
func trustCentreSettings(cfg relay.Config) (auth.Settings, error) {
	file, section := cfg.File(), maps.Clone(cfg.TrustCentre)
	env, err := environment(file, section["environment"])
	if err != nil {
		return auth.Settings{}, err
	}
	secretFile, ok := section["client_secret_file"].(string)
	if _, set := section["client_secret_file"]; set && !ok {
		return auth.Settings{}, &config.Error{File: file, Key: "trust_centre.client_secret_file", Problem: "is not a file name",
			Fix: "write the file's path as a string in quotes"}
	}
	delete(section, "environment")
	delete(section, "client_secret_file")
	s := auth.DefaultSettings(env)
	if err := config.DecodeTrustCentre(file, section, trustCentreKeys, &s); err != nil {
		return auth.Settings{}, err
	}
	secret := os.Getenv(relay.ClientSecretEnv)
	if secretFile != "" {
		b, err := os.ReadFile(cfg.Path(secretFile))
		if err != nil {
			return auth.Settings{}, &config.Error{File: file, Key: "trust_centre.client_secret_file", Problem: "cannot be read: " + err.Error(),
				Fix: "name the file that holds the client's secret, or set " + relay.ClientSecretEnv + " instead"}
		}
		secret = strings.TrimSpace(string(b))
	}
	s.ClientSecret = auth.Secret(secret)
	if err := s.Validate(); err != nil {
		err = config.ExplainSettings(file, err)
		if ce, ok := err.(*config.Error); ok && ce.Key == "trust_centre.client_secret" { // never in relay.toml
			ce.Key, ce.Fix = "trust_centre.client_secret_file", "name the file that holds the client's secret, or set "+relay.ClientSecretEnv
		}
		return auth.Settings{}, err
	}
	return s, nil
}

// environment is the section's environment; production when not set.
func environment(file string, v any) (auth.Environment, error) {
	if v == nil {
		return auth.EnvProduction, nil
	}
	name, _ := v.(string)
	switch env := auth.Environment(name); env {
	case "":
		return auth.EnvProduction, nil
	case auth.EnvProduction, auth.EnvPreproduction, auth.EnvSimulator:
		return env, nil
	}
	return "", &config.Error{File: file, Key: "trust_centre.environment", Problem: fmt.Sprintf("%q is not an environment", fmt.Sprint(v)),
		Fix: "use production, preproduction or simulator"}
}
