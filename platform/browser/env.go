package browser

import (
	"runtime"
	"strings"
)

// childEnv is what the opener and the browser inherit: only what they need
// to find the display, the desktop's choice of browser, the person's
// language and home; never the kiosk's own settings or secrets
// (WORKSHOP_LOGIN_*, a client secret, tokens).
//
// TODO(childenv): use platform/childenv's Clean, with what the opener needs
// as extra, once that package is committed; this allowlist is the minimal
// stand-in.
func childEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok && k != "" && allowed(k) {
			out = append(out, kv)
		}
	}
	return out
}

var allowedNames = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "SHELL": true, "TMPDIR": true,
	"LANG": true, "LANGUAGE": true, "TZ": true,
	// X11, Wayland and the desktop xdg-open asks for the browser
	"DISPLAY": true, "WAYLAND_DISPLAY": true, "XAUTHORITY": true, "DBUS_SESSION_BUS_ADDRESS": true,
	"XDG_RUNTIME_DIR": true, "XDG_SESSION_TYPE": true, "XDG_CURRENT_DESKTOP": true, "XDG_SESSION_DESKTOP": true,
	"XDG_CONFIG_HOME": true, "XDG_DATA_HOME": true, "XDG_CACHE_HOME": true, "XDG_CONFIG_DIRS": true, "XDG_DATA_DIRS": true,
	"DESKTOP_SESSION": true, "KDE_FULL_SESSION": true, "KDE_SESSION_VERSION": true,
	"GNOME_DESKTOP_SESSION_ID": true, "MATE_DESKTOP_SESSION_ID": true, "BROWSER": true,
	"__CF_USER_TEXT_ENCODING": true, // macOS
}

// Windows names, compared without case as Windows does.
var allowedWindows = map[string]bool{
	"SYSTEMROOT": true, "WINDIR": true, "COMSPEC": true, "PATHEXT": true, "SYSTEMDRIVE": true,
	"USERPROFILE": true, "USERNAME": true, "USERDOMAIN": true, "APPDATA": true, "LOCALAPPDATA": true,
	"TEMP": true, "TMP": true, "PROGRAMDATA": true, "PROGRAMFILES": true, "PROGRAMFILES(X86)": true,
	"PROGRAMW6432": true, "COMMONPROGRAMFILES": true, "COMMONPROGRAMFILES(X86)": true,
	"HOMEDRIVE": true, "HOMEPATH": true, "PATH": true, "OS": true,
}

func allowed(k string) bool {
	if strings.HasPrefix(strings.ToUpper(k), "WORKSHOP_LOGIN_") {
		return false // ours, whatever it is
	}
	if runtime.GOOS == "windows" {
		return allowedWindows[strings.ToUpper(k)]
	}
	return allowedNames[k] || strings.HasPrefix(k, "LC_")
}
