package relaycmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/workshop-login/workshop-login/auth/relay"
)

// deny adds a line to the deny list: "kiosk CODE" (the code the kiosk
// shows) or "garage IOUID". Every replica refuses it within a second of
// the file reaching it; the file is replaced whole, never half-written.
func deny(configPath, what, value string, stdout, stderr io.Writer) int {
	name := "workshop-login relay deny-" + what
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return exitConfig
	}
	if cfg.DenyFile == "" {
		fmt.Fprintln(stderr, name+`: relay.toml names no deny_file: add deny_file = "denied" before its first section, and roll it out`)
		return exitConfig
	}
	path := cfg.Path(cfg.DenyFile)
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(stderr, name+":", err)
		return exitFailed
	}
	if len(existing) > 0 && !bytes.HasSuffix(existing, []byte("\n")) {
		existing = append(existing, '\n')
	}
	line := what + " " + strings.TrimSpace(value) + "\n"
	next := append(existing, line...)
	if _, err := relay.ParseDenyList(bytes.NewReader([]byte(line))); err != nil {
		fmt.Fprintf(stderr, "%s: %q: give the 8-character code the kiosk shows (K7Q4-MZ2A) or the garage's whole IOUID\n", name, value)
		return exitUsage
	}
	if _, err := relay.ParseDenyList(bytes.NewReader(next)); err != nil {
		fmt.Fprintf(stderr, "%s: %s does not read as a deny list (%v): correct it first\n", name, path, err)
		return exitFailed
	}
	if err := writeAtomically(path, next); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "Denied %s %s: every replica that reads %s refuses it within a second.\n", what, strings.TrimSpace(value), path)
	return 0
}
