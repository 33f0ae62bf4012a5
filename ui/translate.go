package ui

import (
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/workshop-login/workshop-login/assets"
)

// The languages on the screen's language choice, in its order.
var languages = []struct{ code, name string }{
	{"en", "English"}, {"nl", "Nederlands"}, {"de", "Deutsch"}, {"fr", "Français"},
}

// translator holds the chosen language's catalogue, the only one loaded.
// Fyne picks one language for the process from the system, while a kiosk
// lets each person choose on the screen, so the chosen catalogue is kept
// here. The catalogues are not registered with Fyne's lang package: they
// hold only the kiosk's own messages, which Fyne never asks for, and
// parsing all four at start held the first code up for nothing.
type translator struct {
	language string
	messages assets.Catalogue
}

func newTranslator(language string) (*translator, error) {
	if language == "" {
		language = systemLanguage()
	}
	t := &translator{}
	return t, t.use(language)
}

func (t *translator) use(language string) error {
	c, err := assets.LoadCatalogue(language)
	if err != nil {
		return err
	}
	t.language, t.messages = language, c
	return nil
}

func (t *translator) text(key string, data any) string { return t.messages.Text(key, data) }

// systemLanguage is the closest screen language to the system's locale.
func systemLanguage() string {
	locale := strings.ToLower(lang.SystemLocale().String())
	for _, l := range languages {
		if locale == l.code || strings.HasPrefix(locale, l.code+"-") || strings.HasPrefix(locale, l.code+"_") {
			return l.code
		}
	}
	return "en"
}

func languageNames() []string {
	names := make([]string, len(languages))
	for i, l := range languages {
		names[i] = l.name
	}
	return names
}

func languageName(code string) string {
	for _, l := range languages {
		if l.code == code {
			return l.name
		}
	}
	return ""
}

func languageCode(name string) string {
	for _, l := range languages {
		if l.name == name {
			return l.code
		}
	}
	return ""
}
