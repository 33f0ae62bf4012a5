package config

import (
	"strings"
	"testing"
)

// Every key has its line in `workshop-login help config`: a key added to
// the schema without one fails here, not in the reference people read.
func TestEveryKeyHasADescription(t *testing.T) {
	docs := Reference()
	if keys := len(schema) + len(toolSchema) + len(manufacturerSchema); len(docs) != keys {
		t.Fatalf("the reference has %d keys, the schema %d", len(docs), keys)
	}
	for _, d := range docs {
		if strings.TrimSpace(d.Doc) == "" || strings.Contains(d.Doc, "\n") {
			t.Errorf("%s has no one-line description in schema.go (doc)", d.Key)
		}
		if d.Type == "" || d.Default == "" {
			t.Errorf("%s: type %q, default %q", d.Key, d.Type, d.Default)
		}
	}
}

func TestReferenceDefaults(t *testing.T) {
	want := map[string]string{
		"environment":                "\"simulator\"",
		"kiosk.idle_sign_out":        "\"5m\"",
		"kiosk.kiosk_mode":           "false",
		"trust_centre.poll_interval": "\"2s\"",
		"trust_centre.extra_scopes":  "[]",
		"relay.url":                  "none",
	}
	for _, d := range Reference() {
		if w, ok := want[d.Key]; ok && d.Default != w {
			t.Errorf("%s default %s, want %s", d.Key, d.Default, w)
		}
		if d.Key == "trust_centre.issuer" && !strings.Contains(d.Default, "production: \"https://") {
			t.Errorf("issuer default %s", d.Default)
		}
	}
}
