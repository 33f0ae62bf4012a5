// Package childenv is the environment the kiosk gives the programs it
// starts (diagnostic tools, the browser): an allowlist of what a desktop
// program needs to run, never the kiosk's own settings.
//
// The kiosk's configuration may arrive through WORKSHOP_LOGIN_* variables,
// among them the Trust Centre's client secret; inherited, those would reach
// every tool, whatever the tool starts, and anyone allowed to read the
// tool's /proc/PID/environ. So a child's environment is built from the
// allowlist, not from the kiosk's environment minus a denylist: a variable
// nobody thought of does not pass.
package childenv

import (
	"os"
	"runtime"
	"strings"
)

// ours is the prefix of the kiosk's own variables (platform/config). They
// never pass, not even as extra.
const ours = "WORKSHOP_LOGIN_"

// allowed are the variables a child keeps, by exact name:
//   - where programs and the user are: PATH, HOME, USER, LOGNAME, SHELL,
//     temporary directories (TMPDIR, TEMP, TMP);
//   - language and time: LANG, LANGUAGE (plus every LC_*, below), TZ;
//   - the desktop session, so a program can show a window and the system's
//     opener picks the desktop's browser: DISPLAY, WAYLAND_DISPLAY,
//     XAUTHORITY, XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS,
//     XDG_SESSION_TYPE, XDG_CURRENT_DESKTOP, DESKTOP_SESSION and the XDG
//     base directories;
//   - on Windows, what the system's own libraries and installers expect:
//     SystemRoot, windir, ComSpec, PATHEXT, SystemDrive, APPDATA,
//     LOCALAPPDATA, USERPROFILE, ProgramData, the Program Files folders,
//     HOMEDRIVE, HOMEPATH, USERNAME, USERDOMAIN, COMPUTERNAME, OS and the
//     processor description.
var allowed = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TEMP", "TMP",
	"LANG", "LANGUAGE", "TZ",
	"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
	"XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS",
	"SystemRoot", "windir", "ComSpec", "PATHEXT", "SystemDrive",
	"APPDATA", "LOCALAPPDATA", "USERPROFILE", "ProgramData",
	"ProgramFiles", "ProgramFiles(x86)", "ProgramW6432",
	"CommonProgramFiles", "CommonProgramFiles(x86)", "CommonProgramW6432",
	"HOMEDRIVE", "HOMEPATH", "USERNAME", "USERDOMAIN", "COMPUTERNAME", "OS",
	"PROCESSOR_ARCHITECTURE", "NUMBER_OF_PROCESSORS",
}

// Allowed says whether a variable of this name passes to a child. Names are
// compared as the system does: exactly on Unix, ignoring case on Windows
// (where PATH is usually spelt Path).
func Allowed(name string) bool {
	return allowedOn(runtime.GOOS == "windows", name)
}

func allowedOn(windows bool, name string) bool {
	if hasPrefix(true, name, ours) {
		return false
	}
	if hasPrefix(windows, name, "LC_") {
		return true
	}
	for _, a := range allowed {
		if name == a || windows && strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}

func hasPrefix(windows bool, s, prefix string) bool {
	return len(s) >= len(prefix) && (s[:len(prefix)] == prefix || windows && strings.EqualFold(s[:len(prefix)], prefix))
}

// Clean is environ ("NAME=value" entries, as os.Environ gives them) reduced
// to the allowed variables, followed by extra: the variables the caller
// adds on purpose, such as a tool's SERMI_* identity. An extra variable
// replaces an inherited one of the same name. Nothing named WORKSHOP_LOGIN_*
// (in any case) passes, not even in extra; neither do entries without a name.
func Clean(environ []string, extra ...string) []string {
	return clean(runtime.GOOS == "windows", environ, extra)
}

// Environ is Clean(os.Environ(), extra...): what a child started now gets.
func Environ(extra ...string) []string { return Clean(os.Environ(), extra...) }

func clean(windows bool, environ, extra []string) []string {
	key := func(kv string) string {
		name, _, _ := strings.Cut(kv, "=")
		if windows {
			return strings.ToUpper(name)
		}
		return name
	}
	added := map[string]int{} // name: index in adds
	var adds []string
	for _, kv := range extra {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" || hasPrefix(true, name, ours) {
			continue
		}
		if i, twice := added[key(kv)]; twice {
			adds[i] = kv // the last one given wins, as with exec.Cmd.Env
			continue
		}
		added[key(kv)] = len(adds)
		adds = append(adds, kv)
	}
	out := make([]string, 0, len(adds)+16)
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && name != "" && allowedOn(windows, name) {
			if _, replaced := added[key(kv)]; replaced {
				continue
			}
			out = append(out, kv)
		}
	}
	return append(out, adds...)
}
