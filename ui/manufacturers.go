package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/ui/state"
)

// A kiosk of several manufacturers: a large tile each on the rest screen
// (its number key picks it too), whose code shows with the way back, and
// on the signed-in screen a row each: its tools and portal once signed in,
// else "Also sign in to …". With one manufacturer none of it is built, so
// the window is as it always was.

// vmWidgets are one manufacturer's tile and row.
type vmWidgets struct {
	tile   *widget.Button
	row    *fyne.Container
	name   *widget.Label
	tools  []*widget.Button
	portal *widget.Button
	also   *widget.Button
}

// buildManufacturers adds the tiles to the rest screen, the manufacturer's
// name and the ways back to the sign-in screen's lines (below), and the
// rows to the signed-in screen's (rows).
func (k *Kiosk) buildManufacturers(below, rows *fyne.Container) {
	k.vmHeading = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.vmHeading.Wrapping = fyne.TextWrapWord
	k.chooseOther = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), k.act(k.m.BackToChoice))
	k.cancelAdd = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), k.act(k.m.CancelAdd))
	k.addNote = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	k.addNote.Wrapping = fyne.TextWrapWord
	k.noSecond = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	k.noSecond.Wrapping = fyne.TextWrapWord
	k.tiles = container.NewVBox()
	for _, o := range []fyne.CanvasObject{k.vmHeading, k.chooseOther, k.cancelAdd, k.addNote, k.noSecond, k.tiles} {
		o.Hide()
	}
	if len(k.opts.Manufacturers) < 2 {
		return // the sign-in screen as it always was
	}
	below.Objects = append([]fyne.CanvasObject{k.vmHeading}, below.Objects...)
	below.Add(container.NewCenter(container.NewHBox(k.chooseOther, k.cancelAdd)))
	for i, vm := range k.opts.Manufacturers {
		w := &vmWidgets{name: widget.NewLabelWithStyle(vm.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
		w.tile = widget.NewButton(fmt.Sprintf("%d   %s", i+1, vm.Name), k.act(func() { k.m.Choose(i) }))
		w.tile.Importance = widget.HighImportance
		k.tiles.Add(container.New(bigButtonLayout{least: fyne.NewSize(480, 96)}, w.tile))
		line := container.NewHBox(w.name)
		if vm.Handoff != nil {
			for _, name := range vm.Handoff.Tools() {
				b := widget.NewButtonWithIcon(name, theme.MediaPlayIcon(), k.act(func() { k.m.LaunchToolOf(i, name) }))
				w.tools = append(w.tools, b)
				line.Add(b)
			}
		}
		w.portal = widget.NewButtonWithIcon("", theme.ComputerIcon(), k.act(func() { k.m.OpenPortalOf(i) }))
		w.also = widget.NewButtonWithIcon("", theme.LoginIcon(), k.act(func() { k.m.AlsoSignIn(i) }))
		line.Add(w.portal)
		line.Add(w.also)
		w.row = container.NewCenter(line)
		rows.Add(w.row)
		k.vms = append(k.vms, w)
	}
	rows.Add(k.noSecond)
	rows.Add(k.addNote)
}

// chooseByNumber picks the manufacturer of a number key, 1 to 9.
func (k *Kiosk) chooseByNumber(r rune) {
	if len(k.vms) < 2 || r < '1' || r > '9' {
		return
	}
	k.act(func() { k.m.Choose(int(r - '1')) })()
}

// renderManufacturers shows the tiles at rest, the manufacturer of the
// code, and each one's row when signed in.
func (k *Kiosk) renderManufacturers(v state.View) {
	tr := k.tr
	several := len(k.vms) > 1
	setShown(k.tiles, several && v.Screen == state.ScreenRest)
	heading := ""
	switch {
	case v.Adding:
		heading = tr.text("ui.also_signing_in", map[string]string{"Name": v.Manufacturer})
	case v.Manufacturer != "":
		heading = tr.text("ui.sign_in_to", map[string]string{"Name": v.Manufacturer})
	}
	if !several {
		return
	}
	setText(k.vmHeading, heading)
	k.setVisible(k.vmHeading, heading != "")
	k.chooseOther.SetText(tr.text("ui.other_manufacturer", nil))
	k.cancelAdd.SetText(tr.text("ui.back_to_session", nil))
	k.setVisible(k.chooseOther, v.ChooseOther)
	k.setVisible(k.cancelAdd, v.Adding)
	signed := map[int]state.SignedVM{}
	for _, s := range v.Signed {
		signed[s.Index] = s
	}
	also := map[int]bool{}
	for _, c := range v.Also {
		also[c.Index] = true
	}
	for i, w := range k.vms {
		s, in := signed[i]
		name := k.opts.Manufacturers[i].Name
		if in {
			setText(w.name, tr.text("ui.signed_in_to", map[string]string{"Name": name}))
		} else {
			setText(w.name, name)
		}
		for _, b := range w.tools {
			setShown(b, in)
		}
		w.portal.SetText(tr.text("ui.repair_portal", nil))
		setShown(w.portal, in && s.Portal)
		w.also.SetText(tr.text("ui.also_sign_in", map[string]string{"Name": name}))
		setShown(w.also, also[i])
		setShown(w.row, in || also[i])
	}
	setText(k.noSecond, k.text(v.NoSecond))
	setShown(k.noSecond, !v.NoSecond.Empty())
	setText(k.addNote, k.text(v.AddNote))
	setShown(k.addNote, !v.AddNote.Empty())
}
