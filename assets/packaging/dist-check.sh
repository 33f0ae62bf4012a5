#!/bin/sh
# make dist-check: proves the installers in dist/ on this machine.
# - the .deb installs; the installed program prints its version and passes
#   `workshop-login check` against a simulator; removing the package leaves
#   only the kept configuration;
# - the .rpm's files and version;
# - the Windows installer and executable are PE files with the version
#   resource, and signed (by the throwaway certificate CI makes);
# - the Windows installer and program work under Wine (windows/wine-check.sh);
# - every artefact is under 20 MB.
set -eu
VERSION=$1
CERT=${2:-}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
fail() { echo "dist-check: $*" >&2; exit 1; }

echo "== sizes (limit 20 MB)"
for f in dist/*; do
	size=$(stat -c %s "$f")
	printf '%10d bytes  %5.1f MB  %s\n' "$size" "$(echo "$size / 1048576" | bc -l)" "$f"
	[ "$size" -lt 20971520 ] || fail "$f is larger than 20 MB"
done
echo "the programs inside them (no limit):"
for f in build/linux/workshop-login build/windows/workshop-login.exe; do
	size=$(stat -c %s "$f")
	printf '%10d bytes  %5.1f MB  %s\n' "$size" "$(echo "$size / 1048576" | bc -l)" "$f"
done

deb=dist/workshop-login_${VERSION}_amd64.deb
autostart=dist/workshop-login-autostart_${VERSION}_all.deb
echo "== $deb"
$SUDO env LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" "./$autostart" >/dev/null
out=$(/usr/bin/workshop-login --version 2>/dev/null)
echo "$out"
case "$out" in "workshop-login $VERSION (commit "*) ;; *) fail "--version printed: $out" ;; esac
[ -f /usr/share/applications/workshop-login.desktop ] || fail "no desktop entry"
[ -f /usr/share/icons/hicolor/512x512/apps/workshop-login.png ] || fail "no icon"
[ -f /etc/xdg/autostart/workshop-login.desktop ] || fail "no autostart entry"
grep -q '^# environment' /etc/workshop-login/config.toml || fail "the default configuration is not the commented one"

# The installed program's check, against the installed program's simulator,
# with a Secret Service unlocked as on a desktop.
tmp=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
/usr/bin/workshop-login simulator --listen 127.0.0.1:0 >"$tmp/sim.log" 2>&1 &
sim=$!
for _ in $(seq 50); do grep -q "simulator at" "$tmp/sim.log" && break; sleep 0.1; done
issuer=$(sed -n 's/^Trust Centre simulator at //p' "$tmp/sim.log")
[ -n "$issuer" ] || { cat "$tmp/sim.log"; fail "the installed simulator did not start"; }
printf 'environment = "simulator"\n[trust_centre]\nissuer = "%s"\n' "$issuer" >"$tmp/config.toml"
XDG_DATA_HOME="$tmp" XDG_CONFIG_HOME="$tmp" dbus-run-session -- sh -c \
	"echo -n dist-check | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
	 /usr/bin/workshop-login check --config $tmp/config.toml" 2>/dev/null || fail "workshop-login check failed (table above)"
kill $sim

echo "== removing the packages"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
$SUDO sh -c 'echo "# kept configuration" >>/etc/workshop-login/config.toml' # an administrator's change
$SUDO env LC_ALL=C.UTF-8 apt-get remove -y -qq workshop-login-autostart workshop-login >/dev/null
for f in $files /etc/xdg/autostart/workshop-login.desktop; do
	if [ "$f" = /etc/workshop-login/config.toml ]; then
		grep -q "kept configuration" "$f" || fail "the configuration was not kept"
	elif [ -e "$f" ]; then
		fail "$f is left after removal"
	fi
done
echo "left: /etc/workshop-login/config.toml (kept, as a conffile); nothing else"
$SUDO env LC_ALL=C.UTF-8 apt-get purge -y -qq workshop-login >/dev/null
[ ! -e /etc/workshop-login/config.toml ] || fail "purge left the configuration"

rpm=dist/workshop-login-${VERSION}-1.x86_64.rpm
echo "== $rpm"
rpm -qp --queryformat '%{NAME} %{VERSION} %{ARCH}\n' "$rpm" 2>/dev/null | grep -qx "workshop-login $VERSION x86_64" || fail "rpm name or version"
rpm -qlp "$rpm" 2>/dev/null | tee "$tmp/rpm.txt"
for f in /usr/bin/workshop-login /etc/workshop-login/config.toml /usr/share/applications/workshop-login.desktop \
	/usr/share/icons/hicolor/512x512/apps/workshop-login.png; do
	grep -qx "$f" "$tmp/rpm.txt" || fail "the rpm lacks $f"
done
rpm -qp --configfiles "$rpm" 2>/dev/null | grep -qx /etc/workshop-login/config.toml || fail "the rpm's configuration is not a config file"

for pe in build/windows/workshop-login.exe dist/workshop-login-${VERSION}-windows-amd64-setup.exe; do
	echo "== $pe"
	file "$pe" | grep -q 'PE32.* executable (GUI)' || fail "$pe is not a Windows GUI executable: $(file "$pe")"
	strings -el "$pe" >"$tmp/strings.txt"
	grep -A1 -x ProductVersion "$tmp/strings.txt" | grep -q "^$VERSION" || fail "$pe has no ProductVersion $VERSION"
	grep -A1 -x ProductName "$tmp/strings.txt" | grep -qx "Workshop Login" || fail "$pe has no ProductName"
	file "$pe"
	if [ -n "$CERT" ]; then
		osslsigncode verify -CAfile "$CERT" -in "$pe" >"$tmp/verify.txt" 2>&1 || { cat "$tmp/verify.txt"; fail "$pe: signature not valid"; }
		grep -q "Signature verification: ok" "$tmp/verify.txt" || { cat "$tmp/verify.txt"; fail "$pe: signature not verified"; }
		echo "signed, signature verified with $CERT"
	fi
done
wrestool -l -t 14 build/windows/workshop-login.exe | grep -q . || fail "the executable has no icon"
sh assets/packaging/windows/wine-check.sh "$VERSION" build/wine
echo "dist-check: all good"
