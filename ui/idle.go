package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/ui/state"
)

// renderIdleWarning shows the warning before an idle sign-out, with its
// countdown, or hides it.
func (k *Kiosk) renderIdleWarning(v state.View) {
	if v.IdleLeft == "" {
		if k.idleBox.Visible() {
			k.idleBox.Hide()
			k.top.Refresh()
		}
		return
	}
	setText(k.idleWarning, k.tr.text("ui.idle_warning", map[string]string{"Time": v.IdleLeft}))
	if !k.idleBox.Visible() {
		k.idleBox.Show()
		k.top.Refresh()
	}
}

// inputCatcher lies behind the window's content and notices the pointer
// moving or tapping where no widget is.
type inputCatcher struct {
	widget.BaseWidget
	onInput func()
	// The pointer's last position: only a change is someone moving it. A
	// window shown under a resting pointer is told the pointer came in,
	// which is nobody's doing, and must not wake a kiosk at rest.
	at      fyne.Position
	pointed bool
}

var (
	_ desktop.Hoverable = (*inputCatcher)(nil)
	_ fyne.Tappable     = (*inputCatcher)(nil)
)

func (c *inputCatcher) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

func (c *inputCatcher) MouseIn(e *desktop.MouseEvent)    { c.moved(e.Position) }
func (c *inputCatcher) MouseOut()                        {}
func (c *inputCatcher) MouseMoved(e *desktop.MouseEvent) { c.moved(e.Position) }
func (c *inputCatcher) Tapped(*fyne.PointEvent)          { c.onInput() }

func (c *inputCatcher) moved(at fyne.Position) {
	if c.pointed && at != c.at {
		c.onInput()
	}
	c.at, c.pointed = at, true
}
