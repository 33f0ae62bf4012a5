package handoff

import (
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// The launcher is the file the browser is given instead of the 127.0.0.1
// page's address (see FormPost): it posts the page's secret there.

const launcherName = "portal.html"

// launcherBase is the folder launchers are made in: the person's runtime
// folder ($XDG_RUNTIME_DIR, private to them and emptied at log-out) where
// there is one, otherwise the temporary folder. Each launcher gets a fresh
// folder of its own (0700) there, so its name cannot be guessed or taken
// in advance.
func launcherBase() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return os.TempDir()
}

// writeLauncher writes a launcher that posts secret to origin's hand-off
// address, and returns its folder and file.
func writeLauncher(base, origin, secret string) (dir, file string, err error) {
	if base == "" {
		base = launcherBase()
	}
	dir, err = os.MkdirTemp(base, "workshop-login-portal-") // 0700
	if err != nil {
		return "", "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
		os.RemoveAll(dir)
		return "", "", err
	}
	file = filepath.Join(dir, launcherName)
	out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	err = launcherTemplate.Execute(out, struct {
		Policy, Action, Field, Secret string
		Script                        template.JS
	}{
		// Its form may go to the listener and nowhere else; only its own
		// script runs.
		Policy: fmt.Sprintf("default-src 'none'; style-src 'unsafe-inline'; script-src '%s'; form-action %s", submitScriptHash, origin),
		Action: origin + "/handoff", Field: secretField, Secret: secret, Script: submitScript,
	})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, file, nil
}

// removeLauncher deletes a launcher's folder; only ever one of ours.
func removeLauncher(dir string) {
	if dir != "" && strings.HasPrefix(filepath.Base(dir), "workshop-login-portal-") {
		os.RemoveAll(dir)
	}
}

// fileURL is the file:// address of an absolute path, on Windows too
// (file:///C:/Users/…).
func fileURL(path string) *url.URL {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return &url.URL{Scheme: "file", Path: p}
}

var launcherTemplate = template.Must(template.New("launcher").Parse(`<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="referrer" content="no-referrer">
<title>Opening the repair portal</title></head>
<body style="font-family:sans-serif;font-size:1.4em;margin:3em">
<form method="post" action="{{.Action}}">
<input type="hidden" name="{{.Field}}" value="{{.Secret}}">
<p>Opening the repair portal…</p>
<noscript><button type="submit" style="font-size:1.2em">Continue to the repair portal</button></noscript>
</form>
<script>{{.Script}}</script>
</body></html>
`))
