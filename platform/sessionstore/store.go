// Package sessionstore keeps the signed-in session in the operating system's
// keyring (Secret Service, Windows Credential Manager, macOS Keychain), so a
// kiosk that restarts does not make the technician sign in again. Never in a
// plain file: when the keyring cannot be used, the session is not kept.
package sessionstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/workshop-login/workshop-login/auth"
)

const (
	service = "workshop-login"
	item    = "session"
	// MaxItem is the most one keyring item holds here: Windows Credential
	// Manager takes 2560 bytes, macOS about 3000 with the names; a longer
	// session is split over numbered items.
	MaxItem = 2000
	// maxChunks bounds a split session (and what Delete sweeps).
	maxChunks = 16
	// Timeout bounds every keyring call: a locked keyring can hang forever.
	Timeout = 3 * time.Second
)

// ErrUnavailable means the keyring could not be used; the session is then
// not kept.
var ErrUnavailable = errors.New("the system keyring is not available")

// Backend is the keyring: go-keyring, or its in-memory mock in tests.
type Backend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }
func isNotFound(err error) bool                   { return errors.Is(err, keyring.ErrNotFound) }
func chunkName(i int) string                      { return item + "." + strconv.Itoa(i) }
func chunksOf(index string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(index, "chunks:"))
	return n, err == nil && strings.HasPrefix(index, "chunks:")
}

// Store saves, restores and deletes the sessions of the one person signed
// in at this kiosk (one a manufacturer, on a kiosk of several).
type Store struct {
	backend Backend
	timeout time.Duration
	now     func() time.Time

	// One keyring call at a time: callers queue on calls. A call that hangs
	// (a locked keyring waiting for a password nobody types) is left running,
	// and until it comes back every call fails at once, so a hung keyring
	// costs one goroutine, not one (and the D-Bus goroutines under it) for
	// every sign-in and sign-out.
	calls    sync.Mutex
	mu       sync.Mutex
	inFlight bool
	// After the keyring failed, it is left alone until retryAt (30 s,
	// doubling to 10 min): a keyring that waits for a password leaves a
	// call (and D-Bus's goroutines) behind each time it is tried, so the
	// kiosk does not try again at every sign-in and sign-out.
	retryAt time.Time
	backoff time.Duration
	// deleteOwed: a sign-out's Delete could not reach the keyring.
	deleteOwed bool
}

// New uses the operating system's keyring.
func New() *Store { return &Store{backend: osKeyring{}, timeout: Timeout, now: time.Now} }

// stored is the session as kept: the identity's claims (auth.Identity.Fields
// that are claims: sub and the raw UIDs, parsed again on restore) and the
// tokens, with short names, because the keyring's items are small. Version 1
// is the only one there has been; a record kept by any release reads back.
// On a kiosk of several manufacturers the record is the first session the
// person signed in with, naming its manufacturer, and the others in More.
type stored struct {
	V         int               `json:"v"`
	Claims    map[string]string `json:"c"`
	Access    string            `json:"a"`
	Refresh   string            `json:"r,omitempty"`
	Scope     string            `json:"s,omitempty"`
	IssuedAt  int64             `json:"i"`
	ExpiresAt int64             `json:"e"`
	// Relay is the relay's sealed session (auth.Session.RelaySession), for
	// fresh assertions after a restart; absent when signed in direct.
	Relay string `json:"rs,omitempty"`
	// Manufacturer is auth.Session.Manufacturer; More the same person's
	// sessions of other manufacturers, in the first record only.
	Manufacturer string   `json:"m,omitempty"`
	More         []stored `json:"more,omitempty"`
}

// encode writes the record of the sessions, the first signed in first.
func encode(sessions []*auth.Session) ([]byte, error) {
	if len(sessions) == 0 {
		return nil, fmt.Errorf("no session to keep")
	}
	first := toStored(sessions[0])
	for _, s := range sessions[1:] {
		first.More = append(first.More, toStored(s))
	}
	return marshal(first)
}

func toStored(s *auth.Session) stored {
	claims := map[string]string{}
	for _, f := range s.Identity.Fields() {
		if f.Claim {
			claims[f.Name] = f.Value
		}
	}
	return stored{V: 1, Claims: claims, Access: s.AccessToken.Reveal(), Refresh: s.RefreshToken.Reveal(),
		Scope: s.Scope, IssuedAt: s.IssuedAt.Unix(), ExpiresAt: s.ExpiresAt.Unix(), Relay: s.RelaySession.Reveal(),
		Manufacturer: s.Manufacturer}
}

// marshal writes JSON with &, < and > as they are (a garage "JANSEN & ZN"),
// not as \u0026 and the like: the record is read by programs, never a browser.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// decode reads a record back: the sessions, the first signed in first.
func decode(doc string) ([]*auth.Session, error) {
	var first stored
	if err := json.Unmarshal([]byte(doc), &first); err != nil {
		return nil, fmt.Errorf("the kept session cannot be read")
	}
	var sessions []*auth.Session
	for i, st := range append([]stored{first}, first.More...) {
		if st.V != 1 || i > 0 && st.More != nil {
			return nil, fmt.Errorf("the kept session cannot be read")
		}
		claims, _ := marshal(st.Claims)
		id, err := auth.ParseUserInfo(claims)
		if err != nil {
			return nil, err
		}
		s := &auth.Session{Identity: id, AccessToken: auth.Secret(st.Access), RefreshToken: auth.Secret(st.Refresh),
			Scope: st.Scope, IssuedAt: time.Unix(st.IssuedAt, 0), RelaySession: auth.Secret(st.Relay), Manufacturer: st.Manufacturer}
		if st.ExpiresAt > 0 {
			s.ExpiresAt = time.Unix(st.ExpiresAt, 0)
		}
		sessions = append(sessions, s)
	}
	return sessions, nil
}

// Save keeps the person's sessions (one a manufacturer, the first signed in
// first), replacing whatever was kept. It returns ErrUnavailable (wrapped)
// when the keyring cannot be used; nothing is kept then.
func (st *Store) Save(sessions ...*auth.Session) error {
	doc, err := encode(sessions)
	if err != nil {
		return err
	}
	if err := st.deleteAll(); err != nil {
		return err
	}
	if len(doc) <= MaxItem {
		err := st.call(func() error { return st.backend.Set(service, item, string(doc)) })
		st.owe(false, err)
		return err
	}
	n := (len(doc) + MaxItem - 1) / MaxItem
	if n > maxChunks {
		return fmt.Errorf("the session is %d bytes, more than %d keyring items hold", len(doc), maxChunks)
	}
	for i := 0; i < n; i++ {
		part := doc[i*MaxItem : min((i+1)*MaxItem, len(doc))]
		if err := st.call(func() error { return st.backend.Set(service, chunkName(i+1), string(part)) }); err != nil {
			st.deleteAll()
			return err
		}
	}
	// The index last: a session half written is never read back.
	err = st.call(func() error { return st.backend.Set(service, item, fmt.Sprintf("chunks:%d", n)) })
	st.owe(false, err)
	return err
}

// owe records whether a deletion is owed: set when a Delete could not
// reach the keyring, cleared once the keyring holds nothing of the old
// session (deleted, or replaced by a new one). Only an error-free call
// changes it from owed to not owed.
func (st *Store) owe(owed bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if owed || err == nil {
		st.deleteOwed = owed
	}
}

// Restore returns the kept sessions, the first signed in first, if that one
// may be used again: still valid for at least a minute, and not a chain
// authorisation (single-use). Anything else kept is wiped; another
// manufacturer's session that may not be used again is left out. No
// session kept is (nil, nil).
func (st *Store) Restore() ([]*auth.Session, error) {
	st.mu.Lock()
	owed := st.deleteOwed
	st.mu.Unlock()
	if owed { // a signed-out session never comes back
		return nil, st.Delete()
	}
	var index string
	err := st.call(func() (err error) { index, err = st.backend.Get(service, item); return err })
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	doc := index
	if n, ok := chunksOf(index); ok {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			var part string
			if err := st.call(func() (err error) { part, err = st.backend.Get(service, chunkName(i)); return err }); err != nil {
				st.Delete()
				return nil, err
			}
			b.WriteString(part)
		}
		doc = b.String()
	}
	sessions, err := decode(doc)
	if err != nil {
		return nil, errors.Join(err, st.Delete())
	}
	if !st.mayComeBack(sessions[0]) {
		return nil, st.Delete()
	}
	usable := sessions[:1]
	for _, s := range sessions[1:] {
		if st.mayComeBack(s) {
			usable = append(usable, s)
		}
	}
	return usable, nil
}

// mayComeBack: valid for at least a minute more, and not a chain
// authorisation, which works once.
func (st *Store) mayComeBack(s *auth.Session) bool {
	return s.Identity.Role != auth.RoleRSSE && !s.ExpiresAt.IsZero() && !s.ExpiresAt.Before(st.now().Add(time.Minute))
}

// Delete removes the kept session, split or not. Nothing kept is no error.
// When the keyring cannot be reached the deletion is owed: it is made as
// soon as the keyring answers again (a hung call coming back, say, which
// may be the very save that is to be undone), and Restore brings back
// nothing meanwhile.
func (st *Store) Delete() error {
	err := st.deleteAll()
	st.owe(err != nil, err)
	return err
}

func (st *Store) deleteAll() error {
	var index string
	err := st.call(func() (err error) { index, err = st.backend.Get(service, item); return err })
	if err != nil && !isNotFound(err) {
		return err
	}
	if _, err := st.remove(item); err != nil {
		return err
	}
	// The chunks the index names; without an index, any left over from an
	// interrupted save, up to the first gap.
	n, indexed := chunksOf(index)
	for i := 1; i <= maxChunks && (!indexed || i <= n); i++ {
		found, err := st.remove(chunkName(i))
		if err != nil {
			return err
		}
		if !found && !indexed {
			break
		}
	}
	return nil
}

// remove deletes one item and reports whether it was there.
func (st *Store) remove(name string) (bool, error) {
	err := st.call(func() error { return st.backend.Delete(service, name) })
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// call runs one keyring call with the timeout. A call that hangs is left
// behind (go-keyring cannot cancel one); the kiosk goes on without it, and
// no other call is started until it comes back.
func (st *Store) call(f func() error) error {
	st.calls.Lock()
	defer st.calls.Unlock()
	st.mu.Lock()
	if st.inFlight {
		st.mu.Unlock()
		return fmt.Errorf("%w: an earlier call has not come back (is it locked?)", ErrUnavailable)
	}
	if now := st.now(); now.Before(st.retryAt) {
		st.mu.Unlock()
		return fmt.Errorf("%w: it failed just before; tried again in %s", ErrUnavailable, st.retryAt.Sub(now).Round(time.Second))
	}
	st.inFlight = true
	st.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		err := f()
		st.mu.Lock()
		st.inFlight = false
		owed := st.deleteOwed
		if owed { // the keyring answers again: pay what is owed now
			st.retryAt, st.backoff = time.Time{}, 0
		}
		st.mu.Unlock()
		done <- err
		if owed {
			go st.Delete()
		}
	}()
	select {
	case err := <-done:
		if err != nil && !isNotFound(err) {
			st.failed()
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		st.mu.Lock()
		st.retryAt, st.backoff = time.Time{}, 0
		st.mu.Unlock()
		return err
	case <-time.After(st.timeout):
		st.failed()
		return fmt.Errorf("%w: no answer in %s (is it locked?)", ErrUnavailable, st.timeout)
	}
}

// failed schedules the next try at the keyring.
func (st *Store) failed() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.backoff = min(max(2*st.backoff, 30*time.Second), 10*time.Minute)
	st.retryAt = st.now().Add(st.backoff)
}

// Probe writes, reads back and deletes a throwaway item, so an installer or
// an administrator can tell whether sessions will be kept on this machine.
// It leaves the kept session alone.
func (st *Store) Probe() error {
	const name, value = "check", "workshop-login check"
	if err := st.call(func() error { return st.backend.Set(service, name, value) }); err != nil {
		return err
	}
	var got string
	err := st.call(func() (err error) { got, err = st.backend.Get(service, name); return err })
	if _, delErr := st.remove(name); err == nil {
		err = delErr
	}
	if err == nil && got != value {
		err = fmt.Errorf("%w: it gave back something else than was stored", ErrUnavailable)
	}
	return err
}
