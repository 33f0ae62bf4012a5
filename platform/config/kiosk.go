package config

import "time"

// Kiosk is how the window behaves at a shared workshop terminal.
type Kiosk struct {
	// KioskMode: full screen, no decorations, closing and Escape do not quit;
	// only AdminKeys do.
	KioskMode bool
	AdminKeys string
	// SignOutKeys sign the person out from the keyboard.
	SignOutKeys string
	// DeeplinkButton shows a button that opens the code in the Digidentity
	// app, for a tablet that has it installed.
	DeeplinkButton bool
	HighContrast   bool
	LargeText      bool
	// Language is en, nl, de or fr; empty follows the system.
	Language string
	// IdleSignOut signs the person out after this long without keyboard or
	// pointer input to the machine; "0s" never does. A warning counts down
	// for IdleWarning first.
	IdleSignOut time.Duration
	IdleWarning time.Duration
	// SignIn is how people sign in: "qr" (default), "web" or "both" (the
	// browser offered beside the QR code).
	SignIn string
	// Codes is when QR codes are fetched: "on_demand" (default) only once
	// someone touches the kiosk, resting after CodeRestAfter without
	// input; "always" keeps a code on screen day and night, at about 1,800
	// Trust Centre requests an hour with a 2 s poll interval.
	Codes         string
	CodeRestAfter time.Duration
	// Name is the kiosk's name on the rest screen, so a person knows which
	// kiosk this is ("GARAGE JANSEN, bay 2"); empty shows none.
	Name string
}

// When codes are fetched.
const (
	CodesOnDemand = "on_demand"
	CodesAlways   = "always"
)

// The ways to sign in.
const (
	SignInQR   = "qr"
	SignInWeb  = "web"
	SignInBoth = "both"
)

// WebOnly: only the browser sign-in, no QR code (the kiosk needs a web
// sign-in); with "both", the browser is offered beside the QR code.
func (k Kiosk) WebOnly() bool { return k.SignIn == SignInWeb }

// OnDemand: no code while nobody is there. The kiosk rests (no code,
// nothing asked of the Trust Centre) until input to the machine, and rests
// again after CodeRestAfter without input and after every sign-out. It
// needs a sign-in that is an auth.OnDemand; with another, or "always", a
// code is always on screen.
func (k Kiosk) OnDemand() bool { return k.Codes == CodesOnDemand }

func defaultKiosk() Kiosk {
	return Kiosk{AdminKeys: "Ctrl+Alt+Q", SignOutKeys: "Ctrl+L", IdleSignOut: 5 * time.Minute, IdleWarning: 30 * time.Second, SignIn: SignInQR,
		Codes: CodesOnDemand, CodeRestAfter: 2 * time.Minute}
}
