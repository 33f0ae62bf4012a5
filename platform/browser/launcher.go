package browser

import (
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/workshop-login/workshop-login/auth/webpage"
)

// A Launcher is what a browser is given instead of an address that must
// not be on a command line, which every local user can read
// (/proc/PID/cmdline): a small page, readable only by its owner (0600, in
// a fresh 0700 folder under $XDG_RUNTIME_DIR or the temporary folder), that
// posts a secret to an address on this machine and is opened as a file://
// address. Only its path is on a command line. The web sign-in and the
// repair portal's hand-off (platform/handoff) both write theirs here.
type Launcher struct {
	dir, file, prefix string
}

// LauncherPage is what a launcher says and where it is made; "" leaves
// the web sign-in's choice.
type LauncherPage struct {
	Base   string // the folder its own folder is made in; "" is launcherBase()
	Prefix string // its folder's name begins so, and Remove deletes only such
	Name   string // its file's name
	Title  string
	Text   string // said while the form goes
	Button string // the caption of the button shown without script
}

// launcherPrefix names the web sign-in's launchers' folders.
const launcherPrefix = "workshop-login-launch-"

// WriteLauncher writes a launcher that posts secret as field to action
// (http://127.0.0.1:port/…) at once, saying text meanwhile.
func WriteLauncher(action, field, secret, text string) (*Launcher, error) {
	return WriteLauncherPage(LauncherPage{Text: text}, action, field, secret)
}

// WriteLauncherPage is WriteLauncher with page's words and place.
func WriteLauncherPage(page LauncherPage, action, field, secret string) (*Launcher, error) {
	u, err := url.Parse(action)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("a launcher posts to http on this machine, not %q", action)
	}
	page = page.withDefaults()
	dir, err := os.MkdirTemp(page.Base, page.Prefix) // 0700
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
		os.RemoveAll(dir)
		return nil, err
	}
	file := filepath.Join(dir, page.Name)
	out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	err = launcherPage.Execute(out, struct {
		Policy, Action, Field, Secret, Title, Text, Button string
		Script                                             template.JS
	}{
		// Its form may go to that address and nowhere else; only its own
		// script runs.
		Policy: fmt.Sprintf("default-src 'none'; style-src 'unsafe-inline'; script-src '%s'; form-action %s", submitHash, u.Scheme+"://"+u.Host),
		Action: action, Field: field, Secret: secret, Title: page.Title, Text: page.Text, Button: page.Button, Script: submit,
	})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Launcher{dir: dir, file: file, prefix: page.Prefix}, nil
}

func (p LauncherPage) withDefaults() LauncherPage {
	if p.Base == "" {
		p.Base = launcherBase()
	}
	if p.Prefix == "" {
		p.Prefix = launcherPrefix
	}
	if p.Name == "" {
		p.Name = "sign-in.html"
	}
	if p.Title == "" {
		p.Title = "Workshop Login"
	}
	if p.Button == "" {
		p.Button = "\u2192" // →
	}
	return p
}

// URL is the launcher's file:// address, on Windows too (file:///C:/…).
func (l *Launcher) URL() string {
	p := filepath.ToSlash(l.file)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// Remove deletes the launcher and its folder; nil is none.
func (l *Launcher) Remove() {
	if l != nil && strings.HasPrefix(filepath.Base(l.dir), l.prefix) {
		os.RemoveAll(l.dir)
	}
}

// launcherBase is the person's runtime folder ($XDG_RUNTIME_DIR, private to
// them and emptied at log-out) where there is one, else the temporary folder.
func launcherBase() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return os.TempDir()
}

const submit = `document.forms[0].submit();`

var submitHash = webpage.ScriptHash(submit)

var launcherPage = template.Must(template.New("launcher").Parse(`<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<form method="post" action="{{.Action}}">
<input type="hidden" name="{{.Field}}" value="{{.Secret}}">
<p>{{.Text}}</p>
<noscript><button type="submit" style="font-size:1.2em">{{.Button}}</button></noscript>
</form>
<script>{{.Script}}</script>
</body></html>
`))
