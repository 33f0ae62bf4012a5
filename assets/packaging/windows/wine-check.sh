#!/bin/sh
# make wine-check (and make dist-check): the Windows installer and program,
# run for real under Debian's Wine (64-bit) in a throwaway prefix, headless
# under Xvfb, as a person at a Windows kiosk would use them:
# - the installer installs silently (/S): the program in Program Files, the
#   configuration in ProgramData, the Start menu, the uninstaller's entry;
# - the installed program, typed at a console, prints its version and its
#   check table there (it is a GUI program: it must attach to the console);
# - its window shows a QR code on the embedded simulator; the code, read from
#   the screen's pixels and approved through the simulator's page, signs the
#   technician in (the title names the garage); the session is then in the
#   Credential Manager; Ctrl+L signs out and removes it;
# - the silent uninstaller leaves only the kept configuration.
# It prints the Windows figures, and Linux's beside them when the Linux
# build is there (build/linux, make dist-linux): start to a decodable QR
# code, memory and CPU after a minute of waiting, sizes.
#
# What Wine proves and what it does not: see the README's "Installers".
set -eu
VERSION=$1
HELPERS=${2:-build/wine} # the test's helpers (make wine-helpers), never shipped
WAIT=${WINE_CHECK_WAIT:-60} # seconds of waiting before memory and CPU are read
setup=dist/workshop-login-${VERSION}-windows-amd64-setup.exe
installed='C:\Program Files\Workshop Login\workshop-login.exe'
linux=build/linux/workshop-login
fail() { echo "wine-check: $*" >&2; exit 1; }
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }
secs() { printf '%.1f s' "$(echo "$1 / 1000" | bc -l)"; }
mb() { printf '%.1f MB' "$(echo "$1 / 1048576" | bc -l)"; }

# Its figures are start to a decodable code, so codes are always on screen
# here (the installed default, on demand, starts at rest until a touch).
export WORKSHOP_LOGIN_KIOSK_CODES=always
for tool in wine wineserver Xvfb zbarimg xdotool curl tmux bc; do
	command -v $tool >/dev/null || fail "$tool is missing: make dist-tools installs it"
done
for f in "$setup" "$HELPERS/bcryptprimitives.dll" "$HELPERS/winprobe.exe"; do
	[ -f "$f" ] || fail "$f is missing: make wine-check builds it"
done
begin=$(now)

work=$(mktemp -d)
app="" linux_app="" xvfb="" xvfb2=""
cleanup() {
	for pid in $app $linux_app; do kill "$pid" 2>/dev/null || true; done
	WINEPREFIX=$work/prefix wineserver -k 2>/dev/null || true # this prefix's processes only
	for pid in $xvfb $xvfb2; do kill "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# A throwaway prefix, home and temporary folder: nothing of Wine's or the
# program's is left behind. The overrides keep Wine from asking for Mono and
# Gecko and from writing desktop entries for the Start menu, and switch off
# Wine's XInput (game controllers, which GLFW probes for): it keeps a thread
# that can outlive the DLL when GLFW unloads it as the window closes, and
# then a window closed cleanly (exit code 0) still faults in xinput1_4.dll
# (2 of 21 closes here). Windows' own XInput is not Wine's.
mkdir -p "$work/home" "$work/tmp" "$work/screen" "$work/screen2"
export TMPDIR="$work/tmp" HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
	XDG_CACHE_HOME="$work/home/.cache" XDG_STATE_HOME="$work/home/.local/state" LANG=en_US.UTF-8
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d;xinput1_1,xinput1_2,xinput1_3,xinput1_4,xinput9_1_0=d"
drive="$WINEPREFIX/drive_c"

# start_xvfb DIR starts Xvfb on a free display, its number in DIR/display,
# its screen in DIR/Xvfb_screen0 (XWD, which zbarimg reads).
start_xvfb() {
	Xvfb -displayfd 3 -screen 0 1024x768x24 -fbdir "$1" -nolisten tcp 3>"$1/display" 2>"$1/xvfb.log" &
	echo $! >"$1/pid"
	for _ in $(seq 100); do [ -s "$1/display" ] && break; sleep 0.1; done
	[ -s "$1/display" ] || { cat "$1/xvfb.log" >&2; fail "Xvfb did not start"; }
}
start_xvfb "$work/screen"
xvfb=$(cat "$work/screen/pid")
export DISPLAY=":$(cat "$work/screen/display")"
screen="$work/screen/Xvfb_screen0"

echo "== Wine: $(wine --version 2>/dev/null), a fresh 64-bit prefix on display $DISPLAY"
t=$(now)
timeout 300 wine wineboot --init >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log"; fail "wineboot failed"; }
wineboot_ms=$(ms_since "$t")
# Go's runtime needs bcryptprimitives.dll (ProcessPrng), which Wine 8 lacks:
# the stand-in calls BCryptGenRandom. In the test's prefix only.
cp "$HELPERS/bcryptprimitives.dll" "$drive/windows/system32/"
# No debugger for a crash (Wine starts winedbg, which can hang): a crashing
# program ends at once, and its "Unhandled" line fails the test below.
wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /d '' /f >/dev/null 2>&1 ||
	fail "cannot switch off Wine's debugger"
echo "prefix ready in $(secs "$wineboot_ms")"

echo "== installing $setup silently (/S)"
find "$drive" | sort >"$work/before.txt"
t=$(now)
timeout 300 wine "$setup" /S || fail "the installer failed or hung (exit $?)"
install_ms=$(ms_since "$t")
find "$drive" | sort >"$work/after.txt"
comm -13 "$work/before.txt" "$work/after.txt" >"$work/installed.txt"
sed "s|^$drive/|C:/|" "$work/installed.txt"
for f in "Program Files/Workshop Login/workshop-login.exe" "Program Files/Workshop Login/uninstall.exe" \
	"ProgramData/WorkshopLogin/config.toml" \
	"ProgramData/Microsoft/Windows/Start Menu/Programs/Workshop Login/Workshop Login.lnk"; do
	[ -f "$drive/$f" ] || fail "the installer did not install C:/$f"
done
grep -q '^# environment' "$drive/ProgramData/WorkshopLogin/config.toml" || fail "the configuration is not the commented default"
# reg_value KEY NAME: a value from the 64-bit registry, as the installer wrote it.
reg_value() { wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"; }
uninstall_key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\WorkshopLogin'
[ "$(reg_value "$uninstall_key" DisplayVersion)" = "$VERSION" ] || fail "Apps & features does not list version $VERSION"
[ "$(reg_value 'HKLM\Software\WorkshopLogin' InstallDir)" = 'C:\Program Files\Workshop Login' ] ||
	fail "the install folder is not in the 64-bit registry"
echo "in the 64-bit registry: $uninstall_key, DisplayVersion $VERSION; installed in $(secs "$install_ms")"

# in_console OUT ARG... runs the installed program as a person typing it
# at a cmd.exe prompt in an 80-column console, and puts what the console
# shows in OUT; its exit code is the program's. winprobe starts it as
# cmd.exe starts a GUI program, with no console and no standard handles of
# its own, so its output appears only if it attaches to the console
# (platform/console). The console is Wine's, drawn in tmux, whose screen
# is what a person would read.
in_console() {
	screen_text=$1
	shift
	command="timeout 120 wine '$HELPERS/winprobe.exe' console '$installed'"
	for arg in "$@"; do command="$command '$arg'"; done
	tmux -S "$work/tmux" -f /dev/null new-session -d -x 80 -y 50 \
		"$command; echo \$? >'$screen_text.status'; tmux -S '$work/tmux' wait-for -S done; sleep 60"
	tmux -S "$work/tmux" wait-for done
	tmux -S "$work/tmux" capture-pane -p -S - | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$screen_text"
	tmux -S "$work/tmux" kill-server
	return "$(cat "$screen_text.status")"
}

echo "== the installed program at a console"
in_console "$work/version.txt" --version || fail "--version at a console exited $?: $(cat "$work/version.txt")"
out=$(cat "$work/version.txt")
echo "$out"
case "$out" in *"workshop-login $VERSION (commit "*) ;; *) fail "--version at a console printed: $out" ;; esac
out=$(timeout 120 wine "$installed" --version 2>/dev/null | tr -d '\r')
case "$out" in "workshop-login $VERSION (commit "*) ;; *) fail "--version into a pipe printed: $out" ;; esac
in_console "$work/check.txt" check || { cat "$work/check.txt"; fail "workshop-login check at a console exited non-zero"; }
cat "$work/check.txt"
grep -q '^CHECK  *RESULT' "$work/check.txt" || fail "check printed no table at the console"
grep -q '^keyring  *ok' "$work/check.txt" || fail "check: the Credential Manager did not store, return and remove its test item"
grep -q '^idle time  *ok.*GetLastInputInfo' "$work/check.txt" || fail "check: idle time does not come from GetLastInputInfo"
# Into a pipe (a fleet tool's way), where the console does not wrap: the
# table itself must fit 80 columns.
timeout 120 wine "$installed" check >"$work/check-pipe.txt" 2>/dev/null || fail "workshop-login check into a pipe exited non-zero"
tr -d '\r' <"$work/check-pipe.txt" | awk 'length($0) > 80 { print "wine-check: check line wider than 80 columns: " $0; bad = 1 } END { exit bad }' >&2 ||
	fail "check's table does not fit an 80-column console"

# qr SCREEN prints the QR code on the screen, if one can be read.
qr() { zbarimg -q --raw "xwd:$1" 2>/dev/null | head -1; }
# wait_qr SCREEN [NOT] waits up to 60 s for a QR code other than NOT.
wait_qr() {
	for _ in $(seq 600); do
		code=$(qr "$1") && [ -n "$code" ] && [ "$code" != "${2:-}" ] && return 0
		sleep 0.1
	done
	return 1
}
titled() { xdotool search --name "$1" >/dev/null 2>&1; }
# close_window asks the program to close (WM_CLOSE, as the window's close
# button does) and waits for it: it must end, cleanly, within 15 s.
close_window() {
	wine taskkill /im workshop-login.exe >/dev/null 2>&1 || fail "taskkill found no workshop-login.exe"
	for _ in $(seq 150); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$app" 2>/dev/null || fail "the window did not close within 15 s of WM_CLOSE"
	status=0
	wait "$app" || status=$?
	app=""
	[ "$status" = 0 ] || { cat "$log"; fail "the window exited $status on close"; }
}
median() { tr ' ' '\n' | sort -n | sed -n 2p; }
# ticks PID: the process's user and system CPU time, in 1/100 s.
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }

# three_starts WHO STOP PROGRAM...: starts PROGRAM three times, each until
# its QR code can be read, then STOP ends it; sets start_ms and cpu_ms to
# the medians of the wall-clock time and of the program's own CPU time to
# the code (the machine may be busy: CPU time tells less of that).
three_starts() {
	who=$1 stop=$2
	shift 2
	walls="" cpus=""
	for n in 1 2 3; do
		log="$work/$who-$n.log"
		t=$(now)
		"$@" >"$log" 2>&1 &
		app=$!
		wait_qr "$screen" || { cat "$log"; fail "$who: no decodable QR code on the screen within 60 s"; }
		walls="$walls $(ms_since "$t")" cpus="$cpus $(($(ticks "$app") * 10))"
		$stop
	done
	start_ms=$(echo $walls | median) cpu_ms=$(echo $cpus | median)
	echo "$who, start to a decodable QR code:$walls ms (median $start_ms ms); the program's CPU time to it:$cpus ms"
}
# stop_linux ends the Linux program as the system does (SIGTERM); one that
# is still there 15 s later prints its goroutines (SIGQUIT) for the record.
stop_linux() {
	kill "$app"
	for _ in $(seq 150); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$app" 2>/dev/null; then
		kill -QUIT "$app"
		sleep 2
		cat "$log" >&2
		fail "the Linux window did not close within 15 s of SIGTERM (its goroutines above)"
	fi
	wait "$app" || true
	app=""
}

echo "== the window on the embedded simulator (the installed configuration names no Trust Centre)"
three_starts Windows close_window wine "$installed"
windows_start=$start_ms windows_start_cpu=$cpu_ms

linux_start="" linux_rss="" linux_cpu=""
if [ -x "$linux" ]; then
	# Linux's figures beside, with its folders in the throwaway home and no
	# session bus (the keyring is not what is measured).
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$work/no-bus"
	three_starts Linux stop_linux "$linux"
	linux_start=$start_ms linux_start_cpu=$cpu_ms
	# It waits beside Windows' on a display of its own (one QR code a screen).
	start_xvfb "$work/screen2"
	xvfb2=$(cat "$work/screen2/pid")
	DISPLAY=":$(cat "$work/screen2/display")" "$linux" >"$work/Linux-waiting.log" 2>&1 &
	linux_app=$!
fi

log="$work/Windows-signing-in.log"
wine "$installed" >"$log" 2>&1 &
app=$! windows_app=$!
wait_qr "$screen" || { cat "$log"; fail "no decodable QR code on the screen within 60 s"; }
# A minute of waiting for someone to scan, then memory and CPU.
ticks0=$(ticks "$app")
[ -z "$linux_app" ] || linux_ticks0=$(ticks "$linux_app")
sleep "$WAIT"
windows_cpu=$(echo "($(ticks "$app") - $ticks0) / $WAIT" | bc -l)
windows_rss=$(rss "$app")
# This prefix's wineserver: the one working in .../server-DEV-INODE.
server_dir=$(printf 'server-%x-%x' $(stat -c '%d %i' "$WINEPREFIX"))
wineserver_rss=0
for pid in $(pgrep wineserver || true); do
	case "$(readlink "/proc/$pid/cwd")" in */"$server_dir") wineserver_rss=$(rss "$pid") ;; esac
done
if [ -n "$linux_app" ]; then
	linux_cpu=$(echo "($(ticks "$linux_app") - $linux_ticks0) / $WAIT" | bc -l)
	linux_rss=$(rss "$linux_app")
	app=$linux_app log="$work/Linux-waiting.log" linux_app=""
	stop_linux
	app=$windows_app log="$work/Windows-signing-in.log"
fi
wait_qr "$screen" || fail "the QR code went while waiting $WAIT s"
first=$code # a new one, had the first expired meanwhile
case "$first" in http://127.0.0.1:*) ;; *) fail "the QR code is not the embedded simulator's on loopback: $first" ;; esac

# The embedded relay lets the garage enrol its kiosk: the first code is the
# enrolment's, which the technician of GARAGE JANSEN approves.
echo "== enrolling: approving the enrolment code $first, as the garage's technician would"
status=$(curl -s -o /dev/null -w '%{http_code}' -d persona=ioe -d pin=1234 -d decision=approve "$first")
[ "$status" = 200 ] || fail "the simulator answered the enrolment's approval with HTTP $status"
wait_qr "$screen" "$first" || { cat "$log"; fail "no sign-in code after the enrolment"; }
first=$code

echo "== signing in: approving $first through the simulator's page, as a phone would"
status=$(curl -s -o /dev/null -w '%{http_code}' -d persona=ioe -d pin=1234 -d decision=approve "$first")
[ "$status" = 200 ] || fail "the simulator answered the approval with HTTP $status"
for _ in $(seq 300); do titled 'Workshop Login: GARAGE JANSEN' && [ -z "$(qr "$screen")" ] && break; sleep 0.1; done
titled 'Workshop Login: GARAGE JANSEN' || fail "no signed-in screen: the window's title does not name the garage"
[ -z "$(qr "$screen")" ] || fail "the QR code is still on the screen after signing in"
echo "signed in: the window's title is \"$(xdotool search --name 'GARAGE JANSEN' getwindowname)\""
credentials() { wine "$HELPERS/winprobe.exe" credentials workshop-login: 2>&1 | tr -d '\r'; }
for _ in $(seq 100); do kept=$(credentials) && [ -n "$kept" ] && break; sleep 0.1; done
echo "$kept" | grep -q '^workshop-login:session ' || fail "the session is not in the Credential Manager: [$kept]"
echo "in the Credential Manager: $kept"

echo "== signing out with Ctrl+L"
xdotool mousemove 450 360 key ctrl+l # the pointer over the window, where a person's would be
wait_qr "$screen" "$first" || fail "no new QR code after Ctrl+L"
for _ in $(seq 50); do titled 'GARAGE JANSEN' || break; sleep 0.1; done
! titled 'GARAGE JANSEN' || fail "the title still names the garage after signing out"
kept=$(credentials)
[ -z "$kept" ] || fail "the session is still in the Credential Manager after signing out: $kept"
echo "a new QR code, and nothing of workshop-login's left in the Credential Manager"
close_window
audit=$(timeout 120 wine "$installed" audit 2>/dev/null | tr -d '\r')
echo "$audit"
echo "$audit" | grep -q 'sign_in.*1234567890B' && echo "$audit" | grep -q 'sign_out.*1234567890B' ||
	fail "the audit log lacks the sign-in and sign-out"

if grep -l Unhandled "$work"/Windows-*.log >&2; then
	fail "a Windows program crashed under Wine (the logs named above)"
fi

echo "== uninstalling silently (/S)"
echo "# kept configuration" >>"$drive/ProgramData/WorkshopLogin/config.toml" # an administrator's change
timeout 300 wine 'C:\Program Files\Workshop Login\uninstall.exe' /S || fail "the uninstaller failed (exit $?)"
# The uninstaller runs on from a copy in the temporary folder: wait for
# every process in the prefix to end.
timeout 300 wineserver -w || fail "the uninstaller did not end within 5 minutes"
while IFS= read -r f; do
	case "$f" in
	*/ProgramData/WorkshopLogin) [ -d "$f" ] || fail "the configuration's folder went" ;;
	*/ProgramData/WorkshopLogin/config.toml) grep -q "kept configuration" "$f" || fail "the configuration was not kept" ;;
	*) [ ! -e "$f" ] || fail "${f#"$drive/"} is left after uninstalling" ;;
	esac
done <"$work/installed.txt"
if wine reg query "$uninstall_key" >/dev/null 2>&1; then fail "Apps & features still lists the program"; fi
if wine reg query 'HKLM\Software\WorkshopLogin' >/dev/null 2>&1; then fail "HKLM\\Software\\WorkshopLogin is left"; fi
echo "left: C:/ProgramData/WorkshopLogin/config.toml (kept); nothing else the installer wrote"
echo "the program's own files stay in the user's profile, as they do in a Linux home:"
(cd "$drive/users" && find . -type f -path '*/workshop-login/*' | sed 's|^\./[^/]*/|  %USERPROFILE%/|')

exe_size=$(stat -c %s build/windows/workshop-login.exe)
setup_size=$(stat -c %s "$setup")
deb=dist/workshop-login_${VERSION}_amd64.deb
echo "== figures on this machine (load average $(cut -d' ' -f1-3 /proc/loadavg)): Windows under Wine beside Linux"
# row WHAT WINDOWS LINUX prints a row of the figures; LINUX "" is "-".
row() { printf '%-44s %-24s %s\n' "$1" "$2" "${3:--}"; }
percent() { printf '%.1f%%' "$1"; }
row "" "Windows (Wine 8, Xvfb)" "Linux (Xvfb)"
row "start to a decodable QR code (median of 3)" "$windows_start ms" "${linux_start:+$linux_start ms}"
row "  the program's CPU time to it" "$windows_start_cpu ms" "${linux_start:+$linux_start_cpu ms}"
row "resident memory after ${WAIT} s of waiting" "$(mb "$windows_rss")" "${linux_rss:+$(mb "$linux_rss")}"
row "CPU while waiting, share of one core" "$(percent "$windows_cpu")" "${linux_cpu:+$(percent "$linux_cpu")}"
row "program" "$(mb "$exe_size")" "$([ ! -x "$linux" ] || mb "$(stat -c %s "$linux")")"
row "installer" "$(mb "$setup_size") (setup.exe)" "$([ ! -f "$deb" ] || echo "$(mb "$(stat -c %s "$deb")") (.deb)")"
echo "Windows' figures leave out wineserver, which Wine's processes share: $(mb "$wineserver_rss") resident."
[ -x "$linux" ] || echo "Linux: no $linux to measure (make dist-linux builds it)."
echo "Wine part: $(secs "$(ms_since "$begin")") in all, of which the prefix $(secs "$wineboot_ms"), installing $(secs "$install_ms")"
echo "wine-check: all good"
