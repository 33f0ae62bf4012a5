package ui

import (
	"image"
	"image/color"

	"github.com/skip2/go-qrcode"
)

// quietZone is the white margin around a QR code, in modules. The standard
// asks for 4; less makes phones miss the code against a dark frame.
const quietZone = 4

// qrImage draws content as a QR code, one pixel per module, black on white
// with the quiet zone, whatever the theme: a dark theme that inverted it would
// break scanning. It is made once per code; the screen scales it with
// nearest-neighbour sampling so the modules stay sharp.
func qrImage(content string) (*image.NRGBA, error) {
	code, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	code.DisableBorder = true // the quiet zone is drawn below, at a known width
	bits := code.Bitmap()
	size := len(bits) + 2*quietZone
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff // white, opaque
	}
	black := color.NRGBA{A: 0xff}
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				img.SetNRGBA(x+quietZone, y+quietZone, black)
			}
		}
	}
	return img, nil
}
