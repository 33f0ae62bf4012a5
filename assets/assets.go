// Package assets holds what the program shows besides code: the translated
// message catalogue (lang/*.json, in the format Fyne's lang package loads,
// with Go templates such as {{.Seconds}}).
package assets

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

// Icon is the product's icon, 512 px square (drawn as icon/icon.svg); the
// window shows it and the installers carry it.
//
//go:embed icon/icon.png
var Icon []byte

// WindowIcon is the icon at 128 px (drawn from icon/icon.svg), for the
// window: a desktop shows a window's icon at 16 to 128 px, and the
// window's start decodes and sends it to the display server, which at
// 512 px took ~20 ms of every start for pixels nobody sees.
//
//go:embed icon/window.png
var WindowIcon []byte

// TextFont and BoldFont are the window's fonts: Fyne's own Noto Sans
// Regular and Bold, cut down to Latin (fonts/subset.sh), which covers every
// character of the messages. Parsing the full fonts held more than half of
// the window's Go heap and a tenth of its build.
//
//go:embed fonts/NotoSans-Regular-Latin.ttf
var TextFont []byte

// BoldFont: see TextFont.
//
//go:embed fonts/NotoSans-Bold-Latin.ttf
var BoldFont []byte

// Lang holds one JSON file per language, named by its language tag.
//
//go:embed lang/*.json
var Lang embed.FS

// Catalogue is one language's messages.
type Catalogue map[string]string

// LoadCatalogue reads the messages of one language, e.g. "en".
func LoadCatalogue(language string) (Catalogue, error) {
	data, err := Lang.ReadFile("lang/" + language + ".json")
	if err != nil {
		return nil, fmt.Errorf("no messages for language %q", language)
	}
	var c Catalogue
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("messages for %q: %w", language, err)
	}
	return c, nil
}

// Text returns the message for key filled in with data; an unknown key comes
// back as itself, so a gap shows up without hiding the state.
func (c Catalogue) Text(key string, data any) string {
	text, ok := c[key]
	if !ok {
		return key
	}
	if !strings.Contains(text, "{{") {
		return text // nothing to fill in
	}
	t := parse(text)
	if t == nil {
		return text
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return text
	}
	return b.String()
}

// templates holds each message's template, parsed the first time it is shown
// (the countdowns are shown every second): text → *template.Template, or nil
// for a text that is no template. A catalogue's texts are few and fixed, so it
// stays small.
var templates sync.Map

func parse(text string) *template.Template {
	if t, ok := templates.Load(text); ok {
		return t.(*template.Template)
	}
	t, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		t = nil
	}
	templates.Store(text, t)
	return t
}
