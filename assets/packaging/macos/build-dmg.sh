#!/bin/sh
# Builds Workshop Login.app and a .dmg on a Mac (Xcode command-line tools,
# Go 1.26). It cannot run on the Linux build machine: Apple's SDK and
# hdiutil exist only on macOS, so make dist does not pretend to build it.
#
#   sh assets/packaging/macos/build-dmg.sh            # from the repository root
#   SIGN_IDENTITY="Developer ID Application: …" sh assets/packaging/macos/build-dmg.sh
#
# Result: dist/workshop-login-<version>-macos-<arch>.dmg with the .app and a
# link to /Applications. The machine-wide configuration goes in
# /Library/Application Support/WorkshopLogin/config.toml (see the README).
set -eu
[ "$(uname -s)" = Darwin ] || { echo "build-dmg.sh runs on macOS only (it needs Apple's SDK and hdiutil)" >&2; exit 1; }
version=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null | sed 's/^v//')
version=${version:-0.0.0}
commit=$(git rev-parse --short HEAD)
arch=$(uname -m)
command -v fyne >/dev/null || go install fyne.io/tools/cmd/fyne@v1.7.4
export PATH="$PATH:$(go env GOPATH)/bin"

# Fyne with the kiosk's patches (ui/fynepatch), as make builds it.
GOWORK=$(sh ui/fynepatch/prepare.sh)
export GOWORK

# fyne package builds the binary itself; the version reaches platform/buildinfo through
# GOFLAGS so that --version tells the truth.
# fyne package rewrites FyneApp.toml (it bumps Build): keep the committed one.
cp FyneApp.toml FyneApp.toml.kept
trap 'mv FyneApp.toml.kept FyneApp.toml' EXIT
GOFLAGS="-tags=migrated_fynedo -ldflags=-X=github.com/workshop-login/workshop-login/platform/buildinfo.Version=$version" \
	fyne package -os darwin --name "Workshop Login" --app-id eu.workshoplogin.kiosk \
	--app-version "$version" --icon assets/icon/icon.png --release
if [ -n "${SIGN_IDENTITY:-}" ]; then
	codesign --deep --force --options runtime --sign "$SIGN_IDENTITY" "Workshop Login.app"
	codesign --verify --strict "Workshop Login.app"
fi
stage=$(mktemp -d)
mv "Workshop Login.app" "$stage/"
ln -s /Applications "$stage/Applications"
mkdir -p dist
hdiutil create -volname "Workshop Login $version" -srcfolder "$stage" -ov -format UDZO \
	"dist/workshop-login-$version-macos-$arch.dmg"
rm -rf "$stage"
echo "built dist/workshop-login-$version-macos-$arch.dmg (commit $commit)"
