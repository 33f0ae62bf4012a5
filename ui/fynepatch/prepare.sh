#!/bin/sh
# Prepares Fyne with the kiosk's patches (ui/fynepatch/_fyne, laid out like
# the module) and prints the path of a Go workspace file that uses it: every
# build and test runs with GOWORK set to that file (the Makefile does it).
#
# The patched copy lives outside the checkout, named by Fyne's version and
# the patches' hash, so every checkout on the machine shares one copy and
# one build cache. The go command refuses overlays of the module cache,
# hence a copy.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
patches=$root/ui/fynepatch/_fyne
go=${GO:-go}
want=$(cat "$root/ui/fynepatch/FYNE_VERSION")
have=$(cd "$root" && GOWORK=off "$go" list -m -f '{{.Version}}' fyne.io/fyne/v2)
if [ "$have" != "$want" ]; then
	echo "ui/fynepatch patches Fyne $want but go.mod asks for $have: port the patches to $have (compare with upstream's files) and update ui/fynepatch/FYNE_VERSION" >&2
	exit 1
fi
src=$(cd "$root" && GOWORK=off "$go" mod download -json "fyne.io/fyne/v2@$want" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "could not download fyne.io/fyne/v2@$want" >&2; exit 1; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; } # macOS has shasum
hash=$(cd "$patches" && find . -type f | LC_ALL=C sort | xargs cat | sha256 | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/workshop-login
dir=$cache/fyne-$want-$hash
if [ ! -f "$dir/go.mod" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.fyne-XXXXXX")
	cp -R "$src/." "$tmp/"
	chmod -R u+w "$tmp"
	(cd "$patches" && find . -type f) | while read -r f; do
		cp "$patches/$f" "$tmp/$f"
	done
	mv "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # another build got there first
fi
touch "$dir"
# Copies of earlier patches that no build has used for a week.
find "$cache" -mindepth 1 -maxdepth 1 -name 'fyne-*' -mtime +7 -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$root/build"
work=$root/build/go.work
gover=$(sed -n 's/^go //p' "$root/go.mod")
printf 'go %s\n\nuse ..\n\nreplace fyne.io/fyne/v2 %s => %s\n' "$gover" "$want" "$dir" > "$work.tmp"
mv "$work.tmp" "$work"
echo "$work"
