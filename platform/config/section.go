package config

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/workshop-login/workshop-login/auth"
)

// DecodeTrustCentre reads a [trust_centre] section of another program's
// file (the relay's relay.toml), as toml decodes a table, into s through
// the kiosk's own key table: the same keys, the same fields of
// auth.Settings, the same errors (Error, naming the file, the key and the
// fix). names, when not nil, are the keys that program takes; another is
// refused as unknown. A value that is empty or zero leaves s's (the
// environment's default).
func DecodeTrustCentre(file string, section map[string]any, names []string, s *auth.Settings) error {
	for _, name := range slices.Sorted(maps.Keys(section)) {
		key := "trust_centre." + name
		st := schema[key]
		if st == nil || !strings.HasPrefix(st.field, "TrustCentre.") || names != nil && !slices.Contains(names, name) {
			return unknown(file, key)
		}
		v, err := convert(st.typ, section[name])
		if err != nil {
			return &Error{File: file, Key: key, Problem: err.Error(), Fix: fixFor(key)}
		}
		if !v.IsZero() && !(v.Kind() == reflect.Slice && v.Len() == 0) {
			reflect.ValueOf(s).Elem().FieldByName(strings.TrimPrefix(st.field, "TrustCentre.")).Set(v)
		}
	}
	return nil
}

// ExplainSettings is err, auth.Settings.Validate's, as the kiosk's file
// names it (Config.Explain), for another program's file.
func ExplainSettings(file string, err error) error {
	var se *auth.SettingError
	if !errors.As(err, &se) {
		return err
	}
	return settingError(file, se)
}
