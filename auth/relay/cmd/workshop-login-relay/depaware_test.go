package main

// What the static relay links, checked in as depaware.txt (the idea of
// tailscale's depaware): a new dependency shows in review, not in the
// container image unnoticed.

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var updateDepaware = flag.Bool("update", false, "rewrite depaware.txt from the static relay's go list -deps")

const depawareFile = "depaware.txt"

const depawareHeader = `# What the static relay (make relay-static) links beyond the standard
# library: CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go list -deps -tags=migrated_fynedo
# ./auth/relay/cmd/workshop-login-relay. Checked by TestDepaware; to update:
#   go test -tags=migrated_fynedo ./auth/relay/cmd/workshop-login-relay -run TestDepaware -update
`

// staticRelayDeps lists the non-standard packages of the static build, as
// make relay-static builds it (the image is linux/amd64, so the list does
// not depend on where the test runs).
func staticRelayDeps(t *testing.T) []string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "list", "-deps", "-tags=migrated_fynedo",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderrOf(err))
	}
	var deps []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			deps = append(deps, line)
		}
	}
	slices.Sort(deps)
	return deps
}

func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}

func TestDepaware(t *testing.T) {
	deps := staticRelayDeps(t)
	for _, d := range deps {
		// A server links no GUI: Fyne or GL here means the image needs cgo
		// and X11 libraries, and the relay no longer builds static.
		if strings.HasPrefix(d, "fyne.io/") || strings.HasPrefix(d, "github.com/go-gl/") {
			t.Errorf("the static relay links %s: nothing of the relay may import Fyne or GL", d)
		}
	}
	if *updateDepaware {
		text := depawareHeader + strings.Join(deps, "\n") + "\n"
		if err := os.WriteFile(depawareFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(depawareFile)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			want = append(want, line)
		}
	}
	var added, removed []string
	for _, d := range deps {
		if !slices.Contains(want, d) {
			added = append(added, d)
		}
	}
	for _, d := range want {
		if !slices.Contains(deps, d) {
			removed = append(removed, d)
		}
	}
	if len(added)+len(removed) > 0 {
		t.Errorf("the static relay's dependencies differ from %s:\n  links now: %s\n  no longer: %s\n"+
			"If that is meant, update the list and commit it with the change:\n"+
			"  go test -tags=migrated_fynedo ./auth/relay/cmd/workshop-login-relay -run TestDepaware -update",
			depawareFile, strings.Join(added, " "), strings.Join(removed, " "))
	}
}
