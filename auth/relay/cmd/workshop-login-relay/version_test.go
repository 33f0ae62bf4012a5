package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The static relay answers --version with the stamp the Makefile puts on
// every program (its STAMP package), so one stamp names both binaries.
func TestVersionIsTheMakefilesStamp(t *testing.T) {
	makefile, err := os.ReadFile("../../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^STAMP\s*:=\s*(\S+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile has no STAMP := line")
	}
	stamp := string(m[1])
	bin := filepath.Join(t.TempDir(), "workshop-login-relay")
	build := exec.Command("go", "build", "-tags=migrated_fynedo", "-trimpath", "-o", bin,
		"-ldflags", "-X "+stamp+".Version=9.8.7-stamped -X "+stamp+".Commit=abc1234 -X "+stamp+".Date=2026-12-07T05:00:00Z", ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the relay: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "workshop-login-relay 9.8.7-stamped (commit abc1234, built 2026-12-07T05:00:00Z)"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("--version = %q, want %q", got, want)
	}
}
