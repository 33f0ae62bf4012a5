// Package ui is the kiosk window a technician faces: a QR code that renews
// itself, who is signed in, and a large Sign out. It knows Fyne, and takes a
// fyne.App from its caller, so its tests run on Fyne's test driver with no
// display; it never imports fyne.io/fyne/v2/app.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/auth"
)

// Settings are the kiosk's display choices, from the configuration.
type Settings struct {
	KioskMode      bool   // full screen, no decorations, closing and Escape do not quit
	DeeplinkButton bool   // a button that opens the code's address, for a tablet with the Digidentity app
	HighContrast   bool   // pure black on white
	LargeText      bool   // text 40% larger
	Language       string // "en", "nl", "de", "fr"; empty follows the system
	AdminKeys      string // quits in kiosk mode, e.g. "Ctrl+Alt+Q"
	SignOutKeys    string // signs out from the keyboard, e.g. "Ctrl+L"
	// IdleSignOut signs the person out after this long without input to
	// the machine (0: never); a warning counts down for IdleWarning first.
	IdleSignOut time.Duration
	IdleWarning time.Duration
	// WebOnly shows only the browser sign-in, no QR code (Options.WebSignIn
	// must be set); with WebSignIn and not WebOnly, it is offered beside
	// the QR code.
	WebOnly bool
}

// WebSignIn is the browser sign-in (auth.WebLogin): its pages in the
// browser speak the kiosk's language of the moment.
type WebSignIn interface {
	auth.SignIn
	SetPageText(func(auth.MessageKey) string)
}

// retrier is a sign-in whose waits can be cut short (auth.Passwordless):
// the "Try again now" button.
type retrier interface{ RetryNow() }

// Handoff gives the signed-in session to the garage's tools and the VM's
// repair portal. The platform provides it; nil means none are configured.
type Handoff interface {
	Tools() []string
	// LaunchTool starts the named tool and returns once it has kept running
	// for its first seconds, or has stopped: an error with an ExitCode() int
	// method is a tool that stopped at start (handoff.StoppedAtStartError).
	// It may take seconds; the kiosk calls it off the screen's goroutine.
	LaunchTool(name string, s *auth.Session) error
	HasPortal() bool
	OpenPortal(s *auth.Session) error
	// EndSession ends what must not outlive the person (tools so
	// configured). It may take seconds; the screen does not wait for it.
	EndSession()
}

// The events the kiosk records for the garage's audit.
const (
	AuditSignIn     = "sign_in"
	AuditSignOut    = "sign_out"
	AuditRefused    = "refused"
	AuditToolLaunch = "tool_launch"
	AuditToolFailed = "tool_failed" // could not start, or stopped at start
	AuditPortal     = "portal_opened"
	AuditIdle       = "idle_sign_out"
	// AuditCrashSignOut: the last run crashed, so its person was signed out
	// at start instead of restored, and its tools ended.
	AuditCrashSignOut = "crash_sign_out"
)

// Sessions keeps the signed-in session across restarts: the OS keyring.
// Its calls may take seconds; the kiosk makes them off the screen's
// goroutine, one at a time, in order.
type Sessions interface {
	Save(*auth.Session) error
	Restore() (*auth.Session, error) // nil when none may be used again
	Delete() error
}

// Options is what the kiosk needs from the rest of the program.
type Options struct {
	SignIn      auth.SignIn
	WebSignIn   WebSignIn // nil: no browser sign-in
	Handoff     Handoff
	Environment auth.Environment
	Version     string
	// CheckTrustCentre says whether Digidentity answers, for the about panel.
	CheckTrustCentre func(context.Context) error
	// OpenURL opens an address with the system (the deeplink button).
	OpenURL func(*url.URL) error
	// Audit records who signed in and out, refusals and tool launches; nil
	// records nothing. Details never hold a token.
	Audit func(event string, s *auth.Session, detail string) error
	// Sessions keeps the session across restarts; nil keeps nothing.
	Sessions Sessions
	// IdleTime is how long since anyone used the machine, in any program
	// (platform/idle). It is asked off the screen's goroutine; nil, or an
	// error, leaves only the window's own input to count.
	IdleTime func() (time.Duration, error)
	Settings Settings
	Now      func() time.Time // default time.Now
}

// Kiosk is the window and every widget a test may tap or read.
type Kiosk struct {
	App    fyne.App
	Window fyne.Window

	// Always visible.
	Title       *widget.Label
	Banner      *canvas.Text // the environment, when not production
	Language    *widget.Select
	SettingsBtn *widget.Button

	// The sign-in screen.
	SignInScreen *fyne.Container
	QR           *canvas.Image
	Countdown    *widget.Label
	Status       *widget.Label
	TryAgainNow  *widget.Button // while a busy or offline wait runs
	Deeplink     *widget.Button
	// The browser sign-in, beside the QR code or instead of it.
	WebSignInBtn *widget.Button
	WebHint      *widget.Label
	BackToQR     *widget.Button

	// The signed-in screen.
	SignedInScreen                                           *fyne.Container
	Heading                                                  *widget.Label
	Details                                                  *fyne.Container // caption and value pairs, below
	Role, Company, Garage, OnBehalfOf, CAB, AuthorisationUID *widget.Label
	SingleUse                                                *widget.Label
	Remaining                                                *widget.Label
	Tools                                                    []*widget.Button
	Portal                                                   *widget.Button
	HandoffStatus                                            *widget.Label
	NotKept                                                  *widget.Label // the keyring could not keep the session
	SignOut                                                  *widget.Button
	SignOutHint                                              *widget.Label
	// Shown before an idle sign-out, with its countdown.
	IdleWarning  *widget.Label
	StaySignedIn *widget.Button
	idleBox      *fyne.Container

	// The settings and about screen.
	SettingsScreen    *fyne.Container
	HighContrast      *widget.Check
	LargeText         *widget.Check
	AboutVersion      *widget.Label
	AboutEnvironment  *widget.Label
	AboutReachability *widget.Label
	CloseSettings     *widget.Button

	opts     Options
	tr       *translator
	captions map[*widget.Label]string // caption label → message key
	rows     []detailRow              // the signed-in details, in order
	banner   *fyne.Container
	tryAgain *fyne.Container // TryAgainNow's row: hidden with it, so it takes no room
	laidOut  string          // language and screen of the last full layout

	// State, touched only on Fyne's goroutine.
	do         func(func()) // how goroutines hand work to the screen: fyne.Do
	code       auth.QRCode
	qrFor      string // the address the QR image shows, so it is drawn once per code
	message    auth.MessageKey
	retryUntil time.Time
	// signingIn: the approval arrived and the identity is being read; the
	// code is used, so none is shown and none is being fetched.
	signingIn  bool
	session    *auth.Session
	handoffErr string
	reachable  string        // "" while checking
	notKept    bool          // the keyring refused this session
	lastInput  time.Time     // the window's own last input, or the sign-in
	idleLeft   time.Duration // time to the idle sign-out while warning, else 0
	// web is true while a browser sign-in is under way; webNote keeps how
	// the last one ended on screen until the next code replaces it.
	web     bool
	webNote auth.MessageKey
	// For the bridge goroutine: is idle time worth asking for; has its
	// failure been logged.
	signedIn      atomic.Bool
	idleErrLogged atomic.Bool
	keyring       chan func()
	signingOut    int // keyring deletes still to finish before the next code shows
	cancel        context.CancelFunc
	generation    int
}

// detailRow is one caption and value on the signed-in screen.
type detailRow struct{ caption, value *widget.Label }

// New builds the kiosk's window on a. Call Start to begin signing in.
func New(a fyne.App, opts Options) (*Kiosk, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tr, err := newTranslator(opts.Settings.Language)
	if err != nil {
		return nil, err
	}
	k := &Kiosk{App: a, opts: opts, tr: tr, do: fyne.Do, captions: map[*widget.Label]string{}}
	if opts.Sessions != nil {
		k.startKeyringWorker()
	}
	a.Settings().SetTheme(kioskTheme{highContrast: opts.Settings.HighContrast, largeText: opts.Settings.LargeText})
	k.Window = a.NewWindow("Workshop Login")
	k.build()
	if err := k.bindKeys(); err != nil {
		return nil, err
	}
	k.applyWindowMode()
	k.render()
	return k, nil
}

func (k *Kiosk) build() {
	k.Banner = canvas.NewText("", black)
	k.Banner.TextStyle.Bold = true
	k.Banner.Alignment = fyne.TextAlignCenter
	k.banner = container.NewStack(canvas.NewRectangle(warningBack), container.NewPadded(k.Banner))
	k.Language = widget.NewSelect(languageNames(), func(name string) { k.setLanguage(languageCode(name)) })
	k.Language.SetSelected(languageName(k.tr.language))
	k.SettingsBtn = widget.NewButtonWithIcon("", theme.SettingsIcon(), k.showSettings)
	k.Title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(k.banner, container.NewBorder(nil, nil, nil,
		container.NewHBox(container.NewGridWrap(fyne.NewSize(170, k.Language.MinSize().Height), k.Language), k.SettingsBtn), k.Title))

	// Sign-in: the code as large as fits, its countdown, one status line.
	k.QR = canvas.NewImageFromImage(blank())
	k.QR.ScaleMode = canvas.ImageScalePixels // nearest neighbour: modules stay sharp
	k.QR.FillMode = canvas.ImageFillContain
	k.Countdown = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.Status = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.Status.Wrapping = fyne.TextWrapWord
	k.TryAgainNow = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), k.retryNow)
	k.tryAgain = container.NewCenter(k.TryAgainNow)
	k.TryAgainNow.Hide()
	k.tryAgain.Hide()
	k.Deeplink = widget.NewButtonWithIcon("", theme.ComputerIcon(), k.openDeeplink)
	k.WebSignInBtn = widget.NewButtonWithIcon("", theme.MailForwardIcon(), k.startWeb)
	k.WebHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.WebHint.Wrapping = fyne.TextWrapWord
	k.BackToQR = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), k.cancelWeb)
	k.BackToQR.Hide()
	web := container.NewVBox(container.NewCenter(container.NewHBox(k.WebSignInBtn, k.BackToQR)), k.WebHint)
	if k.opts.WebSignIn == nil {
		web.Hide() // takes no room at all
	}
	below := container.NewVBox(k.Countdown, k.Status, k.tryAgain, container.NewCenter(k.Deeplink), web)
	k.SignInScreen = container.New(qrLayout{}, k.QR, below)

	// Signed in: who is here, the hand-offs, and a large Sign out.
	k.Heading = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.Heading.SizeName = theme.SizeNameHeadingText
	k.Details = container.New(layout.NewFormLayout())
	for _, row := range []struct {
		caption string
		value   **widget.Label
	}{
		{"ui.role", &k.Role}, {"ui.company", &k.Company}, {"ui.garage", &k.Garage}, {"ui.on_behalf_of", &k.OnBehalfOf},
		{"ui.cab", &k.CAB}, {"ui.authorisation_uid", &k.AuthorisationUID},
	} {
		caption := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		k.captions[caption] = row.caption
		*row.value = widget.NewLabel("")
		k.rows = append(k.rows, detailRow{caption, *row.value})
	}
	k.SingleUse = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.SingleUse.Wrapping = fyne.TextWrapWord
	k.Remaining = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.Portal = widget.NewButtonWithIcon("", theme.ComputerIcon(), k.openPortal)
	k.HandoffStatus = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.NotKept = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	k.NotKept.Wrapping = fyne.TextWrapWord
	k.SignOut = widget.NewButtonWithIcon("", theme.LogoutIcon(), k.signOut)
	k.SignOut.Importance = widget.HighImportance
	k.SignOutHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	handoffs := container.NewHBox()
	if k.opts.Handoff != nil {
		for _, name := range k.opts.Handoff.Tools() {
			b := widget.NewButtonWithIcon(name, theme.MediaPlayIcon(), func() { k.launchTool(name) })
			k.Tools = append(k.Tools, b)
			handoffs.Add(b)
		}
	}
	handoffs.Add(k.Portal)
	k.IdleWarning = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.IdleWarning.Wrapping = fyne.TextWrapWord
	k.StaySignedIn = widget.NewButtonWithIcon("", theme.ConfirmIcon(), k.noteInput)
	k.StaySignedIn.Importance = widget.WarningImportance
	k.idleBox = container.NewStack(canvas.NewRectangle(warningBack),
		container.NewPadded(container.NewVBox(k.IdleWarning, container.NewCenter(k.StaySignedIn))))
	k.idleBox.Hide()
	k.SignedInScreen = container.NewVBox(k.idleBox, k.Heading, k.Details, k.SingleUse, k.Remaining,
		container.NewCenter(handoffs), k.HandoffStatus, k.NotKept, layout.NewSpacer(),
		container.New(bigButtonLayout{}, k.SignOut), k.SignOutHint)

	// Settings and about.
	k.HighContrast = widget.NewCheck("", func(on bool) { k.opts.Settings.HighContrast = on; k.applyTheme() })
	k.HighContrast.SetChecked(k.opts.Settings.HighContrast)
	k.LargeText = widget.NewCheck("", func(on bool) { k.opts.Settings.LargeText = on; k.applyTheme() })
	k.LargeText.SetChecked(k.opts.Settings.LargeText)
	k.AboutVersion, k.AboutEnvironment, k.AboutReachability = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	about := container.New(layout.NewFormLayout())
	for _, row := range []struct {
		caption string
		value   *widget.Label
	}{{"ui.version", k.AboutVersion}, {"ui.environment", k.AboutEnvironment}, {"ui.trust_centre", k.AboutReachability}} {
		caption := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		k.captions[caption] = row.caption
		about.Add(caption)
		about.Add(row.value)
	}
	k.CloseSettings = widget.NewButtonWithIcon("", theme.CancelIcon(), k.hideSettings)
	k.SettingsScreen = container.NewVBox(k.HighContrast, k.LargeText, widget.NewSeparator(), about, container.NewCenter(k.CloseSettings))
	k.SettingsScreen.Hide()
	k.SignedInScreen.Hide()

	// Input anywhere in the window keeps the person signed in, also where
	// the system cannot tell idle time: a pointer over the background, a
	// tap, a key.
	k.Window.SetContent(container.NewStack(&inputCatcher{onInput: k.noteInput}, container.NewBorder(top, nil, nil, nil,
		container.NewPadded(container.NewStack(k.SignInScreen, k.SignedInScreen, k.SettingsScreen)))))
	if c, ok := k.Window.Canvas().(desktop.Canvas); ok {
		c.SetOnKeyDown(func(*fyne.KeyEvent) { k.noteInput() })
	}
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
		k.Window.Canvas().AddShortcut(s, func(fyne.Shortcut) {
			if k.session != nil {
				k.signOut()
			}
		})
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

// Start begins signing in and shows the window. A session kept from before a
// restart, still valid, takes over as soon as the keyring has answered.
func (k *Kiosk) Start() {
	k.Window.Show()
	k.startAttempt()
	k.checkTrustCentre()
	k.onKeyring(func(s Sessions) {
		restored, err := s.Restore()
		k.do(func() {
			if err != nil {
				fyne.LogError("restoring the session from the keyring", err)
			}
			if restored != nil && k.session == nil {
				k.Stop() // no code is needed now
				k.generation++
				k.session = restored
				k.lastInput = k.opts.Now()
				k.audit(AuditSignIn, restored, "restored after a restart")
				k.render()
				go k.bridge(k.newContext(), k.generation, nil)
			}
		})
	})
}

// startKeyringWorker starts the one goroutine that makes keyring calls, so
// they never hold up the screen and never overtake each other.
func (k *Kiosk) startKeyringWorker() {
	k.keyring = make(chan func(), 16)
	go func() {
		for op := range k.keyring {
			op()
		}
	}()
}

// onKeyring queues a keyring call on the kiosk's keyring worker.
func (k *Kiosk) onKeyring(op func(Sessions)) {
	if k.keyring != nil {
		k.keyring <- func() { op(k.opts.Sessions) }
	}
}

// keep saves a new session in the keyring; the screen says when it cannot.
// A chain authorisation is never kept: it works once.
func (k *Kiosk) keep(s *auth.Session) {
	if s.Identity.Role == auth.RoleRSSE {
		return
	}
	k.onKeyring(func(store Sessions) {
		err := store.Save(s)
		if err != nil {
			fyne.LogError("keeping the session in the keyring", err)
		}
		k.do(func() {
			if k.session == s {
				k.notKept = err != nil
				k.render()
			}
		})
	})
}

// startAttempt starts a fresh sign-in and its bridge.
func (k *Kiosk) startAttempt() {
	if k.cancel != nil {
		k.cancel()
	}
	ctx := k.newContext()
	k.generation++
	k.code, k.message, k.session, k.handoffErr, k.notKept, k.idleLeft = auth.QRCode{}, "", nil, "", false, 0
	k.web, k.signingIn, k.retryUntil = false, false, time.Time{}
	var events <-chan auth.Event
	if k.opts.SignIn != nil && !k.opts.Settings.WebOnly {
		events = k.opts.SignIn.Start(ctx)
	} else {
		k.message, k.webNote = k.webNote, ""
	}
	k.render()
	go k.bridge(ctx, k.generation, events)
}

// startWeb replaces the QR code with a browser sign-in: the system browser
// opens, and the kiosk waits for it to come back.
func (k *Kiosk) startWeb() {
	if k.opts.WebSignIn == nil || k.session != nil || k.web {
		return
	}
	k.noteInput()
	if k.cancel != nil {
		k.cancel()
	}
	ctx := k.newContext()
	k.generation++
	k.code, k.message, k.web, k.webNote = auth.QRCode{}, auth.MsgWebContinue, true, ""
	k.signingIn, k.retryUntil = false, time.Time{}
	tr := k.tr
	k.opts.WebSignIn.SetPageText(func(key auth.MessageKey) string { return tr.text(string(key), nil) })
	k.render()
	go k.bridge(ctx, k.generation, k.opts.WebSignIn.Start(ctx))
}

// cancelWeb gives up the browser sign-in and goes back to the QR code.
func (k *Kiosk) cancelWeb() {
	if k.web {
		k.startAttempt()
	}
}

// newContext is the life of one attempt (and its bridge), ended by Stop.
func (k *Kiosk) newContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	return ctx
}

// Stop ends the current attempt and its bridge.
func (k *Kiosk) Stop() {
	if k.cancel != nil {
		k.cancel()
	}
}

// bridge is the one place where goroutines hand results to the screen: the
// engine's events and a once-a-second tick for the countdowns, each through
// k.do (fyne.Do). Events of an attempt that was replaced are dropped.
func (k *Kiosk) bridge(ctx context.Context, generation int, events <-chan auth.Event) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				events = nil // approved: keep ticking for the session's countdown
				continue
			}
			k.do(func() {
				if generation == k.generation {
					k.show(e)
				}
			})
		case <-ticker.C:
			sample := k.sampleIdle()
			k.do(func() {
				k.tick()
				k.checkIdle(sample)
			})
		case <-ctx.Done():
			return
		}
	}
}

// show applies one engine event to the screen.
func (k *Kiosk) show(e auth.Event) {
	// Any other event means the engine's wait is over: no "trying again in
	// N s", no Try again now.
	k.retryUntil = time.Time{}
	k.signingIn = e.Kind == auth.EventSigningIn
	switch e.Kind {
	case auth.EventQRReady:
		k.code = e.QR
	case auth.EventOffline:
		k.retryUntil = e.At.Add(e.RetryIn)
	case auth.EventSigningIn:
		// Approved on the phone: the code is used. Retries of the identity
		// (RetryIn set) need nothing but the message.
		k.code = auth.QRCode{}
	case auth.EventLost:
		// An older code's approval may have been lost; the code on screen
		// is still good and stays.
	case auth.EventExpired, auth.EventRefused, auth.EventFailed:
		k.code = auth.QRCode{} // the old code is dead: never leave it on screen
	case auth.EventApproved:
		k.session, k.web = e.Session, false
		k.lastInput = k.opts.Now() // they approved on their phone, at the kiosk
		k.audit(AuditSignIn, e.Session, "")
		k.keep(e.Session)
	}
	if e.Kind == auth.EventRefused && e.Err != nil {
		k.audit(AuditRefused, nil, e.Err.Detail)
	}
	if k.web && (e.Kind == auth.EventRefused || e.Kind == auth.EventFailed || e.Kind == auth.EventExpired) {
		// The browser sign-in is over: back to the QR code, saying why.
		k.webNote = e.Message
		k.startAttempt()
		return
	}
	if e.Kind == auth.EventQRReady && k.webNote != "" {
		e.Message, k.webNote = k.webNote, ""
	}
	// A QR event's own message says why a new code came; a bare "waiting"
	// must not wipe "Code expired: here is a new one" before anyone reads it.
	if e.Kind != auth.EventWaiting || k.message == auth.MsgOffline || k.message == auth.MsgBusy {
		k.message = e.Message
	}
	k.render()
}

// tick updates the countdowns, drops a code that has expired, and signs out
// a session that has.
func (k *Kiosk) tick() {
	now := k.opts.Now()
	if k.session != nil && !k.session.ExpiresAt.IsZero() && !now.Before(k.session.ExpiresAt) {
		k.endSession(AuditSignOut, "session expired")
		return
	}
	// A code without an end (the Trust Centre's lifetime is not known yet)
	// stays until the engine says it is gone.
	if k.code.URI != "" && !k.code.ExpiresAt.IsZero() && !now.Before(k.code.ExpiresAt) {
		k.code = auth.QRCode{}
		k.render()
		return
	}
	// Only the countdowns move: touching nothing else keeps the idle kiosk
	// from making garbage (and work) every second.
	if k.session != nil {
		k.renderRemaining(now)
	} else {
		k.renderCountdown(now)
	}
}

// setText changes a label only when its text changes: every SetText redraws.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

func (k *Kiosk) signOut() { k.endSession(AuditSignOut, "") }

// endSession signs the person out (why: empty when they chose to), ends
// what must not outlive them, and shows a fresh code.
func (k *Kiosk) endSession(event, why string) {
	if k.session != nil {
		k.audit(event, k.session, why)
		if k.opts.Handoff != nil {
			go k.opts.Handoff.EndSession()
		}
		if k.keyring != nil {
			// Durable before visible: the next person's code appears only
			// once the keyring no longer holds this session, so a crash
			// right after sign-out cannot bring it back on restart.
			k.code, k.message, k.session, k.handoffErr, k.notKept, k.idleLeft = auth.QRCode{}, "", nil, "", false, 0
			k.signingOut++
			k.render()
			k.onKeyring(func(s Sessions) {
				if err := s.Delete(); err != nil {
					fyne.LogError("removing the session from the keyring", err)
				}
				k.do(func() {
					if k.signingOut--; k.signingOut == 0 && k.session == nil {
						k.startAttempt()
					}
				})
			})
			return
		}
	}
	k.startAttempt()
}

func (k *Kiosk) audit(event string, s *auth.Session, detail string) {
	if k.opts.Audit == nil {
		return
	}
	if err := k.opts.Audit(event, s, detail); err != nil {
		fyne.LogError("writing the audit log", err)
	}
}

// render sets every visible text from the state and the language, so a
// language switch or a new state changes every string at once.
func (k *Kiosk) render() {
	tr, now := k.tr, k.opts.Now()
	for caption, key := range k.captions {
		setText(caption, tr.text(key, nil))
	}
	k.signedIn.Store(k.session != nil)
	k.renderChrome()
	k.renderSettings()
	if k.session != nil {
		k.SignInScreen.Hide()
		k.renderTryAgain(now)
		k.renderSession(now)
		if !k.SettingsScreen.Visible() {
			k.SignedInScreen.Show()
		}
	} else {
		k.renderIdleWarning()
		k.SignedInScreen.Hide()
		if !k.SettingsScreen.Visible() {
			k.SignInScreen.Show()
		}
		k.renderCode(now)
	}
	k.relayout()
}

// relayout lays the whole window out again when its texts changed size: a
// new language, screen or person. Not on every tick: only a countdown moves.
func (k *Kiosk) relayout() {
	key := fmt.Sprint(k.tr.language, k.session != nil, k.SettingsScreen.Visible(), k.opts.Settings.LargeText)
	if k.session != nil {
		key += k.session.Identity.Sub
	}
	if key == k.laidOut {
		return
	}
	k.laidOut = key
	k.Window.Content().Refresh()
}

func (k *Kiosk) renderChrome() {
	tr := k.tr
	title := tr.text("ui.title", nil)
	setText(k.Title, title)
	if k.session != nil {
		// The taskbar (and a test outside the process) can tell who is here.
		title += ": " + k.session.Identity.IOUID.Name
		if k.idleLeft > 0 {
			title = tr.text("ui.idle_title", map[string]string{"Time": clockText(k.idleLeft)}) + " · " + title
		}
	}
	k.Window.SetTitle(title)
	switch k.opts.Environment {
	case auth.EnvProduction:
		k.banner.Hide()
	case auth.EnvPreproduction:
		k.Banner.Text = tr.text("ui.env_preproduction", nil)
		k.banner.Show()
	default:
		k.Banner.Text = tr.text("ui.env_simulator", nil)
		k.banner.Show()
	}
	k.Banner.Refresh()
	k.Language.PlaceHolder = tr.text("ui.language", nil)
	k.Deeplink.SetText(tr.text("ui.open_in_app", nil))
	k.SignOut.SetText(tr.text("ui.sign_out", nil))
	k.Portal.SetText(tr.text("ui.repair_portal", nil))
	k.StaySignedIn.SetText(tr.text("ui.stay_signed_in", nil))
	k.WebSignInBtn.SetText(tr.text("ui.web_sign_in", nil))
	setText(k.WebHint, tr.text("ui.web_hint", nil))
	k.BackToQR.SetText(tr.text("ui.back_to_qr", nil))
	k.TryAgainNow.SetText(tr.text("ui.try_again_now", nil))
}

// renderWeb shows the browser sign-in's buttons, and the QR code only
// where it is used.
func (k *Kiosk) renderWeb() {
	if k.opts.WebSignIn == nil {
		return
	}
	show := func(o fyne.CanvasObject, visible bool) {
		if visible != o.Visible() {
			if visible {
				o.Show()
			} else {
				o.Hide()
			}
			k.SignInScreen.Refresh()
		}
	}
	qr := !k.web && !k.opts.Settings.WebOnly
	show(k.QR, qr)
	show(k.Countdown, qr)
	show(k.WebSignInBtn, !k.web)
	show(k.WebHint, !k.web)
	show(k.BackToQR, k.web && !k.opts.Settings.WebOnly)
}

func (k *Kiosk) renderSettings() {
	tr := k.tr
	k.HighContrast.Text = tr.text("ui.high_contrast", nil)
	k.HighContrast.Refresh()
	k.LargeText.Text = tr.text("ui.large_text", nil)
	k.LargeText.Refresh()
	k.CloseSettings.SetText(tr.text("ui.close", nil))
	setText(k.AboutVersion, k.opts.Version)
	env := map[auth.Environment]string{auth.EnvProduction: "ui.env_production", auth.EnvPreproduction: "ui.env_preproduction"}[k.opts.Environment]
	if env == "" {
		env = "ui.env_simulator"
	}
	setText(k.AboutEnvironment, tr.text(env, nil))
	switch k.reachable {
	case "":
		setText(k.AboutReachability, tr.text("ui.checking", nil))
	case "ok":
		setText(k.AboutReachability, tr.text("ui.reachable", nil))
	default:
		setText(k.AboutReachability, tr.text("ui.unreachable", map[string]string{"Reason": k.reachable}))
	}
}

func (k *Kiosk) renderCode(now time.Time) {
	k.setQR(k.code.URI)
	k.renderCountdown(now)
	k.renderWeb()
	k.setVisible(k.Deeplink, k.opts.Settings.DeeplinkButton && k.code.URI != "")
}

// setVisible shows or hides a button below the code; the code's square makes
// room for it, or takes it back.
func (k *Kiosk) setVisible(o fyne.CanvasObject, visible bool) {
	if visible == o.Visible() {
		return
	}
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
	k.SignInScreen.Refresh()
}

// renderCountdown sets the code's countdown and the status line, whose
// "trying again in N s" counts down too, with its Try again now.
func (k *Kiosk) renderCountdown(now time.Time) {
	tr := k.tr
	switch {
	case k.signingIn:
		setText(k.Countdown, "") // the status line says it all
	case k.code.URI == "":
		setText(k.Countdown, tr.text("ui.getting_code", nil))
	case k.code.ExpiresAt.IsZero():
		// The Trust Centre's lifetime is not known yet: a countdown would
		// be a guess. The code stays until the engine says it is gone.
		setText(k.Countdown, "")
	default:
		setText(k.Countdown, tr.text("ui.valid_for", map[string]string{"Time": clockText(k.code.ExpiresAt.Sub(now))}))
	}
	status := ""
	if k.message != "" {
		seconds := 0
		if !k.retryUntil.IsZero() {
			seconds = int((k.retryUntil.Sub(now) + time.Second - 1) / time.Second)
			seconds = max(seconds, 0)
		}
		status = tr.text(string(k.message), map[string]int{"Seconds": seconds})
	}
	setText(k.Status, status)
	k.renderTryAgain(now)
}

// renderTryAgain offers Try again now while the engine's busy or offline
// wait runs, if it can cut the wait short.
func (k *Kiosk) renderTryAgain(now time.Time) {
	_, canRetry := k.opts.SignIn.(retrier)
	show := canRetry && !k.web && k.session == nil && !k.retryUntil.IsZero() && now.Before(k.retryUntil)
	k.setVisible(k.TryAgainNow, show)
	k.setVisible(k.tryAgain, show)
}

// retryNow cuts the engine's busy or offline wait short: the person does
// not want to wait for it.
func (k *Kiosk) retryNow() {
	r, ok := k.opts.SignIn.(retrier)
	if !ok || k.web || k.session != nil || k.retryUntil.IsZero() {
		return
	}
	r.RetryNow()
	k.retryUntil = time.Time{} // trying now; the next event says how it went
	k.renderCountdown(k.opts.Now())
}

// setQR draws the code for uri, once per code: the image is kept until the
// address changes.
func (k *Kiosk) setQR(uri string) {
	if uri == k.qrFor && k.QR.Image != nil {
		return
	}
	k.qrFor = uri
	img := blank()
	if uri != "" {
		if drawn, err := qrImage(uri); err == nil {
			img = drawn
		}
	}
	k.QR.Image = img
	k.QR.Refresh()
}

func (k *Kiosk) renderSession(now time.Time) {
	tr, id := k.tr, k.session.Identity
	setText(k.Heading, tr.text("ui.signed_in_heading", nil))
	setRow := func(value *widget.Label, text string) { setText(value, text) }
	k.SingleUse.Hide()
	if id.Role == auth.RoleRSSE {
		setRow(k.Role, tr.text("ui.role_rsse", nil))
		setRow(k.Company, id.RSSUID.Name)
		setRow(k.OnBehalfOf, tr.text("ui.on_behalf_of_value", map[string]string{"Garage": id.IOUID.Name, "UID": id.IOEUID.AuthorisationUID}))
		setRow(k.Garage, "")
		setText(k.SingleUse, tr.text("ui.single_use", nil))
		k.SingleUse.Show()
	} else {
		setRow(k.Role, tr.text("ui.role_ioe", nil))
		setRow(k.Company, "")
		setRow(k.OnBehalfOf, "")
		setRow(k.Garage, id.IOUID.Name)
	}
	setRow(k.CAB, fmt.Sprintf("%s (%s)", id.IOEUID.CABName, id.CABUID.Raw))
	setRow(k.AuthorisationUID, id.AuthorisationUID())
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
	if len(shown) != len(k.Details.Objects) || shown[len(shown)-1] != k.Details.Objects[len(k.Details.Objects)-1] {
		k.Details.Objects = shown
		k.Details.Refresh()
	}
	k.renderRemaining(now)
	k.renderIdleWarning()
	if k.opts.Handoff != nil && k.opts.Handoff.HasPortal() {
		k.Portal.Show()
	} else {
		k.Portal.Hide()
	}
	setText(k.HandoffStatus, k.handoffErr)
	if k.notKept {
		setText(k.NotKept, tr.text("ui.not_kept", nil))
	} else {
		setText(k.NotKept, "")
	}
	if k.opts.Settings.SignOutKeys != "" {
		setText(k.SignOutHint, tr.text("ui.sign_out_hint", map[string]string{"Keys": k.opts.Settings.SignOutKeys}))
	}
}

// renderRemaining sets the session's countdown.
func (k *Kiosk) renderRemaining(now time.Time) {
	if k.session.ExpiresAt.IsZero() {
		setText(k.Remaining, k.tr.text("ui.session_no_end", nil))
	} else {
		setText(k.Remaining, k.tr.text("ui.session_ends", map[string]string{"Time": clockText(k.session.ExpiresAt.Sub(now))}))
	}
}

func (k *Kiosk) setLanguage(code string) {
	if code == "" || code == k.tr.language {
		return
	}
	if err := k.tr.use(code); err != nil {
		fyne.LogError("switching language", err)
		return
	}
	k.render()
}

func (k *Kiosk) applyTheme() {
	k.App.Settings().SetTheme(kioskTheme{highContrast: k.opts.Settings.HighContrast, largeText: k.opts.Settings.LargeText})
}

func (k *Kiosk) showSettings() {
	k.SignInScreen.Hide()
	k.SignedInScreen.Hide()
	k.SettingsScreen.Show()
	k.checkTrustCentre()
	k.render()
}

func (k *Kiosk) hideSettings() {
	k.SettingsScreen.Hide()
	k.render()
}

// checkTrustCentre asks, in the background, whether Digidentity answers.
func (k *Kiosk) checkTrustCentre() {
	if k.opts.CheckTrustCentre == nil {
		return
	}
	k.reachable = ""
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		result := "ok"
		if err := k.opts.CheckTrustCentre(ctx); err != nil {
			result = err.Error()
		}
		k.do(func() { k.reachable = result; k.render() })
	}()
}

func (k *Kiosk) openDeeplink() {
	if k.code.URI == "" || k.opts.OpenURL == nil {
		return
	}
	if u, err := url.Parse(k.code.URI); err == nil {
		if err := k.opts.OpenURL(u); err != nil {
			fyne.LogError("opening the Digidentity app", err)
		}
	}
}

func (k *Kiosk) launchTool(name string) {
	if k.session == nil || k.opts.Handoff == nil {
		return
	}
	k.noteInput()
	k.handoffErr = ""
	k.render()
	s := k.session
	go func() {
		err := k.opts.Handoff.LaunchTool(name, s)
		k.do(func() { k.toolLaunched(name, s, err) })
	}()
}

// toolLaunched records how a tool's start went, and shows a failure while
// the person who started it is still signed in.
func (k *Kiosk) toolLaunched(name string, s *auth.Session, err error) {
	if err == nil {
		k.audit(AuditToolLaunch, s, name)
		return
	}
	fyne.LogError("launching "+name, err)
	var stopped interface{ ExitCode() int }
	var message string
	if errors.As(err, &stopped) {
		code := strconv.Itoa(stopped.ExitCode())
		k.audit(AuditToolFailed, s, name+": stopped at start, exit "+code)
		message = k.tr.text("ui.tool_stopped_at_start", map[string]string{"Name": name, "Code": code})
	} else {
		k.audit(AuditToolFailed, s, name+": could not start")
		message = k.tr.text("ui.handoff_failed", map[string]string{"Name": name})
	}
	if k.session == s {
		k.handoffErr = message
		k.render()
	}
}

func (k *Kiosk) openPortal() {
	if k.session == nil || k.opts.Handoff == nil {
		return
	}
	k.noteInput()
	k.handoffErr = ""
	if err := k.opts.Handoff.OpenPortal(k.session); err != nil {
		fyne.LogError("opening the repair portal", err)
		k.handoffErr = k.tr.text("ui.handoff_failed", map[string]string{"Name": k.tr.text("ui.repair_portal", nil)})
	} else {
		k.audit(AuditPortal, k.session, "")
	}
	k.render()
}

// clockText shows a duration as m:ss (or h:mm:ss), never negative.
func clockText(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
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

// bigButtonLayout makes Sign out a large target for gloved or greasy hands:
// at least 320 by 72, centred.
type bigButtonLayout struct{}

func (bigButtonLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return objects[0].MinSize().Max(fyne.NewSize(320, 72))
}

func (l bigButtonLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	s := l.MinSize(objects)
	objects[0].Resize(s)
	objects[0].Move(fyne.NewPos((size.Width-s.Width)/2, (size.Height-s.Height)/2))
}
