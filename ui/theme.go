package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workshop-login/workshop-login/assets"
)

// kioskTheme is Fyne's theme, always light (a workshop is bright and a dark
// screen shows every greasy fingerprint), with two settings: high contrast
// (pure black on white, strong buttons) and larger text.
type kioskTheme struct {
	highContrast bool
	largeText    bool
}

var (
	black       = color.NRGBA{A: 0xff}
	white       = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	strongBlue  = color.NRGBA{R: 0x00, G: 0x35, B: 0x80, A: 0xff}
	warningBack = color.NRGBA{R: 0xff, G: 0xb0, B: 0x00, A: 0xff}
)

func (t kioskTheme) Color(name fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if t.highContrast {
		switch name {
		case theme.ColorNameBackground, theme.ColorNameInputBackground, theme.ColorNameMenuBackground,
			theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground:
			return white
		case theme.ColorNameForeground, theme.ColorNameInputBorder, theme.ColorNameSeparator,
			theme.ColorNamePlaceHolder, theme.ColorNameDisabled:
			return black
		case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
			return strongBlue
		case theme.ColorNameButton:
			return color.NRGBA{R: 0xd0, G: 0xd0, B: 0xd0, A: 0xff}
		case theme.ColorNameForegroundOnPrimary:
			return white
		}
	}
	return theme.DefaultTheme().Color(name, theme.VariantLight)
}

// The window's text and bold text come from Fyne's own fonts cut down to
// Latin (assets/fonts); a character outside it is drawn from the full font,
// loaded then. The other styles are Fyne's.
var (
	textFont = fyne.NewStaticResource("NotoSans-Regular-Latin.ttf", assets.TextFont)
	boldFont = fyne.NewStaticResource("NotoSans-Bold-Latin.ttf", assets.BoldFont)
)

func (t kioskTheme) Font(style fyne.TextStyle) fyne.Resource {
	switch {
	case style.Monospace || style.Symbol || style.Italic:
		return theme.DefaultTheme().Font(style)
	case style.Bold:
		return boldFont
	}
	return textFont
}

func (t kioskTheme) Icon(name fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(name)
}

func (t kioskTheme) Size(name fyne.ThemeSizeName) float32 {
	size := theme.DefaultTheme().Size(name)
	if t.largeText {
		switch name {
		case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
			theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
			return size * 1.4
		}
	}
	return size
}
