package sessionstore

import (
	"errors"
	"fmt"

	"github.com/workshop-login/workshop-login/auth"
)

// kioskKeyItem holds the kiosk's relay key: the machine's, not a person's,
// so no sign-out touches it. `workshop-login enrol` puts it there.
const kioskKeyItem = "relay-kiosk-key"

// ErrNotEnrolled is KioskKey's answer when no key was ever stored.
var ErrNotEnrolled = errors.New("this kiosk has no relay key in the keyring: run workshop-login enrol")

// SaveKioskKey keeps the kiosk's relay key, replacing any other.
func (st *Store) SaveKioskKey(key auth.Secret) error {
	if err := st.call(func() error { return st.backend.Set(service, kioskKeyItem, key.Reveal()) }); err != nil {
		return fmt.Errorf("keeping the kiosk key: %w", err)
	}
	return nil
}

// KioskKey reads the kiosk's relay key: ErrNotEnrolled when there is none.
func (st *Store) KioskKey() (auth.Secret, error) {
	var key string
	err := st.call(func() (err error) { key, err = st.backend.Get(service, kioskKeyItem); return err })
	switch {
	case isNotFound(err):
		return "", ErrNotEnrolled
	case err != nil:
		return "", fmt.Errorf("reading the kiosk key: %w", err)
	}
	return auth.Secret(key), nil
}

// kioskKeyItemFor is the item of the key for one relay: a kiosk of
// several manufacturers has a key per relay.
func kioskKeyItemFor(relayURL string) string { return kioskKeyItem + ":" + relayURL }

// SaveKioskKeyFor keeps the kiosk's key for the relay at relayURL, and as
// the kiosk's one key too, which a kiosk of one relay reads.
func (st *Store) SaveKioskKeyFor(relayURL string, key auth.Secret) error {
	if err := st.call(func() error { return st.backend.Set(service, kioskKeyItemFor(relayURL), key.Reveal()) }); err != nil {
		return fmt.Errorf("keeping the kiosk key for %s: %w", relayURL, err)
	}
	return st.SaveKioskKey(key)
}

// KioskKeyFor reads the kiosk's key for the relay at relayURL; a kiosk
// enrolled before keys were kept per relay has only its one key.
func (st *Store) KioskKeyFor(relayURL string) (auth.Secret, error) {
	var key string
	err := st.call(func() (err error) { key, err = st.backend.Get(service, kioskKeyItemFor(relayURL)); return err })
	switch {
	case isNotFound(err):
		return st.KioskKey()
	case err != nil:
		return "", fmt.Errorf("reading the kiosk key for %s: %w", relayURL, err)
	}
	return auth.Secret(key), nil
}

// DeleteKioskKey forgets the kiosk's relay key or credential: the kiosk is
// no longer enrolled. A key that was not there is no error.
func (st *Store) DeleteKioskKey() error {
	err := st.call(func() error { return st.backend.Delete(service, kioskKeyItem) })
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("forgetting the kiosk key: %w", err)
	}
	return nil
}
