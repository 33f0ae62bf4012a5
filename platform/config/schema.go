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
	index   []int
	typ     reflect.Type
}

// schema is every setting of the file but those of a [[tools]] entry
// (toolSchema): the key people write, and the field of Config it sets.
// auth.Settings has no knowledge of the file; its fields are named here.
var schema = table(reflect.TypeFor[Config](), []setting{
	{key: "environment", field: "Environment"},

	{key: "trust_centre.issuer", field: "TrustCentre.Issuer"},
	{key: "trust_centre.authorize_path", field: "TrustCentre.AuthorizePath"},
	{key: "trust_centre.token_path", field: "TrustCentre.TokenPath"},
	{key: "trust_centre.user_info_host", field: "TrustCentre.UserInfoHost"},
	{key: "trust_centre.user_info_path", field: "TrustCentre.UserInfoPath"},
	{key: "trust_centre.id_token_issuer", field: "TrustCentre.IDTokenIssuer"},
	{key: "trust_centre.jwks_url", field: "TrustCentre.JWKSURL"},
	{key: "trust_centre.client_id", field: "TrustCentre.ClientID"},
	{key: "trust_centre.client_secret", field: "TrustCentre.ClientSecret"},
	{key: "trust_centre.client_auth", field: "TrustCentre.ClientAuth"},
	{key: "trust_centre.product_scope", field: "TrustCentre.ProductScope"},
	{key: "trust_centre.extra_scopes", field: "TrustCentre.ExtraScopes", example: `["profile"]`},
	{key: "trust_centre.poll_interval", field: "TrustCentre.PollInterval"},
	{key: "trust_centre.qr_lifetime", field: "TrustCentre.QRLifetime"},
	{key: "trust_centre.min_qr_lifetime", field: "TrustCentre.MinQRLifetime"},
	{key: "trust_centre.qr_refresh_lead", field: "TrustCentre.QRRefreshLead"},
	{key: "trust_centre.max_code_age", field: "TrustCentre.MaxCodeAge"},
	{key: "trust_centre.http_timeout", field: "TrustCentre.HTTPTimeout"},
	{key: "trust_centre.token_timeout", field: "TrustCentre.TokenTimeout"},
	{key: "trust_centre.max_retry_wait", field: "TrustCentre.MaxRetryWait"},
	{key: "trust_centre.identity_retry_limit", field: "TrustCentre.IdentityRetryLimit"},
	{key: "trust_centre.web_authorize_path", field: "TrustCentre.WebAuthorizePath"},
	{key: "trust_centre.redirect_uri", field: "TrustCentre.RedirectURI"},
	{key: "trust_centre.allowed_redirect_uris", field: "TrustCentre.AllowedRedirectURIs", example: `["http://127.0.0.1:53682/callback"]`},
	{key: "trust_centre.web_login_timeout", field: "TrustCentre.WebLoginTimeout"},
	{key: "trust_centre.web_prompt_login", field: "TrustCentre.WebPromptLogin"},
	{key: "trust_centre.web_max_age", field: "TrustCentre.WebMaxAge"},

	{key: "simulator.listen", field: "Simulator.Listen"},
	{key: "simulator.public_url", field: "Simulator.PublicURL"},
	{key: "simulator.session_lifetime", field: "Simulator.SessionLifetime"},
	{key: "simulator.direct", field: "Simulator.Direct"},
	{key: "simulator.manufacturers", field: "Simulator.Manufacturers", example: `["Demo manufacturer A", "Demo manufacturer B"]`},

	{key: "kiosk.kiosk_mode", field: "Kiosk.KioskMode"},
	{key: "kiosk.admin_keys", field: "Kiosk.AdminKeys"},
	{key: "kiosk.sign_out_keys", field: "Kiosk.SignOutKeys"},
	{key: "kiosk.deeplink_button", field: "Kiosk.DeeplinkButton"},
	{key: "kiosk.high_contrast", field: "Kiosk.HighContrast"},
	{key: "kiosk.large_text", field: "Kiosk.LargeText"},
	{key: "kiosk.language", field: "Kiosk.Language"},
	{key: "kiosk.idle_sign_out", field: "Kiosk.IdleSignOut"},
	{key: "kiosk.idle_warning", field: "Kiosk.IdleWarning"},
	{key: "kiosk.sign_in", field: "Kiosk.SignIn"},
	{key: "kiosk.codes", field: "Kiosk.Codes"},
	{key: "kiosk.code_rest_after", field: "Kiosk.CodeRestAfter"},
	{key: "kiosk.name", field: "Kiosk.Name"},

	{key: "relay.url", field: "Relay.URL"},

	{key: "portal.url", field: "Portal.URL"},
	{key: "portal.handoff_url", field: "Portal.HandoffURL"},
})

// toolSchema is the settings of one [[tools]] entry, fields of Tool.
var toolSchema = table(reflect.TypeFor[Tool](), []setting{
	{key: "tools.name", field: "Name"},
	{key: "tools.command", field: "Command"},
	{key: "tools.args", field: "Args", example: `["--vin-from-stdin"]`},
	{key: "tools.dir", field: "Dir"},
	{key: "tools.pass_access_token", field: "PassAccessToken"},
	{key: "tools.end_at_sign_out", field: "EndAtSignOut"},
	{key: "tools.manufacturer", field: "Manufacturer"},
})

// manufacturerSchema is the settings of one [[manufacturers]] entry.
var manufacturerSchema = table(reflect.TypeFor[Manufacturer](), []setting{
	{key: "manufacturers.name", field: "Name"},
	{key: "manufacturers.url", field: "URL"},
	{key: "manufacturers.client_id", field: "ClientID"},
	{key: "manufacturers.client_secret", field: "ClientSecret"},
	{key: "manufacturers.product_scope", field: "ProductScope"},
	{key: "manufacturers.portal_url", field: "PortalURL"},
	{key: "manufacturers.portal_handoff_url", field: "PortalHandoffURL"},
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
