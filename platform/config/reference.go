package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// KeyDoc is one key of the file as `workshop-login help config` shows it:
// made from the schema, so the reference cannot drift from what is read.
type KeyDoc struct {
	Key      string // "trust_centre.poll_interval"; "tools.name" is name in a [[tools]] entry
	Type     string // string, boolean, duration, list of strings
	Default  string // as written in the file; per environment where they differ
	Variable string // the environment variable that sets it; "" for the keys of a list's entry
	Doc      string
}

// Reference is every key of the file, section by section in the order
// the file's sections are read, then the keys of a [[tools]] entry and of
// a [[manufacturers]] entry.
func Reference() []KeyDoc {
	order := append([]string{""}, sections...)
	section := func(key string) int {
		s, _, ok := strings.Cut(key, ".")
		if !ok {
			s = ""
		}
		return slices.Index(order, s)
	}
	var docs []KeyDoc
	for key, s := range schema {
		docs = append(docs, KeyDoc{Key: key, Type: typeName(s.typ), Default: defaultOf(key, s),
			Variable: VariableName(key), Doc: s.doc})
	}
	slices.SortFunc(docs, func(a, b KeyDoc) int {
		if d := section(a.Key) - section(b.Key); d != 0 {
			return d
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, list := range []map[string]*setting{toolSchema, manufacturerSchema} {
		var entry []KeyDoc
		for key, s := range list {
			entry = append(entry, KeyDoc{Key: key, Type: typeName(s.typ), Default: show(reflect.Zero(s.typ)), Doc: s.doc})
		}
		slices.SortFunc(entry, func(a, b KeyDoc) int { return strings.Compare(a.Key, b.Key) })
		docs = append(docs, entry...)
	}
	return docs
}

// environments are those whose defaults the reference tells apart.
var environments = []auth.Environment{auth.EnvProduction, auth.EnvPreproduction, auth.EnvSimulator}

// defaultOf is key's value when no file or variable sets it: the
// environment's defaults (the simulator's fills its own client in), named
// per environment where they differ.
func defaultOf(key string, s *setting) string {
	if key == "environment" {
		return show(reflect.ValueOf(Defaults().Environment))
	}
	var values []string
	for _, env := range environments {
		c := Config{Environment: env, TrustCentre: auth.DefaultSettings(env), Kiosk: defaultKiosk()}
		c.fillSimulatorDefaults()
		values = append(values, show(reflect.ValueOf(c).FieldByIndex(s.index)))
	}
	if values[0] == values[1] && values[1] == values[2] {
		return values[0]
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(environments[i]) + ": " + v
	}
	return strings.Join(parts, "; ")
}

// show writes a value as the file would.
func show(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return strconv.Quote(shortDuration(time.Duration(v.Int())))
	case v.Kind() == reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case v.Kind() == reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = strconv.Quote(v.Index(i).String())
		}
		return "[" + strings.Join(items, ", ") + "]"
	case v.Kind() == reflect.String && v.String() == "":
		return "none"
	case v.Type() == reflect.TypeFor[auth.Secret]():
		return "set, not shown" // the simulator's own; a secret is never printed
	default:
		return strconv.Quote(fmt.Sprint(v.Interface()))
	}
}

// shortDuration is "5m" rather than time's "5m0s", as people write it.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
