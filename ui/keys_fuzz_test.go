package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

// pressable are the key names a keyboard can send that ParseKeys may give.
func pressable(name fyne.KeyName) bool {
	switch name {
	case fyne.KeyEscape, fyne.KeyDelete, fyne.KeyHome, fyne.KeyEnd,
		fyne.KeyF1, fyne.KeyF2, fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF6,
		fyne.KeyF7, fyne.KeyF8, fyne.KeyF9, fyne.KeyF10, fyne.KeyF11, fyne.KeyF12:
		return true
	}
	return len(name) == 1 && (name[0] >= 'A' && name[0] <= 'Z' || name[0] >= '0' && name[0] <= '9')
}

func FuzzParseKeys(f *testing.F) {
	for _, s := range []string{"Ctrl+Alt+Q", "Ctrl+L", "ctrl + shift + escape", "Super+F12", "Ctrl+Nope", "Q", "Ctrl+", "+", "Alt+F0", "Ctrl+F13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseKeys(text)
		if err != nil {
			if s != nil {
				t.Fatalf("%q: a shortcut and an error", text)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("%q: error is not one line: %q", text, err)
			}
			return
		}
		// What is accepted can be pressed, and needs a modifier.
		if s.Modifier == 0 || !pressable(s.KeyName) {
			t.Fatalf("%q accepted as %+v, which no keyboard sends", text, s)
		}
		// Written back in the canonical form, it reads the same.
		var parts []string
		for _, m := range []struct {
			mod  fyne.KeyModifier
			name string
		}{{fyne.KeyModifierControl, "Ctrl"}, {fyne.KeyModifierAlt, "Alt"}, {fyne.KeyModifierShift, "Shift"}, {fyne.KeyModifierSuper, "Super"}} {
			if s.Modifier&m.mod != 0 {
				parts = append(parts, m.name)
			}
		}
		canonical := strings.Join(append(parts, string(s.KeyName)), "+")
		again, err := ParseKeys(canonical)
		if err != nil || again.Modifier != s.Modifier || again.KeyName != s.KeyName {
			t.Fatalf("%q gave %+v; its canonical form %q gives %+v, %v", text, s, canonical, again, err)
		}
	})
}
