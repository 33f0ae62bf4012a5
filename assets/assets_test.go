package assets_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
)

var languages = []string{"en", "nl", "de", "fr"}

// Every state the engine can report must have words on the screen, in every
// language, with the same placeholders as the English.
func TestEveryLanguageCoversEveryMessage(t *testing.T) {
	english, err := assets.LoadCatalogue("en")
	if err != nil {
		t.Fatal(err)
	}
	placeholders := regexp.MustCompile(`{{[^}]*}}`)
	for _, language := range languages {
		c, err := assets.LoadCatalogue(language)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range auth.Messages {
			text, ok := c[string(key)]
			if !ok {
				t.Errorf("lang/%s.json lacks %s", language, key)
				continue
			}
			if got, want := placeholders.FindAllString(text, -1), placeholders.FindAllString(english[string(key)], -1); !slices.Equal(got, want) {
				t.Errorf("lang/%s.json %s has placeholders %v, English has %v", language, key, got, want)
			}
		}
		for key := range c {
			if _, ok := english[key]; !ok {
				t.Errorf("lang/%s.json has %s, which English lacks", language, key)
			}
		}
		for key, text := range english {
			if got, ok := c[key]; !ok {
				t.Errorf("lang/%s.json lacks %s", language, key)
			} else if !slices.Equal(placeholders.FindAllString(got, -1), placeholders.FindAllString(text, -1)) {
				t.Errorf("lang/%s.json %s has other placeholders than the English", language, key)
			}
		}
	}
}

func TestTemplatesFillIn(t *testing.T) {
	for language, want := range map[string]string{
		"en": "No connection to Digidentity: trying again in 8 s",
		"nl": "Geen verbinding met Digidentity: nieuwe poging over 8 s",
	} {
		c, err := assets.LoadCatalogue(language)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Text(string(auth.MsgOffline), map[string]int{"Seconds": 8}); got != want {
			t.Errorf("%s: offline reads %q, want %q", language, got, want)
		}
	}
}

func TestTextFillsInOnEveryCall(t *testing.T) {
	c := assets.Catalogue{"count": "{{.N}} left", "broken": "{{.N", "plain": "as is"}
	for _, n := range []int{3, 2, 3} {
		if got, want := c.Text("count", map[string]int{"N": n}), fmt.Sprint(n, " left"); got != want {
			t.Errorf("count = %q, want %q", got, want)
		}
	}
	for key, want := range map[string]string{"broken": "{{.N", "plain": "as is", "unknown": "unknown"} {
		for range 2 {
			if got := c.Text(key, nil); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
	}
	if got := c.Text("count", map[string]int{}); got != "{{.N}} left" {
		t.Errorf("with N missing, count = %q", got)
	}
}

func BenchmarkText(b *testing.B) {
	c, err := assets.LoadCatalogue("en")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c.Text(string(auth.MsgOffline), map[string]int{"Seconds": 8})
	}
}

// Every character of every language's messages is in the window's fonts,
// cut down to Latin: none of the kiosk's own words sends the window to the
// full fonts.
func TestTheWindowsFontsHoldEveryMessage(t *testing.T) {
	for name, data := range map[string][]byte{"text": assets.TextFont, "bold": assets.BoldFont} {
		face, err := font.ParseTTF(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the %s font: %v", name, err)
		}
		files, err := assets.Lang.ReadDir("lang")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			language := strings.TrimSuffix(f.Name(), ".json")
			c, err := assets.LoadCatalogue(language)
			if err != nil {
				t.Fatal(err)
			}
			missing := map[rune]string{}
			for key, text := range c {
				for _, r := range text {
					if _, ok := face.NominalGlyph(r); !ok && r >= ' ' {
						missing[r] = key
					}
				}
			}
			for r, key := range missing {
				t.Errorf("the %s font lacks %q (U+%04X) of %s's %s: widen assets/fonts/subset.sh", name, r, r, language, key)
			}
		}
	}
}
