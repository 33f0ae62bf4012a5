package relay

import (
	"fmt"
	"net/http"
	"time"

	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// ErrHandleNewerKey is an unknown key that is newer than every key this
// replica has: a rotation is rolling out and another replica already seals
// with it. The handle is not gone; the kiosk asks again, and a replica that
// knows the key answers. errors.Is(err, ErrHandleUnknownKey) holds too.
var ErrHandleNewerKey = fmt.Errorf("%w, newer than this replica's keys (a key rotation is rolling out)", ErrHandleUnknownKey)

// keyIDTime is when a key named by NewSealKeyID was made; ok is false for
// an id in another form, whose age cannot be told.
func keyIDTime(id string) (time.Time, bool) {
	const layout = "20060102T150405"
	if len(id) < 1+len(layout) || id[0] != 'k' {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, id[1:1+len(layout)])
	return t, err == nil
}

// unknownKey says why kid opens nothing here: a key new-keys made after
// every dated key this replica has (and not over an hour in the future) is
// one being rolled out; any other is unknown or long removed, and the
// handle is gone.
// A forger can name a "newer" kid, but gains only a "wait" answer.
func (s *Sealer) unknownKey(kid string, now time.Time) error {
	made, ok := keyIDTime(kid)
	if !ok || made.After(now.Add(time.Hour)) {
		return ErrHandleUnknownKey
	}
	for id := range s.keys {
		// A key named by hand (no time in its id) cannot be compared; the
		// dated ones can.
		if known, ok := keyIDTime(id); ok && !known.Before(made) {
			return ErrHandleUnknownKey
		}
	}
	return ErrHandleNewerKey
}

// notYet answers a handle sealed with a key this replica does not know yet:
// 503 with Retry-After, which the kiosk waits on and polls again (at
// another replica, or this one once restarted with the key), never "gone".
func (s *Server) notYet(w http.ResponseWriter, kiosk string) {
	s.cfg.Metrics.reject("newer_key")
	s.cfg.Log.Warn("a handle sealed with a key this replica does not know yet; the kiosk will ask again", "kiosk", kiosk)
	w.Header().Set("Retry-After", "2")
	writeJSON(w, http.StatusServiceUnavailable, relayapi.PollAnswer{State: relayapi.Unavailable, RetryIn: 2,
		Detail: "this replica does not know the handle's key yet (a key rotation is rolling out)"})
}
