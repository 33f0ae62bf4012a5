package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/workshop-login/workshop-login/auth"
)

// Layer is one source of settings: a file, or one environment variable.
type Layer struct {
	Name string // the file's path, or "$VARIABLE"
	Data []byte // a file's TOML
	// Key is the setting a variable sets ("trust_centre.client_secret"),
	// and Value its text; Key is empty for a file.
	Key, Value string
}

const envPrefix = "WORKSHOP_LOGIN_"

// EnvironmentLayers turns WORKSHOP_LOGIN_* variables into one-setting layers,
// e.g. WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET=… sets
// trust_centre.client_secret, and WORKSHOP_LOGIN_TOOLS and
// WORKSHOP_LOGIN_MANUFACTURERS a whole list. Variables of other sections
// are not settings and are left alone.
func EnvironmentLayers(environ []string) []Layer {
	var layers []Layer
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(name, envPrefix)
		if !ok {
			continue
		}
		key := strings.ToLower(rest)
		if key != "environment" && !isList(key) {
			section := ""
			for _, s := range sections {
				if k, ok := strings.CutPrefix(key, s+"_"); ok {
					section, key = s, s+"."+k
					break
				}
			}
			if section == "" {
				continue
			}
		}
		layers = append(layers, Layer{Name: "$" + name, Key: key, Value: value})
	}
	sort.Slice(layers, func(i, j int) bool { return layers[i].Name < layers[j].Name })
	return layers
}

// variableValue is what a variable's text means for a setting of type t: a
// boolean setting takes true or false, a list setting a list of strings in
// brackets (["profile"]), and every other setting the text as it is, a
// string, whatever it looks like, so a secret such as 123456, true or [abc
// is still text, and never echoed in a message. Anything else stays text,
// which the setting refuses without quoting it.
func variableValue(t reflect.Type, text string) any {
	v := strings.TrimSpace(text)
	switch t.Kind() {
	case reflect.Bool:
		if v == "true" || v == "false" {
			return v == "true"
		}
	case reflect.Slice:
		var list []string
		if strings.HasPrefix(v, "[") && json.Unmarshal([]byte(v), &list) == nil {
			items := make([]any, len(list))
			for i, s := range list {
				items[i] = s
			}
			return items
		}
	}
	return text
}

// Parse reads one configuration document; file names it in messages.
func Parse(file string, data []byte) (Config, error) {
	return ParseLayers([]Layer{{Name: file, Data: data}})
}

// parsed is one layer, read but not yet applied.
type parsed struct {
	name      string
	values    []value // in the order the layer gives them
	tools     []Tool
	setsTools bool
	// manufacturers, like tools, replace any earlier layer's list.
	manufacturers     []Manufacturer
	setsManufacturers bool
	defined           map[string]bool // the keys and sections it sets
	numbers           map[string]bool // the durations it gives as a bare number
}

type value struct {
	setting *setting
	v       reflect.Value
}

// ParseLayers applies layers in order, each overriding the keys it sets.
// The environment (and so the defaults) is the last one any layer names; a
// layer that sets [[tools]] or [[manufacturers]] replaces that list.
func ParseLayers(layers []Layer) (Config, error) {
	docs := make([]*parsed, len(layers))
	for i, l := range layers {
		var err error
		if l.Key != "" {
			docs[i], err = parseVariable(l)
		} else {
			docs[i], err = parseFile(l)
		}
		if err != nil {
			return Config{}, err
		}
	}
	c := Config{File: layers[len(layers)-1].Name, Environment: auth.EnvSimulator}
	envFrom := ""
	for _, p := range docs {
		for _, v := range p.values {
			if v.setting.key == "environment" {
				c.Environment, envFrom = auth.Environment(v.v.String()), p.name
			}
		}
	}
	switch c.Environment {
	case auth.EnvSimulator, auth.EnvPreproduction, auth.EnvProduction:
	default:
		return Config{}, &Error{File: envFrom, Key: "environment", Problem: fmt.Sprintf("%q is not an environment", c.Environment),
			Fix: `use "simulator", "preproduction" or "production"`}
	}
	c.TrustCentre, c.Kiosk = auth.DefaultSettings(c.Environment), defaultKiosk()
	for _, p := range docs {
		if err := p.apply(&c); err != nil {
			return Config{}, err
		}
	}
	c.fillSimulatorDefaults()
	if err := c.validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Key != "" {
			ce.File = lastDefining(docs, ce.Key, c.File)
			if isDuration(ce.Key) && definedAsNumber(docs, ce.Key) && !strings.Contains(ce.Fix, "in quotes") {
				ce.Fix = "write it as a duration in quotes (a bare number is nanoseconds): " + ce.Fix
			}
		}
		return Config{}, err
	}
	return c, nil
}

func newParsed(name string) *parsed {
	return &parsed{name: name, defined: map[string]bool{}, numbers: map[string]bool{}}
}

func unknown(file, key string) error {
	return &Error{File: file, Key: key, Problem: "is not a known setting",
		Fix: "check its spelling against workshop-login help config, or remove it"}
}

// parseVariable reads a variable's layer: its text as its setting's type.
func parseVariable(l Layer) (*parsed, error) {
	if isList(l.Key) {
		return parseListVariable(l)
	}
	p := newParsed(l.Name)
	section, _, _ := strings.Cut(l.Key, ".")
	p.defined[section], p.defined[l.Key] = true, true
	s := schema[l.Key]
	if s == nil {
		return nil, unknown(l.Name, l.Key)
	}
	v, err := convert(s.typ, variableValue(s.typ, l.Value))
	if err != nil {
		return nil, &Error{File: l.Name, Key: l.Key, Problem: err.Error(), Fix: fixFor(l.Key)}
	}
	p.values = append(p.values, value{s, v})
	return p, nil
}

// parseFile reads a file's layer, each key in the document's order with
// the type its setting takes. The TOML library's errors (toml.ParseError)
// give the line; the schema gives the key and how to write it.
func parseFile(l Layer) (*parsed, error) {
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(l.Data), &top)
	if err != nil {
		return nil, decodeError(l.Name, err)
	}
	p := newParsed(l.Name)
	tables := map[string]map[string]toml.Primitive{}
	table := func(section string) (map[string]toml.Primitive, error) {
		if t, ok := tables[section]; ok {
			return t, nil
		}
		var t map[string]toml.Primitive
		err := md.PrimitiveDecode(top[section], decodeWith(func(data any) error {
			if _, ok := data.(map[string]any); !ok {
				return mismatch(data, "table")
			}
			return nil
		}))
		if err == nil {
			err = md.PrimitiveDecode(top[section], &t)
		}
		tables[section] = t
		return t, err
	}
	for _, key := range md.Keys() {
		name := key.String()
		p.defined[key[0]], p.defined[name] = true, true
		switch {
		case key[0] == "tools" || key[0] == "manufacturers":
			if err := p.readList(&md, key[0], top[key[0]]); err != nil {
				return nil, decodeError(l.Name, err)
			}
		case len(key) == 1 && isSection(key[0]):
			if _, err := table(key[0]); err != nil {
				return nil, decodeError(l.Name, err)
			}
		case schema[name] != nil:
			prim := top[key[0]]
			if len(key) == 2 {
				t, err := table(key[0])
				if err != nil {
					return nil, decodeError(l.Name, err)
				}
				prim = t[key[1]]
			}
			v, err := decodeValue(&md, prim, schema[name])
			if err != nil {
				return nil, decodeError(l.Name, err)
			}
			if t := md.Type(key...); t == "Integer" || t == "Float" {
				p.numbers[name] = true
			}
			p.values = append(p.values, value{schema[name], v})
		case len(key) > 2 && schema[key[:2].String()] != nil:
			// inside a known setting's value, which decoding refused
		default:
			return nil, unknown(l.Name, name)
		}
	}
	return p, nil
}

func isSection(name string) bool {
	for _, s := range sections {
		if s == name {
			return true
		}
	}
	return false
}

// decodeValue decodes prim as s's type; a mismatch is a toml.ParseError.
func decodeValue(md *toml.MetaData, prim toml.Primitive, s *setting) (reflect.Value, error) {
	var v reflect.Value
	err := md.PrimitiveDecode(prim, decodeWith(func(data any) (err error) {
		v, err = convert(s.typ, data)
		return err
	}))
	return v, err
}

// apply sets the layer's values over c.
func (p *parsed) apply(c *Config) error {
	for _, v := range p.values {
		reflect.ValueOf(c).Elem().FieldByIndex(v.setting.index).Set(v.v)
	}
	if p.setsTools {
		c.Tools = p.tools
	}
	if p.setsManufacturers {
		c.Manufacturers = p.manufacturers
	}
	if c.Environment != auth.EnvSimulator && p.defined["simulator"] {
		return &Error{File: p.name, Key: "simulator", Problem: fmt.Sprintf("is set but the environment is %s", c.Environment),
			Fix: "remove the [simulator] section, or set environment = \"simulator\""}
	}
	return nil
}

// lastDefining names the last layer that sets key, or fallback when none
// does (a missing setting belongs in the most specific file); a key
// missing from a [[tools]] or [[manufacturers]] entry belongs in the layer
// whose list is used.
func lastDefining(docs []*parsed, key, fallback string) string {
	for i := len(docs) - 1; i >= 0; i-- {
		if docs[i].defined[key] {
			return docs[i].name
		}
	}
	if list, _, ok := strings.Cut(key, "."); ok && (list == "tools" || list == "manufacturers") {
		return lastDefining(docs, list, fallback)
	}
	return fallback
}

// definedAsNumber reports whether the last layer that sets key gives a bare
// number, which is read as a duration in nanoseconds.
func definedAsNumber(docs []*parsed, key string) bool {
	for i := len(docs) - 1; i >= 0; i-- {
		if docs[i].defined[key] {
			return docs[i].numbers[key]
		}
	}
	return false
}

// decodeError is the message for an error of the TOML library: its line,
// and the key it was reading with how to write that key's value.
func decodeError(file string, err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		ce.File = file
		return ce
	}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key := pe.LastKey
		problem := pe.Message
		if pe.Position.Line > 0 { // not a table only implied by a dotted key
			problem = fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
		}
		if key == "" {
			return &Error{File: file, Problem: problem, Fix: "fix the TOML syntax on that line"}
		}
		return &Error{File: file, Key: key, Problem: problem, Fix: fixFor(key)}
	}
	return &Error{File: file, Problem: err.Error()}
}
