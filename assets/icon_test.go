package assets

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// The icon is 512 px square and still shows its three colours at 16 px:
// the blue tile, the white code and the yellow spanner.
func TestIconReadsAt16And512(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(Icon))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("icon is %v", b)
	}
	small := boxDownscale(img, 16)
	var blue, white, yellow int
	for y := range 16 {
		for x := range 16 {
			r, g, b := small[y][x][0], small[y][x][1], small[y][x][2]
			switch {
			case r > 200 && g > 200 && b > 200:
				white++
			case r > 200 && g > 150 && b < 100:
				yellow++
			case r < 60 && g < 100 && b > 110:
				blue++
			}
		}
	}
	t.Logf("at 16 px: %d blue, %d white, %d yellow pixels", blue, white, yellow)
	// Each colour keeps whole pixels at 16 px, not only blended edges.
	if blue < 80 || white < 8 || yellow < 4 {
		t.Errorf("at 16 px: %d blue, %d white, %d yellow pixels", blue, white, yellow)
	}
}

// boxDownscale averages blocks of pixels, as a desktop shrinking the icon
// does, into an n×n grid of 8-bit RGB.
func boxDownscale(img image.Image, n int) [][][3]int {
	b := img.Bounds()
	block := b.Dx() / n
	out := make([][][3]int, n)
	for gy := range n {
		out[gy] = make([][3]int, n)
		for gx := range n {
			var sum [3]int
			for y := gy * block; y < (gy+1)*block; y++ {
				for x := gx * block; x < (gx+1)*block; x++ {
					r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
					// Over white, as on a light desktop.
					sum[0] += int((r + (0xffff - a)) >> 8)
					sum[1] += int((g + (0xffff - a)) >> 8)
					sum[2] += int((bl + (0xffff - a)) >> 8)
				}
			}
			for i := range sum {
				out[gy][gx][i] = sum[i] / (block * block)
			}
		}
	}
	return out
}

// The window's icon is the same drawing at 128 px.
func TestWindowIconIs128(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(WindowIcon))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
		t.Fatalf("window icon is %v", b)
	}
}
