package config

import (
	"reflect"
	"slices"
	"sort"

	"github.com/BurntSushi/toml"
)

// The file's two lists of tables, [[tools]] and [[manufacturers]]: a layer
// that sets one replaces the list of the layers before it, as a fleet's
// administrator expects (ui/README.md's promise for [[tools]]).

// readList reads the entries of the list section ("tools" or
// "manufacturers"), once per layer.
func (p *parsed) readList(md *toml.MetaData, section string, prim toml.Primitive) error {
	switch section {
	case "tools":
		if p.setsTools {
			return nil
		}
		entries, err := readEntries(md, section, prim, toolSchema, reflect.TypeFor[Tool]())
		if err != nil {
			return err
		}
		p.setsTools, p.tools = true, nil
		for _, e := range entries {
			p.tools = append(p.tools, e.Interface().(Tool))
		}
	case "manufacturers":
		if p.setsManufacturers {
			return nil
		}
		entries, err := readEntries(md, section, prim, manufacturerSchema, reflect.TypeFor[Manufacturer]())
		if err != nil {
			return err
		}
		p.setsManufacturers, p.manufacturers = true, nil
		for _, e := range entries {
			p.manufacturers = append(p.manufacturers, e.Interface().(Manufacturer))
		}
	}
	return nil
}

// readEntries decodes each [[section]] entry as a value of typ, key by key
// in the document's order, so the first mistake is the one reported.
func readEntries(md *toml.MetaData, section string, prim toml.Primitive, keys map[string]*setting, typ reflect.Type) ([]reflect.Value, error) {
	var entries []map[string]toml.Primitive
	err := md.PrimitiveDecode(prim, decodeWith(func(data any) error {
		switch list := data.(type) {
		case []map[string]any:
			return nil
		case []any:
			for _, item := range list {
				if _, ok := item.(map[string]any); !ok {
					return mismatch(item, "table (a [["+section+"]] entry)")
				}
			}
			return nil
		}
		return mismatch(data, "list of tables ([["+section+"]])")
	}))
	if err == nil {
		err = md.PrimitiveDecode(prim, &entries)
	}
	if err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, key := range slices.Backward(md.Keys()) {
		order[key.String()] = i // the first, of several entries
	}
	var out []reflect.Value
	for _, entry := range entries {
		v := reflect.New(typ).Elem()
		names := make([]string, 0, len(entry))
		for name := range entry {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { // in the document's order
			return order[toml.Key{section, names[i]}.String()] < order[toml.Key{section, names[j]}.String()]
		})
		for _, name := range names {
			key := toml.Key{section, name}.String()
			s := keys[key]
			if s == nil {
				return nil, unknown("", key)
			}
			value, err := decodeValue(md, entry[name], s)
			if err != nil {
				return nil, err
			}
			v.FieldByIndex(s.index).Set(value)
		}
		out = append(out, v)
	}
	return out, nil
}

// isList says whether key names one of the lists of tables.
func isList(key string) bool { return key == "tools" || key == "manufacturers" }

// parseListVariable reads WORKSHOP_LOGIN_TOOLS or WORKSHOP_LOGIN_MANUFACTURERS:
// the whole list in TOML's inline form, [{name = "A", url = "https://…"}],
// which replaces the files' list as a file's [[tools]] does. A mistake in
// its syntax is named without quoting the text, which may hold a client
// secret, and it may set nothing but its list.
func parseListVariable(l Layer) (*parsed, error) {
	doc := l.Key + " = " + l.Value
	example := `[{name = "…", command = "/path/to/tool"}]`
	if l.Key == "manufacturers" {
		example = `[{name = "…", url = "https://…"}, {name = "…", url = "https://…"}]`
	}
	var probe map[string]any
	if _, err := toml.Decode(doc, &probe); err != nil {
		return nil, &Error{File: l.Name, Key: l.Key, Problem: "is not a list of tables in TOML's inline form",
			Fix: "write it as " + example}
	}
	if _, ok := probe[l.Key]; !ok || len(probe) != 1 {
		return nil, &Error{File: l.Name, Key: l.Key, Problem: "sets more than its list",
			Fix: "give the list alone, as " + example + "; set other settings in their own variables"}
	}
	return parseFile(Layer{Name: l.Name, Data: []byte(doc)})
}
