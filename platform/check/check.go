// Package check answers, for one machine, "will Workshop Login work here?":
// one row for each thing it needs, and what to do about each failure.
// workshop-login check prints the table; installers and fleet tools run it.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/config"
)

// Result is how a row came out.
type Result string

const (
	OK     Result = "ok"
	Failed Result = "FAILED"
	// Note is not a failure: the kiosk works, with a limit the row names.
	Note Result = "note"
	// Warning is not a failure either: the kiosk works now, but something
	// it would rather have did not answer; the row says what is used instead.
	Warning Result = "warning"
)

// Row is one line of the table.
type Row struct {
	Check    string
	Result   Result
	Detail   string
	WhatToDo string
}

// AnyFailed reports whether any row failed.
func AnyFailed(rows []Row) bool {
	for _, r := range rows {
		if r.Result == Failed {
			return true
		}
	}
	return false
}

// Width is the terminal width the table fits: administrators run check
// over remote shells, often 80 columns wide.
const Width = 80

// minDetailWidth keeps the detail column readable beside a long check name
// (a tool's), even if the line then passes Width.
const minDetailWidth = 30

// Write prints the rows as a table of Width columns: the check, its result,
// and its detail wrapped under the row, followed by what to do.
func Write(w io.Writer, rows []Row) error {
	checkWidth, resultWidth := len("CHECK"), len("RESULT")
	for _, r := range rows {
		checkWidth = max(checkWidth, utf8.RuneCountInString(r.Check))
		resultWidth = max(resultWidth, utf8.RuneCountInString(string(r.Result)))
	}
	indent := checkWidth + 2 + resultWidth + 2
	detailWidth := max(Width-indent, minDetailWidth)
	var b strings.Builder
	line := func(check, result, text string) {
		b.WriteString(strings.TrimRight(pad(check, checkWidth+2)+pad(result, resultWidth+2)+text, " "))
		b.WriteByte('\n')
	}
	line("CHECK", "RESULT", "DETAIL")
	for _, r := range rows {
		text := wrap(dash(oneLine(r.Detail)), detailWidth)
		if todo := oneLine(r.WhatToDo); todo != "" {
			text = append(text, wrap("what to do: "+todo, detailWidth)...)
		}
		line(r.Check, string(r.Result), text[0])
		for _, more := range text[1:] {
			line("", "", more)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(width-utf8.RuneCountInString(s), 0))
}

// wrap breaks s into lines of at most width columns, between words; a
// word longer than width (a long path or address) is cut within the
// column, after its last slash that fits when it has one.
func wrap(s string, width int) []string {
	var lines []string
	current := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > width {
			if current != "" {
				lines, current = append(lines, current), ""
			}
			runes := []rune(word)
			cut := width
			if slash := strings.LastIndexAny(string(runes[:width]), `/\`); slash > 0 {
				cut = utf8.RuneCountInString(string(runes[:width])[:slash+1])
			}
			lines, word = append(lines, string(runes[:cut])), string(runes[cut:])
		}
		switch {
		case current == "":
			current = word
		case utf8.RuneCountInString(current)+1+utf8.RuneCountInString(word) <= width:
			current += " " + word
		default:
			lines, current = append(lines, current), word
		}
	}
	return append(lines, current)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Configuration is the row for the configuration as loaded.
func Configuration(cfg config.Config, err error) Row {
	row := Row{Check: "configuration"}
	if err != nil {
		row.Result, row.Detail = Failed, err.Error()
		var ce *config.Error
		if errors.As(err, &ce) {
			row.Detail = strings.TrimSuffix(strings.TrimSuffix(err.Error(), ce.Fix), "; ")
			row.WhatToDo = ce.Fix
		}
		return row
	}
	from := cfg.File
	if from == "" {
		from = "no file: built-in settings"
	}
	row.Result, row.Detail = OK, fmt.Sprintf("environment %s (%s)", cfg.Environment, from)
	return row
}

// ClientChecker asks the Trust Centre for a QR session (auth.Passwordless).
type ClientChecker interface {
	CheckClient(context.Context) error
}

// TrustCentre is the row for Digidentity's answer to a QR session request.
func TrustCentre(ctx context.Context, s auth.Settings, engine ClientChecker) Row {
	row := Row{Check: "trust centre"}
	err := engine.CheckClient(ctx)
	switch {
	case err == nil:
		row.Result, row.Detail = OK, fmt.Sprintf("%s gives QR codes to client %q", s.Issuer, s.ClientID)
	case auth.KeyOf(err) == auth.MsgOffline || auth.KeyOf(err) == auth.MsgBusy:
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = fmt.Sprintf("check the network: this machine must reach %s over HTTPS (a proxy or firewall may block it)", s.Issuer)
	default:
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = "check trust_centre.issuer, client_id and scope against what Digidentity's implementation team gave you"
	}
	return row
}

// DiscoveryReader reads the Trust Centre's discovery document and says
// which endpoints follow from it (auth.Passwordless).
type DiscoveryReader interface {
	Discovery(context.Context) (*auth.Discovery, auth.Endpoints, error)
}

// Discovery is two rows: what the Trust Centre's discovery document said,
// and the endpoints in use with where each came from (setting, discovery
// or fallback). A Trust Centre without the document is no failure, and
// neither is one that did not answer: sign-in works with the settings and
// fallbacks, and reads discovery again later.
func Discovery(ctx context.Context, s auth.Settings, engine DiscoveryReader) []Row {
	found, endpoints, err := engine.Discovery(ctx)
	where := strings.TrimRight(s.Issuer, "/") + auth.DiscoveryPath
	row := Row{Check: "discovery"}
	switch {
	case errors.Is(err, auth.ErrNoDiscovery):
		row.Result, row.Detail = OK, "none: using settings and fallbacks (nothing at "+where+")"
	case err != nil:
		row.Result, row.Detail = Warning, fmt.Sprintf("%s could not be read: %v; using settings and fallbacks", where, err)
		row.WhatToDo = "sign-in works with the settings and fallbacks below and reads discovery again a minute later; " +
			"if it persists, check the network or ask Digidentity whether " + where + " is served"
	case found == nil:
		row.Result, row.Detail = OK, "none: using settings and fallbacks"
	default:
		row.Result, row.Detail = OK, describeDiscovery(where, found)
	}
	used := Row{Check: "endpoints", Result: OK, Detail: endpoints.Describe()}
	if endpoints.JWKS == "" {
		used.Result = Note
		used.WhatToDo = "no key set is known, so ID tokens are not checked and user info alone is the identity: set trust_centre.jwks_url if Digidentity names one"
	}
	return []Row{row, used}
}

// describeDiscovery says in one line what the document names.
func describeDiscovery(where string, d *auth.Discovery) string {
	var named []string
	for _, f := range []struct{ name, value string }{
		{"issuer", d.Issuer}, {"authorization", d.AuthorizationEndpoint}, {"token", d.TokenEndpoint},
		{"user info", d.UserInfoEndpoint}, {"keys", d.JWKSURI},
	} {
		if f.value != "" {
			named = append(named, f.name+" "+f.value)
		}
	}
	for _, f := range []struct {
		name   string
		values []string
	}{{"ID-token algorithms", d.SigningAlgs}, {"client authentication", d.AuthMethods}, {"PKCE", d.PKCEMethods}} {
		if len(f.values) > 0 {
			named = append(named, f.name+" "+strings.Join(f.values, " "))
		}
	}
	if len(named) == 0 {
		return where + ": a document that names nothing the kiosk uses"
	}
	return where + ": " + strings.Join(named, ", ")
}

// CodeLifetime is the row for how long a QR code is taken to be valid:
// learnt from the Trust Centre unless trust_centre.qr_lifetime sets it.
func CodeLifetime(s auth.Settings) Row {
	row := Row{Check: "code lifetime", Result: OK}
	if s.QRLifetime == 0 {
		row.Detail = fmt.Sprintf("learnt from the Trust Centre (qr_lifetime unset); a code is polled until it is gone, at most max_code_age %s", s.MaxCodeAge)
		return row
	}
	row.Detail = fmt.Sprintf("qr_lifetime %s, as configured; a new code is shown %s before it ends, and polled at most max_code_age %s",
		s.QRLifetime, s.QRRefreshLead, s.MaxCodeAge)
	return row
}

// Keyring is the row for the system keyring, probed by probe.
func Keyring(probe func() error) Row {
	row := Row{Check: "keyring"}
	if err := probe(); err != nil {
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = "sign-in works, but a restart signs the person out: unlock the login keyring " +
			"(Linux: gnome-keyring or KWallet running in the kiosk user's session) or check Credential Manager / Keychain access"
		return row
	}
	row.Result, row.Detail = OK, "a test item was stored, read back and removed"
	return row
}

// IdleTime is the row for the machine's idle time measure.
func IdleTime(name string, err error, idleSignOut time.Duration) Row {
	row := Row{Check: "idle time"}
	switch {
	case idleSignOut <= 0:
		row.Result, row.Detail = Note, "idle sign-out is off (kiosk.idle_sign_out = \"0s\")"
		row.WhatToDo = "set kiosk.idle_sign_out, for example \"5m\", on a shared machine"
	case err != nil:
		row.Result, row.Detail = Note, "only input to the kiosk's window counts: "+err.Error()
		row.WhatToDo = "run the kiosk in an X11 session, or a GNOME or KDE desktop, so input to other programs counts too"
	default:
		row.Result, row.Detail = OK, fmt.Sprintf("from the %s; sign-out after %s", name, idleSignOut)
	}
	return row
}

// AuditLog is the row for the audit log's folder: it must be writable.
func AuditLog(path string, err error) Row {
	row := Row{Check: "audit log"}
	if err == nil {
		err = writable(path)
	}
	if err != nil {
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = "give the kiosk user a home folder it can write to (XDG_DATA_HOME on Linux, %LOCALAPPDATA% on Windows)"
		return row
	}
	row.Result, row.Detail = OK, path
	return row
}

// writable opens the log for appending, as the kiosk will, writing nothing.
func writable(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// Tools is one row for each configured tool: its program and folder exist.
func Tools(tools []config.Tool) []Row {
	if len(tools) == 0 {
		return []Row{{Check: "tools", Result: Note, Detail: "none configured", WhatToDo: "add [[tools]] entries for the garage's diagnostic programs, if any"}}
	}
	var rows []Row
	for _, t := range tools {
		row := Row{Check: "tool " + t.Name}
		path, err := findCommand(t)
		switch {
		case t.Dir != "" && !isDir(t.Dir):
			row.Result, row.Detail = Failed, fmt.Sprintf("folder %s does not exist", t.Dir)
			row.WhatToDo = "install the tool, or correct its dir in the configuration"
		case err != nil:
			row.Result, row.Detail = Failed, err.Error()
			row.WhatToDo = "install the tool, or correct its command in the configuration (a full path is safest)"
		default:
			row.Result, row.Detail = OK, path
			if t.PassAccessToken {
				row.Detail += " (gets the access token on standard input)"
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// findCommand resolves the command as starting the tool will: a bare name
// on PATH, a relative path from the tool's folder.
func findCommand(t config.Tool) (string, error) {
	cmd := t.Command
	if !filepath.IsAbs(cmd) && strings.ContainsRune(cmd, filepath.Separator) && t.Dir != "" {
		cmd = filepath.Join(t.Dir, cmd)
	}
	path, err := exec.LookPath(cmd)
	if err != nil {
		return "", fmt.Errorf("%s: not found or not executable", t.Command)
	}
	return path, nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// Portal is the row for the repair portal's configuration.
func Portal(p config.Portal) Row {
	row := Row{Check: "repair portal", Result: OK}
	switch {
	case p.HandoffURL != "":
		row.Detail = "hands the session to " + p.HandoffURL + " as a form post"
	case p.URL != "":
		row.Detail = "opens " + p.URL + " (the person signs in to the portal there)"
	default:
		row.Result, row.Detail = Note, "none configured"
		row.WhatToDo = "set portal.url, and portal.handoff_url when the vehicle manufacturer's portal takes a session hand-off"
	}
	return row
}

// RelayChecker asks a relay what check shows of it (auth.RelayClient).
type RelayChecker interface {
	URL() string
	Check(context.Context) (auth.RelayStatus, error)
}

// Relay is the relay row: it answers, it accepts this kiosk's key, and it
// publishes the keys tools and portals check its assertions with.
func Relay(ctx context.Context, relay RelayChecker) Row {
	row := Row{Check: "relay"}
	st, err := relay.Check(ctx)
	switch {
	case err == nil:
		row.Result = OK
		row.Detail = fmt.Sprintf("%s accepts this kiosk as %q; its key set has %d key(s) for audience %q", relay.URL(), st.Kiosk, st.JWKSKeys, st.Info.Audience)
	case auth.KeyOf(err) == auth.MsgNotEnrolled:
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = "this kiosk is not enrolled: ask the relay's administrator for a key (workshop-login relay add-kiosk NAME) and run workshop-login enrol"
	case !st.Reachable:
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = fmt.Sprintf("check the network: this machine must reach %s over HTTPS, and relay.url must be right", relay.URL())
	default:
		row.Result, row.Detail = Failed, err.Error()
		row.WhatToDo = "ask the relay's administrator: the relay answers, but " + oneLine(err.Error())
	}
	return row
}
