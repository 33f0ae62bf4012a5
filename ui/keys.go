package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// ParseKeys reads a key combination as people write it, e.g. "Ctrl+Alt+Q"
// or "Ctrl+L": modifiers (Ctrl, Alt, Shift, Super) and one key.
func ParseKeys(text string) (*desktop.CustomShortcut, error) {
	parts := strings.Split(text, "+")
	s := &desktop.CustomShortcut{}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if i < len(parts)-1 {
			switch strings.ToLower(part) {
			case "ctrl", "control":
				s.Modifier |= fyne.KeyModifierControl
			case "alt":
				s.Modifier |= fyne.KeyModifierAlt
			case "shift":
				s.Modifier |= fyne.KeyModifierShift
			case "super", "win", "cmd":
				s.Modifier |= fyne.KeyModifierSuper
			default:
				return nil, fmt.Errorf("%q in %q is not Ctrl, Alt, Shift or Super", part, text)
			}
			continue
		}
		key := strings.ToUpper(part)
		switch {
		case len(key) == 1 && (key[0] >= 'A' && key[0] <= 'Z' || key[0] >= '0' && key[0] <= '9'):
		case fKey(key):
		case key == "ESCAPE", key == "DELETE", key == "HOME", key == "END":
			key = key[:1] + strings.ToLower(key[1:])
		default:
			return nil, fmt.Errorf("%q in %q is not a letter, digit, F1 to F12, Escape, Delete, Home or End", part, text)
		}
		s.KeyName = fyne.KeyName(key)
	}
	if s.Modifier == 0 {
		return nil, fmt.Errorf("%q needs Ctrl, Alt or Super, so nobody presses it by accident", text)
	}
	return s, nil
}

// fKey reports whether key is F1 to F12, the function keys a keyboard sends
// (F0, F13 or F01 would be accepted and could never be pressed).
func fKey(key string) bool {
	switch key {
	case "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12":
		return true
	}
	return false
}
