package childenv

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var kiosk = []string{
	"PATH=/usr/bin:/bin", "HOME=/home/garage", "USER=garage", "LOGNAME=garage", "LANG=nl_NL.UTF-8", "LC_TIME=de_DE.UTF-8",
	"TZ=Europe/Amsterdam", "TMPDIR=/tmp", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "XDG_RUNTIME_DIR=/run/user/1000",
	"XAUTHORITY=/home/garage/.Xauthority", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
	"WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET=cs-secret", "WORKSHOP_LOGIN_ENVIRONMENT=production",
	"SERMI_SUB=stale-from-the-kiosk", "AWS_SECRET_ACCESS_KEY=aws-secret", "SSH_AUTH_SOCK=/tmp/ssh-agent",
	"LD_PRELOAD=/tmp/evil.so", "GITHUB_TOKEN=gh-secret", "NOEQUALS", "=C:=C:\\kiosk",
}

func TestCleanKeepsOnlyTheAllowlist(t *testing.T) {
	got := clean(false, kiosk, []string{"SERMI_SUB=e6x3a4mp", "SERMI_ROLE=IOE"})
	want := []string{
		"PATH=/usr/bin:/bin", "HOME=/home/garage", "USER=garage", "LOGNAME=garage", "LANG=nl_NL.UTF-8", "LC_TIME=de_DE.UTF-8",
		"TZ=Europe/Amsterdam", "TMPDIR=/tmp", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "XDG_RUNTIME_DIR=/run/user/1000",
		"XAUTHORITY=/home/garage/.Xauthority", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
		"SERMI_SUB=e6x3a4mp", "SERMI_ROLE=IOE",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOurVariablesNeverPass(t *testing.T) {
	for _, windows := range []bool{false, true} {
		got := clean(windows, kiosk, []string{"WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET=again", "workshop_login_x=y", "SERMI_SUB=a", "SERMI_SUB=b"})
		for _, kv := range got {
			if strings.Contains(strings.ToUpper(kv), "WORKSHOP_LOGIN") || strings.Contains(kv, "secret") {
				t.Errorf("windows %v: %q passed", windows, kv)
			}
		}
		if n := slices.Index(got, "SERMI_SUB=b"); n < 0 || slices.Contains(got, "SERMI_SUB=a") {
			t.Errorf("windows %v: the last SERMI_SUB given does not win: %q", windows, got)
		}
	}
}

func TestExtraReplacesAnInheritedVariable(t *testing.T) {
	got := clean(false, []string{"PATH=/usr/bin", "HOME=/home/garage"}, []string{"PATH=/opt/tool/bin"})
	if !slices.Equal(got, []string{"HOME=/home/garage", "PATH=/opt/tool/bin"}) {
		t.Errorf("got %q", got)
	}
}

func TestWindowsNamesIgnoreCase(t *testing.T) {
	env := []string{"Path=C:\\Windows", "SystemRoot=C:\\Windows", "SYSTEMROOT=C:\\Windows", "ComSpec=cmd.exe", "PATHEXT=.EXE",
		"APPDATA=a", "LOCALAPPDATA=l", "USERPROFILE=u", "ProgramData=p", "windir=C:\\Windows", "Workshop_Login_X=y", "lc_all=C"}
	got := clean(true, env, nil)
	if len(got) != len(env)-1 || slices.Contains(got, "Workshop_Login_X=y") {
		t.Errorf("got %q", got)
	}
	if got := clean(false, []string{"Path=/bin"}, nil); len(got) != 0 {
		t.Error("on Unix, Path is not PATH")
	}
}

// A real child, started with Environ, sees none of the kiosk's secrets.
func TestAChildSeesNoSecret(t *testing.T) {
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", "cs-secret-from-the-environment")
	t.Setenv("LC_MESSAGES", "C")
	if _, err := exec.LookPath("env"); err != nil {
		t.Skip("no env program")
	}
	cmd := exec.Command("env")
	cmd.Env = Environ("SERMI_SUB=e6x3a4mp")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "WORKSHOP_LOGIN") || strings.Contains(string(out), "cs-secret") {
		t.Errorf("the child's environment:\n%s", out)
	}
	for _, want := range []string{"PATH=" + os.Getenv("PATH"), "LC_MESSAGES=C", "SERMI_SUB=e6x3a4mp"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("the child lacks %s:\n%s", want, out)
		}
	}
}
