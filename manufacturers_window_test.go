package main

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

// A kiosk of two manufacturers in a real window, as make run shows it:
// the tiles; A's code by its tile; signed in to A, B's code by its
// number key, another person's approval refused (the first stays), then
// one more approval by the same person; B's demo tool,
// which says B's relay signed; a clean restart keeps both (B's tool again);
// sign-out ends both. With
// WORKSHOP_LOGIN_SCREENSHOTS set it saves the README's pictures of the
// tiles and of the signed-in screen with two manufacturers.
func TestTwoManufacturersInARealWindow(t *testing.T) {
	xvfbtest.NeedTools(t)
	shots := os.Getenv("WORKSHOP_LOGIN_SCREENSHOTS")
	dir := t.TempDir()
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags=migrated_fynedo",
		"-o", filepath.Join(dir, "workshop-login-demo-tool"), "./ui/demo/tool/workshop-login-demo-tool")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the demo tool: %v\n%s", err, out)
	}
	config := filepath.Join(dir, "config.toml") // empty: make run's demonstration
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := xvfbtest.Start(t)
	env := []string{`WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS=["Demo manufacturer A", "Demo manufacturer B"]`,
		"WORKSHOP_LOGIN_TRUST_CENTRE_POLL_INTERVAL=1s", "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}
	kiosk := launch(t, d, os.Args[0], config, dir, env...)

	// The default run's relay (A's) lets the garage enrol its kiosk first:
	// at rest it offers the enrolment, and a key brings its code.
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	enrolment := wake(t, d)
	answer(t, enrolment, "ioe", "1234")
	eventually(t, "the tiles after the enrolment", 30*time.Second, func() bool { return d.QR() == "" })
	time.Sleep(2 * time.Second) // input alone wakes nothing: the tiles stay
	if d.QR() != "" {
		t.Fatal("a code is on screen before a manufacturer was chosen")
	}
	if shots != "" {
		screenPNG(t, d, filepath.Join(shots, "manufacturers.png"))
	}
	click := func(x, y int) {
		t.Helper()
		if out, err := d.Xdotool("mousemove", fmt.Sprint(x), fmt.Sprint(y), "click", "1").CombinedOutput(); err != nil {
			t.Fatalf("xdotool click: %v %s", err, out)
		}
	}
	// A's tile, touched (clicked): its code.
	began := time.Now()
	click(450, 325)
	var code string
	eventually(t, "A's code after its tile", 30*time.Second, func() bool { code = d.QR(); return code != "" })
	// For the README's figure; not asserted (the machine is shared).
	t.Logf("from the tile's touch to a decodable code: %s", time.Since(began).Round(10*time.Millisecond))
	approve(t, d, code)
	// Another technician approves B's code: refused, A's session stays.
	answer(t, press(t, d, "2", "B's code for the second approval"), "ioe-non-vat", "3456")
	eventually(t, "B's code gone after another person's approval", 15*time.Second, func() bool { return d.QR() == "" })
	time.Sleep(time.Second) // a wrong take-over, were there one, would show by now
	if !d.WindowTitled("Workshop Login: GARAGE JANSEN") || d.WindowTitled("KFZ MEIER") {
		t.Fatal("another person's approval of the second sign-in replaced the first person")
	}
	if shots != "" {
		screenPNG(t, d, filepath.Join(shots, "another-person-refused.png"))
	}
	approve(t, d, press(t, d, "2", "B's code again")) // the same technician
	if shots != "" {
		screenPNG(t, d, filepath.Join(shots, "two-signed-in.png"))
	}

	click(bToolX, bToolY)
	eventually(t, "B's demo tool saying B's relay signed", 30*time.Second, func() bool {
		return d.WindowTitled("Demo tool: verified, GARAGE JANSEN, by the relay of Demo manufacturer B")
	})
	// The launch is recorded once the tool has run its first seconds, as a
	// person working in it would let it.
	audit := filepath.Join(dir, "workshop-login", "audit.jsonl")
	eventually(t, "the launch in the audit log", 30*time.Second, func() bool {
		b, _ := os.ReadFile(audit)
		return strings.Contains(string(b), `"event":"tool_launch"`)
	})

	// A clean restart (an update, say) keeps the person signed in to both:
	// B's tool, launched again, gets B's session through B's relay.
	kiosk.Process.Signal(syscall.SIGTERM)
	eventually(t, "the kiosk's end", 20*time.Second, func() bool { return syscall.Kill(kiosk.Process.Pid, 0) != nil })
	eventually(t, "the demo tool ended with the kiosk", 20*time.Second, func() bool { return !d.WindowTitled("Demo tool") })
	launch(t, d, os.Args[0], config, dir, env...)
	eventually(t, "the person signed in again after the restart", 60*time.Second, func() bool {
		return d.WindowTitled("Workshop Login: GARAGE JANSEN")
	})
	time.Sleep(time.Second) // the window settles
	click(bToolX, bToolY)
	eventually(t, "B's demo tool after the restart, B's relay signing", 30*time.Second, func() bool {
		return d.WindowTitled("Demo tool: verified, GARAGE JANSEN, by the relay of Demo manufacturer B")
	})
	d.Xdotool("search", "--name", "Demo tool", "windowmove", "1000", "700").Run()
	time.Sleep(500 * time.Millisecond)
	click(450, 637) // Sign out (the keyboard may be the tool's now)
	eventually(t, "both signed out: the garage gone from the title, the demo tool ended", 30*time.Second, func() bool {
		return !d.WindowTitled("GARAGE JANSEN") && !d.WindowTitled("Demo tool") &&
			exec.Command("pgrep", "-f", filepath.Join(dir, "workshop-login-demo-tool")).Run() != nil
	})
	if d.QR() != "" {
		t.Error("a code is on screen after the sign-out: the tiles should be")
	}
	log, err := os.ReadFile(audit)
	for _, vm := range []string{"Demo manufacturer A", "Demo manufacturer B"} {
		for _, event := range []string{"sign_in", "sign_out"} {
			if err != nil || !strings.Contains(string(log), `"event":"`+event+`"`) || !strings.Contains(string(log), `"manufacturer":"`+vm+`"`) {
				t.Errorf("the audit log lacks %s of %s (%v):\n%s", event, vm, err, log)
			}
		}
	}
	if !strings.Contains(string(log), `"event":"refused"`) || !strings.Contains(string(log), "5550001112X") {
		t.Errorf("the audit log lacks the refusal of the other person:\n%s", log)
	}
	if !strings.Contains(string(log), `"event":"tool_launch"`) {
		t.Errorf("the audit log lacks the launch:\n%s", log)
	}
}

// answer approves code as the simulator's persona would on a phone.
func answer(t *testing.T, code, persona, pin string) {
	t.Helper()
	resp, err := http.PostForm(code, url.Values{"persona": {persona}, "pin": {pin}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approving as %s: HTTP %d", persona, resp.StatusCode)
	}
}

// press presses key until a code shows (again after 3 s, as a person
// would: a window that has only just appeared may lack the keyboard), and
// returns the code.
func press(t *testing.T, d *xvfbtest.Display, key, what string) string {
	t.Helper()
	var code string
	var pressed time.Time
	eventually(t, what, 30*time.Second, func() bool {
		if time.Since(pressed) > 3*time.Second {
			d.Key(t, key)
			pressed = time.Now()
		}
		code = d.QR()
		return code != ""
	})
	return code
}

// Where B's demo tool button is, in the 900x720 window at the screen's
// corner, signed in to both (see assets/screenshots/two-signed-in.png).
const bToolX, bToolY = 505, 385

// screenPNG saves the kiosk's window (900x720 at the screen's corner) as
// PNG, read straight from Xvfb's XWD file (32 bits a pixel, as Xvfb
// writes it at depth 24), so the pictures need no ImageMagick.
func screenPNG(t *testing.T, d *xvfbtest.Display, path string) {
	t.Helper()
	d.MovePointer(t, 1020, 760) // out of the picture
	time.Sleep(300 * time.Millisecond)
	raw, err := os.ReadFile(d.Screen)
	if err != nil || len(raw) < 100 {
		t.Fatalf("reading the screen: %v", err)
	}
	field := func(i int) int { return int(binary.BigEndian.Uint32(raw[4*i:])) }
	header, width, height, bpp, line, ncolors := field(0), field(4), field(5), field(11), field(12), field(19)
	if bpp != 32 {
		t.Fatalf("the screen has %d bits a pixel, want 32", bpp)
	}
	pixels := raw[header+12*ncolors:]
	img := image.NewRGBA(image.Rect(0, 0, min(900, width), min(720, height)))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			p := pixels[y*line+4*x:]
			img.Set(x, y, color.RGBA{p[2], p[1], p[0], 0xff})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
