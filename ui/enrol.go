package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/ui/state"
)

// enrolWidgets are the enrolment's parts of the other screens: where the
// kiosk is under the code and on the rest screen, "Enrol with a
// manufacturer" in the settings, and the way back from the enrolment code.
type enrolWidgets struct {
	codePlace, restPlace *widget.Label
	start, cancel        *widget.Button
	cancelRow            *fyne.Container
}

func (k *Kiosk) buildEnrol() {
	e := &k.enrolUI
	e.codePlace = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	e.codePlace.Wrapping = fyne.TextWrapWord
	e.restPlace = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	e.restPlace.Wrapping = fyne.TextWrapWord
	e.start = widget.NewButtonWithIcon("", theme.LoginIcon(), k.act(k.m.StartEnrol))
	e.cancel = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), k.act(k.m.CancelEnrol))
	e.cancelRow = container.NewCenter(e.cancel)
	// Hidden until there is something to say: no room taken, nothing laid out.
	e.codePlace.Hide()
	e.restPlace.Hide()
	e.cancelRow.Hide()
	if !k.m.CanEnrol() {
		e.start.Hide()
	}
}

func (k *Kiosk) renderEnrol(v state.View) {
	e := &k.enrolUI
	place := k.text(v.Place)
	enrolling := v.Screen == state.ScreenEnrol
	setText(e.codePlace, place)
	setText(e.restPlace, place)
	k.setVisible(e.codePlace, place != "" && !enrolling)
	setShown(e.restPlace, place != "")
	k.setVisible(e.cancelRow, enrolling)
	e.start.SetText(k.tr.text("ui.enrol_button", nil))
	e.cancel.SetText(k.tr.text("ui.close", nil))
	setShown(e.start, v.CanEnrol)
}
