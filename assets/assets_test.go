package assets_test

import (
	"regexp"
	"slices"
	"testing"

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
