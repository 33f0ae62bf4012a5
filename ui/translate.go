package ui

import (
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/workshop-login/workshop-login/assets"
)

// The languages on the screen's language choice, in its order.
var languages = []struct{ code, name string }{
	{"en", "English"}, {"nl", "Nederlands"}, {"de", "Deutsch"}, {"fr", "Français"},
}

var registerOnce sync.Once

// translator holds the chosen language's catalogue. The files are the ones
// Fyne's lang package loads (registered with it, so Fyne's own dialogs speak
// the same language); Fyne picks one language for the process from the
// system, while a kiosk lets each person choose on the screen, so the
// chosen catalogue is kept here.
type translator struct {
	language string
	messages assets.Catalogue
}

func newTranslator(language string) (*translator, error) {
	registerOnce.Do(func() {
		if err := lang.AddTranslationsFS(assets.Lang, "lang"); err != nil {
			fyne.LogError("loading translations into Fyne", err)
		}
	})
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
