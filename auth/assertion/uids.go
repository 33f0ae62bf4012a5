package assertion

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSize bounds the token Verify parses. A real assertion is under 1 KiB;
// one far larger is refused before any parsing or signature check, so a
// forged megabyte costs the verifier nothing.
const MaxSize = 16 << 10

// maxUID bounds one UID: SERMI's are tens of characters, a garage's name
// and address included.
const maxUID = 512

var (
	uidCountry = regexp.MustCompile(`^[A-Z]{2}$`)
	uidDigits4 = regexp.MustCompile(`^[0-9]{4}$`)
	uidCABCode = regexp.MustCompile(`^[A-Za-z0-9]{12}$`)
	// A kiosk's name, and for a kiosk its garage enrolled, "@" and the
	// enrolment's code (auth/relay Enrolment.Kiosk).
	kioskName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(@[A-Z0-9]{8})?$`)
)

// CheckUID says whether value is a UID of the kind claim names (ClaimCABUID,
// ClaimIOUID, ClaimRSSUID, ClaimIOEUID, ClaimRSSEUID) in SERMI's syntax.
// It is lenient where real data varies (spaces in names, a tax id outside
// VAT format, a slash inside an address or CAB name) and strict where a
// reader could be misled: no control, format (bidi, zero-width) or line
// separator characters, nothing over 512 bytes. The relay checks what it
// signs with it, Verify what it reads.
func CheckUID(claim, value string) error {
	if err := plainText(value, maxUID); err != nil {
		return fmt.Errorf("%w: %s %s", ErrClaims, claim, err)
	}
	parts := strings.Split(value, "/")
	bad := func(why string) error { return fmt.Errorf("%w: %s %q: %s", ErrClaims, claim, value, why) }
	switch claim {
	case ClaimCABUID: // EXA/NL/1234/1EXA2MP34LE5
		if len(parts) != 4 || utf8.RuneCountInString(parts[0]) != 3 || !uidCountry.MatchString(parts[1]) ||
			!uidDigits4.MatchString(parts[2]) || !uidCABCode.MatchString(parts[3]) {
			return bad("want prefix/country/4 digits/12 letters and digits")
		}
	case ClaimIOUID, ClaimRSSUID: // NAME/ADDRESS/TAXID: the tax id is never judged
		if len(parts) < 3 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[len(parts)-1]) == "" {
			return bad("want name/address/tax id")
		}
	case ClaimIOEUID, ClaimRSSEUID: // NL/EXAMPLECAB/1234567890B
		if len(parts) < 3 || !uidCountry.MatchString(parts[0]) || strings.TrimSpace(strings.Join(parts[1:len(parts)-1], "/")) == "" ||
			strings.TrimSpace(parts[len(parts)-1]) == "" {
			return bad("want country/CAB name/authorisation UID")
		}
	default:
		return fmt.Errorf("%w: %q is not a UID claim", ErrClaims, claim)
	}
	return nil
}

// plainText refuses what would show differently from what it is: invalid
// UTF-8, control characters, format characters (bidi overrides and
// isolates, zero-width ones) and line or paragraph separators.
func plainText(s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("is %d bytes, over %d", len(s), limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Errorf("holds the character %U", r)
		}
	}
	return nil
}

// checkText checks the identity's every claim: UIDs by CheckUID, the
// others as plain text, and the authorisation UID against the UID it is
// the last part of.
func (id Identity) checkText() error {
	for _, c := range []struct{ name, value string }{
		{ClaimCABUID, id.CABUID}, {ClaimIOUID, id.IOUID}, {ClaimIOEUID, id.IOEUID},
		{ClaimRSSUID, id.RSSUID}, {ClaimRSSEUID, id.RSSEUID},
	} {
		if c.value == "" && (c.name == ClaimRSSUID || c.name == ClaimRSSEUID) {
			continue // check() has said which role needs them
		}
		if err := CheckUID(c.name, c.value); err != nil {
			return err
		}
	}
	for _, c := range []struct{ name, value string }{
		{"sub", id.Subject}, {"jti", id.ID}, {ClaimAuthorisationUID, id.AuthorisationUID},
	} {
		if err := plainText(c.value, maxUID); err != nil {
			return fmt.Errorf("%w: %s %s", ErrClaims, c.name, err)
		}
	}
	person := id.IOEUID
	if id.Role == RoleRSSE {
		person = id.RSSEUID
	}
	if !strings.HasSuffix(person, "/"+id.AuthorisationUID) {
		return fmt.Errorf("%w: authorisation_uid is not the last part of the person's UID", ErrClaims)
	}
	if !kioskName.MatchString(id.Kiosk) {
		return fmt.Errorf("%w: kiosk %q is not a kiosk's name", ErrClaims, id.Kiosk)
	}
	return nil
}
