package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// setting is one key of the file and the field it sets.
type setting struct {
	key     string // as written in the file: "trust_centre.poll_interval"
	field   string // its field: "TrustCentre.PollInterval" of Config, "Args" of Tool
	example string // a list setting's example value, for messages
	doc     string // one line for `workshop-login help config`
	index   []int
	typ     reflect.Type
}

// schema is every setting of the file but those of a [[tools]] entry
// (toolSchema): the key people write, and the field of Config it sets.
// auth.Settings has no knowledge of the file; its fields are named here.
var schema = table(reflect.TypeFor[Config](), []setting{
	{key: "environment", field: "Environment", doc: "which Trust Centre: simulator (embedded unless trust_centre.issuer is set), preproduction or production"},

	{key: "trust_centre.issuer", field: "TrustCentre.Issuer", doc: "the Trust Centre's address; https unless on this machine (127.0.0.1, ::1)"},
	{key: "trust_centre.authorize_path", field: "TrustCentre.AuthorizePath", doc: "the QR session request's path (no discovery field names it)"},
	{key: "trust_centre.token_path", field: "TrustCentre.TokenPath", doc: "the token request's path; empty: discovery's token_endpoint, else /oauth2/token"},
	{key: "trust_centre.user_info_host", field: "TrustCentre.UserInfoHost", doc: "scheme and host serving user info; empty: discovery's, else the issuer"},
	{key: "trust_centre.user_info_path", field: "TrustCentre.UserInfoPath", doc: "the user info path; empty: discovery's, else /user_info.json"},
	{key: "trust_centre.id_token_issuer", field: "TrustCentre.IDTokenIssuer", doc: "the iss an ID token must carry; empty: discovery's issuer, else the issuer"},
	{key: "trust_centre.jwks_url", field: "TrustCentre.JWKSURL", doc: "the keys that sign ID tokens; empty: discovery's jwks_uri"},
	{key: "trust_centre.client_id", field: "TrustCentre.ClientID", doc: "the VM's client registration at Digidentity"},
	{key: "trust_centre.client_secret", field: "TrustCentre.ClientSecret", doc: "the client's secret; better set by its variable than in the file"},
	{key: "trust_centre.client_auth", field: "TrustCentre.ClientAuth", doc: "basic (HTTP Basic), post (form fields) or none (a public client); empty: what discovery lists"},
	{key: "trust_centre.product_scope", field: "TrustCentre.ProductScope", doc: "the product scope; the scope sent is <product_scope> openid sermi"},
	{key: "trust_centre.extra_scopes", field: "TrustCentre.ExtraScopes", example: `["profile"]`, doc: "scopes appended to the scope sent"},
	{key: "trust_centre.poll_interval", field: "TrustCentre.PollInterval", doc: "between token polls, 1s to 15s; slow_down adds 5s"},
	{key: "trust_centre.qr_lifetime", field: "TrustCentre.QRLifetime", doc: "how long a QR code can be scanned, if Digidentity has said so; 0s: learnt from the Trust Centre"},
	{key: "trust_centre.min_qr_lifetime", field: "TrustCentre.MinQRLifetime", doc: "while qr_lifetime is unknown, how long a code stays at least: 10s to half of max_code_age"},
	{key: "trust_centre.qr_refresh_lead", field: "TrustCentre.QRRefreshLead", doc: "a new code is shown this long before the old one expires, 0s to 1m"},
	{key: "trust_centre.max_code_age", field: "TrustCentre.MaxCodeAge", doc: "how long any code is polled, 1m to 1h"},
	{key: "trust_centre.http_timeout", field: "TrustCentre.HTTPTimeout", doc: "per quick request (QR code, user info, keys, discovery), 100ms to 2m"},
	{key: "trust_centre.token_timeout", field: "TrustCentre.TokenTimeout", doc: "per token poll, 1s to 5m: a token answer cut off may be an approval lost"},
	{key: "trust_centre.max_retry_wait", field: "TrustCentre.MaxRetryWait", doc: "cap of the back-off while Digidentity cannot be reached, and of Retry-After: 1s to 10m"},
	{key: "trust_centre.identity_retry_limit", field: "TrustCentre.IdentityRetryLimit", doc: "how long an issued token's identity is retried, within the token's lifetime: 30s to 1h"},
	{key: "trust_centre.web_authorize_path", field: "TrustCentre.WebAuthorizePath", doc: "the web login's authorization path; empty: discovery's, else /oauth2/authorize"},
	{key: "trust_centre.redirect_uri", field: "TrustCentre.RedirectURI", doc: "the loopback address the browser returns to in the web login; required in production"},
	{key: "trust_centre.allowed_redirect_uris", field: "TrustCentre.AllowedRedirectURIs", example: `["http://127.0.0.1:53682/callback"]`, doc: "the redirect URIs Digidentity allowlisted; in production redirect_uri must be one"},
	{key: "trust_centre.web_login_timeout", field: "TrustCentre.WebLoginTimeout", doc: "how long the web login waits for the browser before showing the QR code again"},
	{key: "trust_centre.web_prompt_login", field: "TrustCentre.WebPromptLogin", doc: "the web login sends prompt=login: the next person authenticates even if the browser remembers someone"},
	{key: "trust_centre.web_max_age", field: "TrustCentre.WebMaxAge", doc: "sent as max_age; an older auth_time is refused; -1s sends none and checks none"},

	{key: "simulator.listen", field: "Simulator.Listen", doc: "the embedded simulator's address; 0.0.0.0:8787 lets a phone on the network open its pages"},
	{key: "simulator.public_url", field: "Simulator.PublicURL", doc: "the base of the QR code's address when the phone must use another address than the kiosk"},
	{key: "simulator.session_lifetime", field: "Simulator.SessionLifetime", doc: "how long the simulator's QR sessions live; 0s: its own default"},
	{key: "simulator.direct", field: "Simulator.Direct", doc: "sign in at the embedded simulator itself, without the embedded relay"},
	{key: "simulator.manufacturers", field: "Simulator.Manufacturers", example: `["Demo manufacturer A", "Demo manufacturer B"]`, doc: "the embedded simulator's demo manufacturers, each with a client and an embedded relay of its own"},

	{key: "kiosk.kiosk_mode", field: "Kiosk.KioskMode", doc: "full screen, no decorations; closing does nothing; only admin_keys quit"},
	{key: "kiosk.admin_keys", field: "Kiosk.AdminKeys", doc: "the keys that quit in kiosk mode"},
	{key: "kiosk.sign_out_keys", field: "Kiosk.SignOutKeys", doc: "the keys that sign the person out"},
	{key: "kiosk.deeplink_button", field: "Kiosk.DeeplinkButton", doc: "a button that opens the code in the Digidentity app, for a tablet that has it"},
	{key: "kiosk.high_contrast", field: "Kiosk.HighContrast", doc: "high contrast colours; also switchable on the screen"},
	{key: "kiosk.large_text", field: "Kiosk.LargeText", doc: "larger text; also switchable on the screen"},
	{key: "kiosk.language", field: "Kiosk.Language", doc: "en, nl, de or fr; empty follows the system"},
	{key: "kiosk.idle_sign_out", field: "Kiosk.IdleSignOut", doc: "sign out after this long without input to the machine; 0s never does"},
	{key: "kiosk.idle_warning", field: "Kiosk.IdleWarning", doc: "how long a warning counts down before the idle sign-out"},
	{key: "kiosk.sign_in", field: "Kiosk.SignIn", doc: "how people sign in: qr, web or both"},
	{key: "kiosk.codes", field: "Kiosk.Codes", doc: "when QR codes are fetched: on_demand (once someone touches the kiosk) or always"},
	{key: "kiosk.code_rest_after", field: "Kiosk.CodeRestAfter", doc: "with on_demand codes, the kiosk rests after this long without input"},
	{key: "kiosk.name", field: "Kiosk.Name", doc: "the kiosk's name on the rest screen (\"GARAGE JANSEN, bay 2\"); empty shows none"},

	{key: "relay.url", field: "Relay.URL", doc: "the VM's relay, when the kiosk signs in through one: https, or http on loopback only"},

	{key: "portal.url", field: "Portal.URL", doc: "the repair portal the window's portal button opens in the system browser"},
	{key: "portal.handoff_url", field: "Portal.HandoffURL", doc: "where the portal takes a session hand-off (a form post from a one-time local page); used instead of url"},
})

// toolSchema is the settings of one [[tools]] entry, fields of Tool.
var toolSchema = table(reflect.TypeFor[Tool](), []setting{
	{key: "tools.name", field: "Name", doc: "the tool's name on its button"},
	{key: "tools.command", field: "Command", doc: "the program to start for the person signed in"},
	{key: "tools.args", field: "Args", example: `["--vin-from-stdin"]`, doc: "its arguments (never a secret: every user can read a command line)"},
	{key: "tools.dir", field: "Dir", doc: "its working folder"},
	{key: "tools.pass_access_token", field: "PassAccessToken", doc: "give it the access token, on standard input only"},
	{key: "tools.end_at_sign_out", field: "EndAtSignOut", doc: "end it, and whatever it started, at sign-out"},
	{key: "tools.manufacturer", field: "Manufacturer", doc: "the manufacturer whose sessions the tool takes (a [[manufacturers]] name); empty: the first"},
})

// manufacturerSchema is the settings of one [[manufacturers]] entry.
var manufacturerSchema = table(reflect.TypeFor[Manufacturer](), []setting{
	{key: "manufacturers.name", field: "Name", doc: "the manufacturer's name on its tile and buttons; unique"},
	{key: "manufacturers.url", field: "URL", doc: "its relay's address (the kiosk's key for it from workshop-login enrol --relay URL)"},
	{key: "manufacturers.client_id", field: "ClientID", doc: "or, without a relay, its own Digidentity client (pre-production, single sites)"},
	{key: "manufacturers.client_secret", field: "ClientSecret", doc: "that client's secret; in a file only the kiosk's user reads, or in $WORKSHOP_LOGIN_MANUFACTURERS"},
	{key: "manufacturers.product_scope", field: "ProductScope", doc: "that client's product scope"},
	{key: "manufacturers.portal_url", field: "PortalURL", doc: "its repair portal"},
	{key: "manufacturers.portal_handoff_url", field: "PortalHandoffURL", doc: "where its portal takes a session hand-off"},
})

// sections are the tables of the file besides [[tools]].
var sections = []string{"trust_centre", "relay", "simulator", "kiosk", "portal"}

func table(of reflect.Type, settings []setting) map[string]*setting {
	m := make(map[string]*setting, len(settings))
	for i := range settings {
		s := &settings[i]
		t := of
		for _, name := range strings.Split(s.field, ".") {
			f, ok := t.FieldByName(name)
			if !ok {
				panic("config: " + of.String() + " has no field " + s.field)
			}
			s.index, t = append(s.index, f.Index...), f.Type
		}
		s.typ = t
		m[s.key] = s
	}
	return m
}

// lookup is the setting of key, also of a [[tools]] or [[manufacturers]]
// entry; nil if none.
func lookup(key string) *setting {
	if s := schema[key]; s != nil {
		return s
	}
	if s := toolSchema[key]; s != nil {
		return s
	}
	return manufacturerSchema[key]
}

// trustCentreKey names a field of auth.Settings as the file does:
// "trust_centre.poll_interval" for "PollInterval".
func trustCentreKey(field string) string {
	switch field {
	case "RelayURL":
		return "relay.url"
	case "RelayKioskKey":
		return "relay.kiosk_key"
	}
	if s := trustCentreFields[field]; s != nil {
		return s.key
	}
	return "trust_centre." + field
}

// trustCentreName names it within its section, as a message about a key of
// the section names the others: "poll_interval".
func trustCentreName(field string) string {
	return strings.TrimPrefix(trustCentreKey(field), "trust_centre.")
}

var trustCentreFields = func() map[string]*setting {
	m := map[string]*setting{}
	for _, s := range schema {
		if f, ok := strings.CutPrefix(s.field, "TrustCentre."); ok {
			m[f] = s
		}
	}
	return m
}()

var durationType = reflect.TypeFor[time.Duration]()

// convert makes data a value of type t: data is a TOML value, or a
// variable's text (a boolean or a list where t is one, see variableValue).
// A duration is text such as "5m"; a bare number of nanoseconds is taken,
// and explained if it is out of bounds.
func convert(t reflect.Type, data any) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	switch {
	case t == durationType:
		switch d := data.(type) {
		case string:
			dur, err := time.ParseDuration(d)
			if err != nil {
				return v, fmt.Errorf("invalid duration: %q", d)
			}
			v.SetInt(int64(dur))
			return v, nil
		case int64:
			v.SetInt(d)
			return v, nil
		}
	case t.Kind() == reflect.String:
		if s, ok := data.(string); ok {
			v.SetString(s)
			return v, nil
		}
	case t.Kind() == reflect.Bool:
		if b, ok := data.(bool); ok {
			v.SetBool(b)
			return v, nil
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		if list, ok := data.([]any); ok {
			v = reflect.MakeSlice(t, len(list), len(list))
			for i, item := range list {
				s, ok := item.(string)
				if !ok {
					return v, mismatch(item, "string (in the list)")
				}
				v.Index(i).SetString(s)
			}
			return v, nil
		}
	}
	return v, mismatch(data, typeName(t))
}

func mismatch(data any, want string) error {
	return fmt.Errorf("incompatible types: TOML value has type %s; destination has type %s",
		strings.ReplaceAll(fmt.Sprintf("%T", data), "interface {}", "any"), want)
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.Slice:
		return "list of strings"
	default:
		return t.Kind().String()
	}
}

// decodeWith decodes a TOML value with fn, so that fn's error becomes a
// toml.ParseError naming the value's key and line.
type decodeWith func(data any) error

func (fn decodeWith) UnmarshalTOML(data any) error { return fn(data) }

var _ toml.Unmarshaler = decodeWith(nil)

// isDuration reports whether key ("trust_centre.max_code_age") is a
// duration, so that every one, also those the engine adds later, is
// explained as one.
func isDuration(key string) bool {
	s := lookup(key)
	return s != nil && s.typ == durationType
}

// fixFor says how a value of the key is written.
func fixFor(key string) string {
	s := lookup(key)
	switch {
	case key == "tools":
		return "write each tool as a [[tools]] entry with its keys"
	case key == "manufacturers":
		return "write each manufacturer as a [[manufacturers]] entry with its keys"
	case s == nil && isSection(key):
		return "write it as a [" + key + "] section with its keys"
	case s == nil:
		return `write the value as a string in quotes`
	case s.typ == durationType && strings.HasPrefix(key, "kiosk.idle_"):
		return `write a duration in quotes, for example "5m" or "30s"`
	case s.typ == durationType:
		return `write a duration in quotes, for example "5s" or "2m"`
	case s.typ.Kind() == reflect.Bool:
		return "write true or false"
	case s.typ.Kind() == reflect.Slice:
		return "write a list of strings, for example " + s.example
	default:
		return `write the value as a string in quotes`
	}
}
