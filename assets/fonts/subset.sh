#!/bin/sh
# Makes the window's fonts from Fyne's own: Noto Sans Regular and Bold (SIL
# Open Font License 1.1, LICENSE.txt here), cut down to Latin with its
# accents and extensions, punctuation, currency signs and arrows: every
# character of the kiosk's four languages and of most names it shows. Text
# outside it (a Greek or Cyrillic name) is drawn from the full font, which
# the window parses then (ui/fynepatch: fallback fonts load when a character
# needs them). The full fonts held 2.5 MB of the window's 4.5 MB Go heap.
#
#   make fonts      (Debian's fonttools; the result is committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fyne=$(cd "$here/../.." && GOWORK=off go list -m -f '{{.Dir}}' fyne.io/fyne/v2)
latin="U+0020-007E,U+00A0-024F,U+0300-036F,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+FFFD"
for style in Regular Bold; do
	pyftsubset "$fyne/theme/font/NotoSans-$style.ttf" --unicodes="$latin" \
		--layout-features='*' --name-IDs='*' --name-languages='*' --notdef-outline --glyph-names \
		--output-file="$here/NotoSans-$style-Latin.ttf"
done
cp "$fyne/theme/font/LICENSE.txt" "$here/LICENSE.txt"
chmod 644 "$here/LICENSE.txt" # the module cache's copy is read-only
