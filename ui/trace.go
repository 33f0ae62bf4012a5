package ui

import (
	"image"

	"fyne.io/fyne/v2/canvas"

	"github.com/workshop-login/workshop-login/platform/startup"
)

// paintProbe, with the start-up trace on (platform/startup), notes the
// first frame painted and the first painted with a QR code: a raster's
// pixels are asked for while its frame is painted, so a transparent raster
// on top of the window's content (painted last, and no widget: it takes no
// input), refreshed when a code is drawn, is asked again at the end of the
// frame that shows the code.
type paintProbe struct {
	raster *canvas.Raster
	code   bool // a code has been drawn since
}

func newPaintProbe() *paintProbe {
	p := &paintProbe{}
	p.raster = canvas.NewRaster(func(int, int) image.Image {
		if p.code {
			startup.QRCodePainted()
		} else {
			startup.Step("first frame painted")
		}
		return image.NewNRGBA(image.Rect(0, 0, 1, 1)) // transparent
	})
	return p
}

// codeDrawn notes that the next frame shows a code.
func (p *paintProbe) codeDrawn() {
	if p == nil || p.code {
		return
	}
	p.code = true
	p.raster.Refresh()
}
