// Package webpage holds the one set of security headers for the HTML pages
// the program serves itself (the web login's callback and launch pages,
// the repair portal's hand-off page, the demo portal). It is a leaf, so
// auth, its simulator and platform may all use it without breaking the
// layering.
package webpage

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// basePolicy allows inline styles and nothing else: no script, no
// framing, no <base> rewriting the page's own addresses.
const basePolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"

// Secure sets the headers of a page with no script and no form: never
// cached (they carry one person's state), never framed, no Referer sent on.
func Secure(h http.Header) {
	SecureForm(h, "", "'none'")
}

// SecureForm is Secure for a page whose own script (by ScriptHash, ""
// for none) submits its form, which may go to action (a scheme://host
// origin) alone. form-action stays last: tests and readers find it there.
func SecureForm(h http.Header, scriptHash, action string) {
	policy := basePolicy
	if scriptHash != "" {
		policy += "; script-src '" + scriptHash + "'"
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", policy+"; form-action "+action)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
}

// ScriptHash is the CSP source that lets exactly script run.
func ScriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
