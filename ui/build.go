package ui

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/platform/startup"
)

func (k *Kiosk) build() {
	k.bannerText = canvas.NewText("", black)
	k.bannerText.TextStyle.Bold = true
	k.bannerText.Alignment = fyne.TextAlignCenter
	k.banner = container.NewStack(canvas.NewRectangle(warningBack), container.NewPadded(k.bannerText))
	k.language = widget.NewSelect(languageNames(), func(name string) { k.setLanguage(languageCode(name)) })
	k.language.SetSelected(languageName(k.tr.language))
	k.settingsBtn = widget.NewButtonWithIcon("", theme.SettingsIcon(), k.act(k.m.OpenSettings))
	k.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	titleRow := container.NewBorder(nil, nil, nil,
		container.NewHBox(container.NewGridWrap(fyne.NewSize(170, k.language.MinSize().Height), k.language), k.settingsBtn), k.title)

	// Sign-in: the code as large as fits, its countdown, one status line.
	k.qr = canvas.NewImageFromImage(blank())
	k.qr.ScaleMode = canvas.ImageScalePixels // nearest neighbour: modules stay sharp
	k.qr.FillMode = canvas.ImageFillContain
	k.countdown = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.status = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.status.Wrapping = fyne.TextWrapWord
	k.tryAgainNow = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), k.act(k.m.RetryNow))
	k.tryAgain = container.NewCenter(k.tryAgainNow)
	k.tryAgainNow.Hide()
	k.tryAgain.Hide()
	k.deeplink = widget.NewButtonWithIcon("", theme.ComputerIcon(), k.act(k.m.OpenDeeplink))
	k.webSignInBtn = widget.NewButtonWithIcon("", theme.MailForwardIcon(), k.act(k.m.StartWeb))
	k.webHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.webHint.Wrapping = fyne.TextWrapWord
	k.backToQR = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), k.act(k.m.CancelWeb))
	k.backToQR.Hide()
	web := container.NewVBox(container.NewCenter(container.NewHBox(k.webSignInBtn, k.backToQR)), k.webHint)
	if k.opts.WebSignIn == nil {
		web.Hide()       // takes no room at all
		k.webHint.Hide() // nor loads the italic fonts when Fyne refreshes the hidden box
	}
	k.buildEnrol()
	below := container.NewVBox(k.countdown, k.status, k.enrolUI.codePlace, k.tryAgain, container.NewCenter(k.deeplink), web, k.enrolUI.cancelRow)
	k.signInScreen = container.New(qrLayout{}, k.qr, below)
	vmRows := container.NewVBox()

	// Signed in: who is here, the hand-offs, and a large Sign out.
	k.heading = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.heading.SizeName = theme.SizeNameHeadingText
	k.details = container.New(layout.NewFormLayout())
	for _, row := range []struct {
		caption string
		value   **widget.Label
	}{
		{"ui.role", &k.role}, {"ui.company", &k.company}, {"ui.garage", &k.garage}, {"ui.on_behalf_of", &k.onBehalfOf},
		{"ui.cab", &k.cab}, {"ui.authorisation_uid", &k.authorisationUID},
	} {
		caption := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		k.captions[caption] = row.caption
		*row.value = widget.NewLabel("")
		k.rows = append(k.rows, detailRow{caption, *row.value})
	}
	k.singleUse = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.singleUse.Wrapping = fyne.TextWrapWord
	k.remaining = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.portal = widget.NewButtonWithIcon("", theme.ComputerIcon(), k.act(k.m.OpenPortal))
	k.handoffStatus = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.sessionNotSaved = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.sessionNotSaved.Wrapping = fyne.TextWrapWord
	// The two italic notes are hidden until they have something to say:
	// Fyne lays out hidden screens too, and an empty but visible italic
	// label loads the italic fonts (~50 ms and 3 MB at every start).
	k.singleUse.Hide()
	k.sessionNotSaved.Hide()
	k.signOut = widget.NewButtonWithIcon("", theme.LogoutIcon(), k.act(k.m.SignOut))
	k.signOut.Importance = widget.HighImportance
	k.signOutHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	handoffs := container.NewHBox()
	if k.opts.Handoff != nil {
		for _, name := range k.opts.Handoff.Tools() {
			b := widget.NewButtonWithIcon(name, theme.MediaPlayIcon(), k.act(func() { k.m.LaunchTool(name) }))
			k.tools = append(k.tools, b)
			handoffs.Add(b)
		}
	}
	handoffs.Add(k.portal)
	k.idleWarning = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.idleWarning.Wrapping = fyne.TextWrapWord
	k.staySignedIn = widget.NewButtonWithIcon("", theme.ConfirmIcon(), k.act(k.m.Input))
	k.staySignedIn.Importance = widget.WarningImportance
	k.idleBox = container.NewStack(canvas.NewRectangle(warningBack),
		container.NewPadded(container.NewVBox(k.idleWarning, container.NewCenter(k.staySignedIn))))
	k.idleBox.Hide()
	handoffRow := container.NewCenter(handoffs)
	k.signedInScreen = container.NewVBox(k.heading, k.details, k.singleUse, k.remaining,
		handoffRow, vmRows, k.handoffStatus, k.sessionNotSaved, layout.NewSpacer(),
		container.New(bigButtonLayout{}, k.signOut), k.signOutHint)

	// Rest: the kiosk's name, a large Sign in, and the one line that says
	// any input will do.
	k.restName = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.restName.SizeName = theme.SizeNameHeadingText
	k.restName.Wrapping = fyne.TextWrapWord
	k.restSignIn = widget.NewButtonWithIcon("", theme.LoginIcon(), k.act(k.m.Input))
	k.restSignIn.Importance = widget.HighImportance
	k.restHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.restHint.Wrapping = fyne.TextWrapWord
	restSignIn := container.New(bigButtonLayout{least: fyne.NewSize(480, 120)}, k.restSignIn)
	k.buildManufacturers(below, vmRows)
	k.restScreen = container.NewVBox(layout.NewSpacer(), k.restName, k.enrolUI.restPlace, restSignIn, k.tiles, k.restHint, layout.NewSpacer())
	k.restScreen.Hide()
	if len(k.vms) > 1 {
		// The tiles take the place of Sign in, the rows that of the one
		// manufacturer's hand-offs.
		restSignIn.Hide()
		handoffRow.Hide()
	} else {
		vmRows.Hide()
	}

	// Settings and about.
	k.highContrast = widget.NewCheck("", func(on bool) { k.look.highContrast = on; k.applyTheme() })
	k.highContrast.SetChecked(k.look.highContrast)
	k.largeText = widget.NewCheck("", func(on bool) { k.look.largeText = on; k.applyTheme() })
	k.largeText.SetChecked(k.look.largeText)
	k.aboutVersion, k.aboutEnvironment, k.aboutReachability = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	k.aboutCodes = widget.NewLabel("")
	about := container.New(layout.NewFormLayout())
	for _, row := range []struct {
		caption string
		value   *widget.Label
	}{{"ui.version", k.aboutVersion}, {"ui.environment", k.aboutEnvironment}, {"ui.trust_centre", k.aboutReachability}, {"ui.codes", k.aboutCodes}} {
		caption := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		k.captions[caption] = row.caption
		about.Add(caption)
		about.Add(row.value)
	}
	k.closeSettings = widget.NewButtonWithIcon("", theme.CancelIcon(), k.act(k.m.CloseSettings))
	k.settingsScreen = container.NewVBox(k.highContrast, k.largeText, widget.NewSeparator(), about,
		container.NewCenter(container.NewHBox(k.enrolUI.start, k.closeSettings)))
	k.settingsScreen.Hide()
	k.signedInScreen.Hide()

	// Input anywhere in the window keeps the person signed in, also where
	// the system cannot tell idle time: a pointer over the background, a
	// tap, a key.
	input := k.act(k.m.Input)
	// The idle warning is above every screen: a person signed in may be
	// looking at a second manufacturer's code, or the settings.
	k.top = container.NewVBox(k.banner, k.idleBox, titleRow)
	content := container.NewStack(&inputCatcher{onInput: input}, container.NewBorder(k.top, nil, nil, nil,
		container.NewPadded(container.NewStack(k.signInScreen, k.signedInScreen, k.settingsScreen, k.restScreen))))
	if startup.Tracing() {
		k.probe = newPaintProbe()
		content.Add(k.probe.raster) // on top, so painted last in its frame
	}
	k.Window.SetContent(content)
	if c, ok := k.Window.Canvas().(desktop.Canvas); ok {
		c.SetOnKeyDown(func(*fyne.KeyEvent) { input() })
	}
	k.Window.Canvas().SetOnTypedRune(k.chooseByNumber)
	k.Window.Resize(fyne.NewSize(900, 720))
}

// bindKeys adds the keyboard's ways in: the sign-out keys, and in kiosk mode
// the administrator's quit keys. Tab moves between buttons and Space or
// Return presses them, as everywhere in Fyne.
func (k *Kiosk) bindKeys() error {
	if k.opts.Settings.SignOutKeys != "" {
		s, err := ParseKeys(k.opts.Settings.SignOutKeys)
		if err != nil {
			return fmt.Errorf("sign_out_keys: %w", err)
		}
		signOut := k.act(k.m.SignOut)
		k.Window.Canvas().AddShortcut(s, func(fyne.Shortcut) { signOut() })
	}
	if k.opts.Settings.KioskMode {
		s, err := ParseKeys(k.opts.Settings.AdminKeys)
		if err != nil {
			return fmt.Errorf("admin_keys: %w", err)
		}
		k.Window.Canvas().AddShortcut(s, func(fyne.Shortcut) { k.App.Quit() })
	}
	return nil
}

// applyWindowMode makes a kiosk full screen (so without decorations) and deaf
// to the window manager's close: only the admin keys quit, so the next person
// never finds a bare desktop. (Fyne binds nothing to Escape, so it cannot
// quit either.)
func (k *Kiosk) applyWindowMode() {
	if !k.opts.Settings.KioskMode {
		return
	}
	k.Window.SetFullScreen(true)
	k.Window.SetCloseIntercept(func() {})
}

// blank is a white square shown while there is no code.
func blank() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	copy(img.Pix, []byte{0xff, 0xff, 0xff, 0xff})
	return img
}

// qrLayout gives the code the largest square that leaves room for the lines
// below it, centred; the lines go underneath.
type qrLayout struct{}

func (qrLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	below := objects[1].MinSize()
	return fyne.NewSize(max(below.Width, 200), 200+theme.Padding()+below.Height)
}

func (qrLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	below := objects[1].MinSize()
	side := min(size.Width, size.Height-below.Height-theme.Padding())
	side = max(side, 0)
	objects[0].Resize(fyne.NewSize(side, side))
	objects[0].Move(fyne.NewPos((size.Width-side)/2, 0))
	objects[1].Resize(fyne.NewSize(size.Width, below.Height))
	objects[1].Move(fyne.NewPos(0, side+theme.Padding()))
}

// bigButtonLayout makes Sign out (and Sign in at rest) a large target for
// gloved or greasy hands: at least least, else 320 by 72, centred.
type bigButtonLayout struct{ least fyne.Size }

func (l bigButtonLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	least := l.least
	if least.IsZero() {
		least = fyne.NewSize(320, 72)
	}
	return objects[0].MinSize().Max(least)
}

func (l bigButtonLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	s := l.MinSize(objects)
	objects[0].Resize(s)
	objects[0].Move(fyne.NewPos((size.Width-s.Width)/2, (size.Height-s.Height)/2))
}
