package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui/state"
)

// render sets every visible text from the machine's View and the language,
// so a language switch or a new state changes every string at once.
func (k *Kiosk) render() {
	k.m.TakeChange()
	v := k.m.View()
	for caption, key := range k.captions {
		setText(caption, k.tr.text(key, nil))
	}
	k.renderChrome(v)
	k.renderSettings(v)
	settings := v.Screen == state.ScreenSettings
	setShown(k.settingsScreen, settings)
	k.renderRest(v)
	k.renderEnrol(v)
	if v.SignedIn && !v.Adding {
		k.signInScreen.Hide()
		k.renderTryAgain(v)
		k.renderSession(v)
		setShown(k.signedInScreen, !settings)
	} else {
		k.renderIdleWarning(v)
		k.signedInScreen.Hide()
		setShown(k.signInScreen, !settings && v.Screen != state.ScreenRest)
		k.renderCode(v)
	}
	k.renderManufacturers(v)
	k.relayout(v)
}

// renderCountdowns moves only what moves every second: the countdowns, the
// idle warning and the window's title.
func (k *Kiosk) renderCountdowns() {
	v := k.m.View()
	if v.SignedIn && !v.Adding {
		setText(k.remaining, k.text(v.Remaining))
	} else {
		k.renderCountdown(v)
	}
	k.renderIdleWarning(v)
	if title := k.windowTitle(v); k.Window.Title() != title {
		k.Window.SetTitle(title)
	}
}

// relayout lays the whole window out again when its texts changed size: a
// new language, screen or person. Not on every tick: only a countdown moves.
func (k *Kiosk) relayout(v state.View) {
	key := fmt.Sprint(k.tr.language, v.SignedIn, v.Screen, k.look.largeText, v.PersonID, len(v.Signed), v.Adding)
	if key == k.laidOut {
		return
	}
	k.laidOut = key
	k.Window.Content().Refresh()
}

// text translates t into the language on screen.
func (k *Kiosk) text(t state.Text) string {
	if t.Key == "" {
		return t.Plain
	}
	if t.Params == nil {
		return k.tr.text(t.Key, nil)
	}
	params := make(map[string]any, len(t.Params))
	for name, value := range t.Params {
		if inner, ok := value.(state.Text); ok {
			value = k.text(inner)
		}
		params[name] = value
	}
	return k.tr.text(t.Key, params)
}

// windowTitle tells the taskbar (and a test outside the process) who is
// here, and that an idle sign-out comes.
func (k *Kiosk) windowTitle(v state.View) string {
	title := k.tr.text("ui.title", nil)
	if v.SignedIn {
		title += ": " + v.Person
		if v.IdleLeft != "" {
			title = k.tr.text("ui.idle_title", map[string]string{"Time": v.IdleLeft}) + " · " + title
		}
	}
	return title
}

func (k *Kiosk) renderChrome(v state.View) {
	tr := k.tr
	setText(k.title, tr.text("ui.title", nil))
	k.Window.SetTitle(k.windowTitle(v))
	switch k.opts.Environment {
	case auth.EnvProduction:
		k.banner.Hide()
	case auth.EnvPreproduction:
		k.bannerText.Text = tr.text("ui.env_preproduction", nil)
		k.banner.Show()
	default:
		k.bannerText.Text = tr.text("ui.env_simulator", nil)
		k.banner.Show()
	}
	k.bannerText.Refresh()
	k.language.PlaceHolder = tr.text("ui.language", nil)
	k.deeplink.SetText(tr.text("ui.open_in_app", nil))
	k.signOut.SetText(tr.text("ui.sign_out", nil))
	k.portal.SetText(tr.text("ui.repair_portal", nil))
	k.staySignedIn.SetText(tr.text("ui.stay_signed_in", nil))
	k.webSignInBtn.SetText(tr.text("ui.web_sign_in", nil))
	setText(k.webHint, tr.text("ui.web_hint", nil))
	k.backToQR.SetText(tr.text("ui.back_to_qr", nil))
	k.tryAgainNow.SetText(tr.text("ui.try_again_now", nil))
}

func (k *Kiosk) renderSettings(v state.View) {
	tr := k.tr
	k.highContrast.Text = tr.text("ui.high_contrast", nil)
	k.highContrast.Refresh()
	k.largeText.Text = tr.text("ui.large_text", nil)
	k.largeText.Refresh()
	k.closeSettings.SetText(tr.text("ui.close", nil))
	setText(k.aboutVersion, k.opts.Version)
	env := map[auth.Environment]string{auth.EnvProduction: "ui.env_production", auth.EnvPreproduction: "ui.env_preproduction"}[k.opts.Environment]
	if env == "" {
		env = "ui.env_simulator"
	}
	setText(k.aboutEnvironment, tr.text(env, nil))
	setText(k.aboutReachability, k.text(v.Reachability))
	setText(k.aboutCodes, k.text(v.Codes))
}

// renderRest shows the rest screen, or hides it.
func (k *Kiosk) renderRest(v state.View) {
	rest := v.Screen == state.ScreenRest
	setShown(k.restScreen, rest)
	if !rest {
		return
	}
	setShown(k.restName, v.Name != "")
	setText(k.restName, v.Name)
	button, hint := "ui.rest_sign_in", "ui.rest_hint"
	switch {
	case v.EnrolOnWake:
		button, hint = "ui.rest_enrol", "ui.rest_hint_enrol"
	case len(k.vms) > 1:
		hint = "ui.choose_manufacturer"
	}
	k.restSignIn.SetText(k.tr.text(button, nil))
	setText(k.restHint, k.tr.text(hint, nil))
}

func (k *Kiosk) renderCode(v state.View) {
	k.setQR(v.CodeURI)
	k.renderCountdown(v)
	k.renderWeb(v)
	k.setVisible(k.deeplink, v.Deeplink)
}

// renderWeb shows the browser sign-in's buttons, and the QR code only
// where it is used.
func (k *Kiosk) renderWeb(v state.View) {
	if k.opts.WebSignIn == nil {
		return
	}
	k.setVisible(k.qr, v.ShowQR)
	k.setVisible(k.countdown, v.ShowQR)
	k.setVisible(k.webSignInBtn, !v.Web)
	k.setVisible(k.webHint, !v.Web)
	k.setVisible(k.backToQR, v.BackToQR)
}

// setVisible shows or hides a part of the sign-in screen; the code's square
// makes room for it, or takes it back.
func (k *Kiosk) setVisible(o fyne.CanvasObject, visible bool) {
	if visible == o.Visible() {
		return
	}
	setShown(o, visible)
	k.signInScreen.Refresh()
}

func setShown(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}

// setText changes a label only when its text changes: every SetText redraws.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// renderCountdown sets the code's countdown and the status line, whose
// "trying again in N s" counts down too, with its Try again now.
func (k *Kiosk) renderCountdown(v state.View) {
	setText(k.countdown, k.text(v.Countdown))
	setText(k.status, k.text(v.Status))
	k.renderTryAgain(v)
}

// renderTryAgain offers Try again now while the engine's busy or offline
// wait runs, if it can cut the wait short.
func (k *Kiosk) renderTryAgain(v state.View) {
	k.setVisible(k.tryAgainNow, v.TryAgainNow)
	k.setVisible(k.tryAgain, v.TryAgainNow)
}

// setQR draws the code for uri, once per code: the image is kept until the
// address changes.
func (k *Kiosk) setQR(uri string) {
	if uri == k.qrFor && k.qr.Image != nil {
		return
	}
	k.qrFor = uri
	img := blank()
	if uri != "" {
		if drawn, err := qrImage(uri); err == nil {
			img = drawn
			startup.Step("first QR code drawn")
			k.probe.codeDrawn()
		}
	}
	k.qr.Image = img
	k.qr.Refresh()
}

func (k *Kiosk) renderSession(v state.View) {
	tr := k.tr
	setText(k.heading, tr.text("ui.signed_in_heading", nil))
	k.singleUse.Hide()
	for value, text := range map[*widget.Label]state.Text{
		k.role: v.Role, k.company: v.Company, k.onBehalfOf: v.OnBehalfOf, k.garage: v.Garage,
		k.cab: v.CAB, k.authorisationUID: v.AuthorisationUID,
	} {
		setText(value, k.text(text))
	}
	if v.SingleUse {
		setText(k.singleUse, tr.text("ui.single_use", nil))
		k.singleUse.Show()
	}
	// Only the rows that apply to this person, with no gaps between them.
	var shown []fyne.CanvasObject
	for _, row := range k.rows {
		if row.value.Text == "" {
			row.value.Hide()
			continue
		}
		row.value.Show()
		shown = append(shown, row.caption, row.value)
	}
	if len(shown) != len(k.details.Objects) || shown[len(shown)-1] != k.details.Objects[len(k.details.Objects)-1] {
		k.details.Objects = shown
		k.details.Refresh()
	}
	setText(k.remaining, k.text(v.Remaining))
	k.renderIdleWarning(v)
	setShown(k.portal, v.Portal)
	setText(k.handoffStatus, k.text(v.HandoffStatus))
	if v.SessionNotSaved {
		setText(k.sessionNotSaved, tr.text("ui.not_kept", nil))
	} else {
		setText(k.sessionNotSaved, "")
	}
	if k.sessionNotSaved.Visible() != v.SessionNotSaved {
		setShown(k.sessionNotSaved, v.SessionNotSaved)
		k.signedInScreen.Refresh() // the note takes its room, or gives it back
	}
	if k.opts.Settings.SignOutKeys != "" {
		setText(k.signOutHint, tr.text("ui.sign_out_hint", map[string]string{"Keys": k.opts.Settings.SignOutKeys}))
	}
}
