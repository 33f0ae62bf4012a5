package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// idleSample is the machine's idle time as the bridge measured it.
type idleSample struct {
	idle time.Duration
	ok   bool
}

// sampleIdle asks the system for its idle time, off the screen's goroutine
// (a display server or D-Bus call), and only while someone is signed in.
func (k *Kiosk) sampleIdle() idleSample {
	if k.opts.IdleTime == nil || k.opts.Settings.IdleSignOut <= 0 || !k.signedIn.Load() {
		return idleSample{}
	}
	d, err := k.opts.IdleTime()
	if err != nil {
		if !k.idleErrLogged.Swap(true) {
			fyne.LogError("reading the machine's idle time; counting only this window's input", err)
		}
		return idleSample{}
	}
	return idleSample{idle: d, ok: true}
}

// checkIdle warns, then signs the person out, when nobody has used the
// machine for the configured time: the window's own input or, where the
// system can tell, input to any program (the diagnostic tool, say).
func (k *Kiosk) checkIdle(sample idleSample) {
	after, warning := k.opts.Settings.IdleSignOut, k.opts.Settings.IdleWarning
	if k.session == nil || after <= 0 {
		return
	}
	idle := k.opts.Now().Sub(k.lastInput)
	if sample.ok && sample.idle < idle {
		idle = sample.idle
	}
	left := after - idle
	switch {
	case left <= 0:
		k.endSession(AuditIdle, "no input for "+after.String())
	case left <= warning:
		// Whole seconds, rounded up: the warning never shows 0:00.
		k.idleLeft = (left + time.Second - 1).Truncate(time.Second)
		k.renderIdleWarning()
		k.renderChrome()
	case k.idleLeft > 0:
		k.idleLeft = 0
		k.render()
	}
}

// noteInput is input to the window: it counts as the person being here.
func (k *Kiosk) noteInput() {
	k.lastInput = k.opts.Now()
	if k.idleLeft > 0 {
		k.idleLeft = 0
		k.render()
	}
}

func (k *Kiosk) renderIdleWarning() {
	if k.idleLeft <= 0 {
		if k.idleBox.Visible() {
			k.idleBox.Hide()
			k.SignedInScreen.Refresh()
		}
		return
	}
	setText(k.IdleWarning, k.tr.text("ui.idle_warning", map[string]string{"Time": clockText(k.idleLeft)}))
	if !k.idleBox.Visible() {
		k.idleBox.Show()
		k.SignedInScreen.Refresh()
	}
}

// inputCatcher lies behind the window's content and notices the pointer
// moving or tapping where no widget is.
type inputCatcher struct {
	widget.BaseWidget
	onInput func()
}

var (
	_ desktop.Hoverable = (*inputCatcher)(nil)
	_ fyne.Tappable     = (*inputCatcher)(nil)
)

func (c *inputCatcher) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

func (c *inputCatcher) MouseIn(*desktop.MouseEvent)    { c.onInput() }
func (c *inputCatcher) MouseMoved(*desktop.MouseEvent) { c.onInput() }
func (c *inputCatcher) MouseOut()                      {}
func (c *inputCatcher) Tapped(*fyne.PointEvent)        { c.onInput() }
