// Package ui is the kiosk window a technician faces: a QR code that renews
// itself, who is signed in, and a large Sign out. It knows Fyne, and takes a
// fyne.App from its caller, so its tests run on Fyne's test driver with no
// display; it never imports fyne.io/fyne/v2/app.
//
// The window is a thin view of ui/state's Machine, which holds the state and
// the rules: a widget's callback tells the machine what the person did, and
// the view renders the machine's View. The machine's goroutines (engine
// events, the tick, the keyring, the reachability check, tool launches) post
// their results to one inbound loop, Kiosk.loop, the only place that hands
// work to Fyne's goroutine.
package ui

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui/state"
)

// What the rest of the program gives the kiosk; see package state.
type (
	Settings     = state.Settings
	Options      = state.Options
	WebSignIn    = state.WebSignIn
	Handoff      = state.Handoff
	Sessions     = state.Sessions
	Manufacturer = state.Manufacturer
)

// ErrNoIdleTime is Options.IdleTime's error when the machine cannot tell
// its idle time at all.
var ErrNoIdleTime = state.ErrNoIdleTime

// The events the kiosk records for the garage's audit.
const (
	AuditSignIn       = state.AuditSignIn
	AuditSignOut      = state.AuditSignOut
	AuditRefused      = state.AuditRefused
	AuditToolLaunch   = state.AuditToolLaunch
	AuditToolFailed   = state.AuditToolFailed
	AuditPortal       = state.AuditPortal
	AuditIdle         = state.AuditIdle
	AuditCrashSignOut = state.AuditCrashSignOut
)

// Kiosk is the window: the machine, and the widgets that show it.
type Kiosk struct {
	App    fyne.App
	Window fyne.Window

	m    *state.Machine
	opts Options
	tr   *translator
	look kioskTheme // high contrast and larger text, as chosen on screen
	// pages is the catalogue the browser sign-in's pages speak, read on
	// its goroutines.
	pages atomic.Pointer[assets.Catalogue]

	// The inbound loop: goroutines' results, on their way to the screen.
	inbox    chan any
	done     chan struct{}
	stopOnce sync.Once
	do       func(func()) // how the loop reaches the screen's goroutine
	// early: signing in began before the window was built; the loop
	// starts once the window is shown.
	early, started bool
	quitEarly      bool // a quit arrived before Fyne's loop ran

	// Always visible.
	title       *widget.Label
	bannerText  *canvas.Text // the environment, when not production
	banner      *fyne.Container
	language    *widget.Select
	settingsBtn *widget.Button

	// The sign-in screen.
	signInScreen *fyne.Container
	qr           *canvas.Image
	qrFor        string // the address the QR image shows, so it is drawn once per code
	countdown    *widget.Label
	status       *widget.Label
	tryAgainNow  *widget.Button  // while a busy or offline wait runs
	tryAgain     *fyne.Container // tryAgainNow's row: hidden with it, so it takes no room
	deeplink     *widget.Button
	webSignInBtn *widget.Button // the browser sign-in, beside the QR code or instead of it
	webHint      *widget.Label
	backToQR     *widget.Button

	// The signed-in screen.
	signedInScreen                                           *fyne.Container
	heading                                                  *widget.Label
	details                                                  *fyne.Container // caption and value pairs, below
	role, company, garage, onBehalfOf, cab, authorisationUID *widget.Label
	rows                                                     []detailRow // the details, in order
	singleUse, remaining                                     *widget.Label
	tools                                                    []*widget.Button
	portal                                                   *widget.Button
	handoffStatus                                            *widget.Label
	sessionNotSaved                                          *widget.Label // the keyring could not keep the session
	signOut                                                  *widget.Button
	signOutHint                                              *widget.Label
	// Shown before an idle sign-out, with its countdown.
	top          *fyne.Container // the banner, the idle warning and the title row
	idleWarning  *widget.Label
	staySignedIn *widget.Button
	idleBox      *fyne.Container

	enrolUI enrolWidgets // enrol.go

	// The rest screen: nobody there, no code (codes on demand).
	restScreen         *fyne.Container
	restName, restHint *widget.Label
	restSignIn         *widget.Button

	// Several manufacturers (manufacturers.go): the tiles, the code's
	// manufacturer and the ways back, a row each when signed in.
	tiles                        *fyne.Container
	vms                          []*vmWidgets
	vmHeading, addNote, noSecond *widget.Label
	chooseOther, cancelAdd       *widget.Button

	// The settings and about screen.
	settingsScreen                                    *fyne.Container
	highContrast, largeText                           *widget.Check
	aboutVersion, aboutEnvironment, aboutReachability *widget.Label
	aboutCodes                                        *widget.Label
	closeSettings                                     *widget.Button

	captions map[*widget.Label]string // caption label → message key
	laidOut  string                   // language and screen of the last full layout
	probe    *paintProbe              // with the start-up trace on, else nil
}

// detailRow is one caption and value on the signed-in screen.
type detailRow struct{ caption, value *widget.Label }

// New begins signing in and builds the kiosk's window on a; Start shows
// it. The first code is asked for before the window is built: it travels
// while the window is built and its graphics start, and when it is back
// by then, the window's first frame shows it.
func New(a fyne.App, opts Options) (*Kiosk, error) { return create(a, opts, nil, true) }

// create is New whose inbound loop hands its work to the screen through
// do (nil is Fyne's goroutine: fyne.Do); without early, signing in begins
// at Start and the loop at once.
func create(a fyne.App, opts Options, do func(func()), early bool) (*Kiosk, error) {
	tr, err := newTranslator(opts.Settings.Language)
	if err != nil {
		return nil, err
	}
	startup.Step("language files loaded")
	k := &Kiosk{App: a, opts: opts, tr: tr, captions: map[*widget.Label]string{},
		look:  kioskTheme{highContrast: opts.Settings.HighContrast, largeText: opts.Settings.LargeText},
		inbox: make(chan any, 64), done: make(chan struct{})}
	messages := tr.messages
	k.pages.Store(&messages)
	k.m = state.New(opts, state.Wiring{Post: func(m state.Msg) { k.post(m) }, PageText: k.pageText, LogError: fyne.LogError})
	k.do, k.early = do, early
	if early {
		k.m.Start()
		k.started = true
		startup.Step("first code asked for")
	}
	a.Settings().SetTheme(k.look)
	k.Window = a.NewWindow("Workshop Login")
	startup.Step("Fyne window made")
	k.build()
	if err := k.bindKeys(); err != nil {
		k.Stop()
		return nil, err
	}
	k.applyWindowMode()
	k.render()
	if !early {
		go k.loop(do)
	}
	return k, nil
}

// Start shows the window, and begins signing in unless New did. A session
// kept from before a restart, still valid, takes over as soon as the
// keyring has answered. What arrived while the window was built (the first
// code, with luck) is on screen in its first frame.
func (k *Kiosk) Start() {
	if !k.started {
		k.m.Start()
		k.started = true
	}
	if k.early {
		k.handleArrived()
	}
	k.Window.Show()
	k.refresh()
	if k.early {
		go k.loop(k.do)
	}
	if k.quitEarly {
		go k.Quit()
	}
}

// handleArrived handles the goroutines' results already waiting, without
// waiting for more, on the caller's goroutine: before the window is shown,
// and before Fyne's loop runs, that is the screen's. A quit is kept for
// the loop: Fyne forgets one asked for before its loop runs.
func (k *Kiosk) handleArrived() {
	for {
		select {
		case msg := <-k.inbox:
			if _, ok := msg.(quit); ok {
				k.quitEarly = true
				continue
			}
			k.handle(msg)
		default:
			return
		}
	}
}

// Stop ends the sign-in, its goroutines and the inbound loop.
func (k *Kiosk) Stop() {
	k.m.Stop()
	k.stopOnce.Do(func() { close(k.done) })
}

// Quit closes the application, from any goroutine (Ctrl+C, SIGTERM): it
// goes through the inbound loop like every other goroutine's request.
func (k *Kiosk) Quit() { k.post(quit{}) }

type quit struct{}

// post hands a goroutine's result to the inbound loop; after Stop it is
// dropped.
func (k *Kiosk) post(msg any) {
	select {
	case <-k.done:
		return
	default:
	}
	select {
	case k.inbox <- msg:
	case <-k.done:
	}
}

// loop is the one place where goroutines hand results to the screen: each
// message on the inbox goes to Fyne's goroutine, through fyne.Do, and there
// to the machine, whose new state is then rendered.
func (k *Kiosk) loop(do func(func())) {
	if do == nil {
		do = fyne.Do
	}
	for {
		select {
		case msg := <-k.inbox:
			do(func() { k.handle(msg) })
		case <-k.done:
			return
		}
	}
}

// handle runs on the screen's goroutine.
func (k *Kiosk) handle(msg any) {
	switch msg := msg.(type) {
	case quit:
		k.App.Quit()
	case state.Msg:
		k.m.Handle(msg)
		k.refresh()
	}
}

// act is a widget's callback: tell the machine, then show what changed.
func (k *Kiosk) act(f func()) func() {
	return func() { f(); k.refresh() }
}

// refresh renders what the machine changed: everything, or on a tick only
// the countdowns, so an idle kiosk makes no garbage (and work) every second.
func (k *Kiosk) refresh() {
	switch k.m.TakeChange() {
	case state.Everything:
		k.render()
	case state.Countdowns:
		k.renderCountdowns()
	}
}

// pageText is the browser sign-in's page text, in the language on screen.
func (k *Kiosk) pageText() func(auth.MessageKey) string {
	return func(key auth.MessageKey) string { return k.pages.Load().Text(string(key), nil) }
}

func (k *Kiosk) setLanguage(code string) {
	if code == "" || code == k.tr.language {
		return
	}
	if err := k.tr.use(code); err != nil {
		fyne.LogError("switching language", err)
		return
	}
	messages := k.tr.messages
	k.pages.Store(&messages)
	k.render()
}

func (k *Kiosk) applyTheme() { k.App.Settings().SetTheme(k.look) }
