package relay

import (
	"crypto/hmac"
	"crypto/sha256"
)

// One approval, one session. A signing_in handle can be polled again after
// the approval (a lost answer, or a replay by the same kiosk), and each
// poll reads the identity and seals a session again. The server derives
// everything in a session from the approval (its issue time is the
// approval's, its end the approval's plus the session's length, the person
// the one the token names), and session handles are sealed with a nonce
// derived from their content: the same approval gives byte for byte the
// same handle at any replica with the same key, so a replay yields the
// session the person already has, never a second one.
//
// A synthetic nonce (SIV-style) keeps AES-GCM safe: two different sessions
// share a nonce only if HMAC-SHA-256 truncated to 96 bits collides, as
// likely as two random nonces colliding; the same session sealed twice
// shows only that it is the same, which the handle is meant to say.

// deriveNonceKey is a key for sessionNonce, separate from the sealing key.
func deriveNonceKey(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("workshop-login relay session nonce " + handleVersion))
	return m.Sum(nil)
}

// sessionNonce is the nonce of a session handle: a MAC of its plaintext.
func (k sealerKey) sessionNonce(plain []byte) []byte {
	m := hmac.New(sha256.New, k.nonceKey)
	m.Write(plain)
	return m.Sum(nil)[:k.aead.NonceSize()]
}
