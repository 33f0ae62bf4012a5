package sessionstore

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/workshop-login/workshop-login/auth"
)

// smallKeyring is an in-memory keyring that refuses items larger than
// Windows Credential Manager takes, so splitting is tested against the limit.
type smallKeyring struct {
	mu    sync.Mutex
	items map[string]string
	hang  bool
}

func (k *smallKeyring) Set(_, user, secret string) error {
	if k.hang {
		select {}
	}
	if len(secret) > 2560 {
		return keyring.ErrSetDataTooBig
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[user] = secret
	return nil
}

func (k *smallKeyring) Get(_, user string) (string, error) {
	if k.hang {
		select {}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *smallKeyring) Delete(_, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.items[user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, user)
	return nil
}

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func session(t *testing.T, rsse bool, token string) *auth.Session {
	body := `{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"`
	if rsse {
		body += `,"rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"`
	}
	id, err := auth.ParseUserInfo([]byte(body + "}"))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, AccessToken: auth.Secret(token), RefreshToken: "rt-1", Scope: "s openid sermi",
		IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// first is the first session of those restored.
func first(sessions []*auth.Session, err error) (*auth.Session, error) {
	if len(sessions) == 0 {
		return nil, err
	}
	return sessions[0], err
}

func memoryStore() (*Store, *smallKeyring) {
	k := &smallKeyring{items: map[string]string{}}
	return &Store{backend: k, timeout: 200 * time.Millisecond, now: func() time.Time { return now }}, k
}

func TestSaveRestoreDelete(t *testing.T) {
	st, k := memoryStore()
	s := session(t, false, "at-short")
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
	if len(k.items) != 1 {
		t.Errorf("a short session took %d items", len(k.items))
	}
	got, err := first(st.Restore())
	if err != nil || got == nil {
		t.Fatalf("Restore = %v, %v", got, err)
	}
	if got.AccessToken.Reveal() != "at-short" || got.Identity.IOUID.Name != "GARAGE JANSEN" || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("restored %+v", got)
	}
	if err := st.Delete(); err != nil || len(k.items) != 0 {
		t.Errorf("after Delete: %v, %d items", err, len(k.items))
	}
	if got, err := first(st.Restore()); got != nil || err != nil {
		t.Errorf("nothing kept: %v, %v", got, err)
	}
}

// A person signed in to two manufacturers is kept as one record naming
// each; a restart brings both back, the first signed in first. A session
// of the second that may not come back is left out; when the first may
// not, nothing comes back.
func TestSessionsOfTwoManufacturers(t *testing.T) {
	st, k := memoryStore()
	a, b := session(t, false, "at-a"), session(t, false, "at-b")
	a.Manufacturer, b.Manufacturer = "Demo manufacturer A", "Demo manufacturer B"
	if err := st.Save(a, b); err != nil {
		t.Fatal(err)
	}
	got, err := st.Restore()
	if err != nil || len(got) != 2 || got[0].Manufacturer != a.Manufacturer || got[0].AccessToken.Reveal() != "at-a" ||
		got[1].Manufacturer != b.Manufacturer || got[1].AccessToken.Reveal() != "at-b" {
		t.Fatalf("Restore = %+v, %v", got, err)
	}
	b.ExpiresAt = now.Add(30 * time.Second)
	st.Save(a, b)
	if got, err := st.Restore(); err != nil || len(got) != 1 || got[0].Manufacturer != a.Manufacturer {
		t.Errorf("B expiring within a minute: restored %+v, %v; want A alone", got, err)
	}
	b.ExpiresAt, a.ExpiresAt = now.Add(time.Hour), now.Add(30*time.Second)
	st.Save(a, b)
	if got, err := st.Restore(); got != nil || err != nil || len(k.items) != 0 {
		t.Errorf("A expiring within a minute: restored %+v, %v, %d items left; want nothing", got, err, len(k.items))
	}
}

// The keyring record keeps a garage's "&", "<" and ">" as they are.
func TestRecordKeepsAmpersandsAndAngles(t *testing.T) {
	st, k := memoryStore()
	const iouid = "JANSEN & ZN <B.V.>/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01"
	s := session(t, false, "at-short")
	var err error
	if s.Identity.IOUID, err = auth.ParseOrgUID("iouid", iouid); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
	var record string
	for _, v := range k.items {
		record += v
	}
	if !strings.Contains(record, `"iouid":"`+iouid+`"`) || strings.Contains(record, `\u00`) {
		t.Errorf("keyring record %s", record)
	}
	if got, err := first(st.Restore()); err != nil || got == nil || got.Identity.IOUID.Raw != iouid {
		t.Errorf("Restore = %+v, %v", got, err)
	}
}

// A token too long for one Windows item is split, not refused.
func TestLongSessionIsSplit(t *testing.T) {
	st, k := memoryStore()
	token := strings.Repeat("eyJhbGciOi", 600) // 6000 bytes, like a large JWT
	if err := st.Save(session(t, false, token)); err != nil {
		t.Fatal(err)
	}
	if len(k.items) < 4 {
		t.Errorf("%d items for a 6 kB session", len(k.items))
	}
	for name, v := range k.items {
		if len(v) > MaxItem {
			t.Errorf("%s holds %d bytes", name, len(v))
		}
	}
	got, err := first(st.Restore())
	if err != nil || got.AccessToken.Reveal() != token {
		t.Fatalf("restored a different token (%v)", err)
	}
	st.Save(session(t, false, "short-again"))
	if len(k.items) != 1 {
		t.Errorf("saving a short session left %d items", len(k.items))
	}
}

func TestRestoreWipesWhatMustNotComeBack(t *testing.T) {
	for name, s := range map[string]*auth.Session{
		"chain authorisation (single-use)": session(t, true, "at"),
		"expired":                          func() *auth.Session { s := session(t, false, "at"); s.ExpiresAt = now.Add(-time.Second); return s }(),
		"expiring within a minute":         func() *auth.Session { s := session(t, false, "at"); s.ExpiresAt = now.Add(30 * time.Second); return s }(),
		"no expiry given":                  func() *auth.Session { s := session(t, false, "at"); s.ExpiresAt = time.Time{}; return s }(),
	} {
		st, k := memoryStore()
		if err := st.Save(s); err != nil {
			t.Fatal(err)
		}
		got, err := first(st.Restore())
		if got != nil || err != nil || len(k.items) != 0 {
			t.Errorf("%s: restored %v (%v), %d items left", name, got, err, len(k.items))
		}
	}
	st, k := memoryStore()
	k.items["session"] = "{not json"
	if got, _ := first(st.Restore()); got != nil || len(k.items) != 0 {
		t.Error("a damaged item was not wiped")
	}
}

func TestALockedKeyringTimesOut(t *testing.T) {
	st, k := memoryStore()
	k.hang = true
	began := time.Now()
	err := st.Save(session(t, false, "at"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "is it locked") {
		t.Errorf("err = %v", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
}

// A locked keyring costs one waiting call, however often the kiosk signs
// people in and out: not a goroutine (and D-Bus's under it) per call. After
// it fails, it is tried again on a schedule, not at every event.
func TestALockedKeyringCostsOneCall(t *testing.T) {
	st, k := memoryStore()
	k.hang = true
	runtime.GC()
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		if err := st.Save(session(t, false, "at")); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("save %d: %v", i, err)
		}
		if err := st.Delete(); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if grew := runtime.NumGoroutine() - before; grew > 1 {
		t.Errorf("100 calls to a locked keyring left %d goroutines waiting, want 1", grew)
	}
}

// Against the real Secret Service (make test runs it in dbus-run-session
// with gnome-keyring unlocked).
func TestSecretService(t *testing.T) {
	if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") != "1" {
		t.Skip("set WORKSHOP_LOGIN_KEYRING_TEST=1 with a Secret Service running (make test does)")
	}
	st := New()
	st.now = func() time.Time { return now }
	token := strings.Repeat("eyJhbGciOi", 400)
	if err := st.Save(session(t, false, token)); err != nil {
		t.Fatalf("the Secret Service refused: %v", err)
	}
	got, err := first(st.Restore())
	if err != nil || got == nil || got.AccessToken.Reveal() != token {
		t.Fatalf("Restore = %v, %v", got, err)
	}
	if err := st.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(service, item); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("after Delete the item is still there: %v", err)
	}
	if _, err := keyring.Get(service, chunkName(1)); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("after Delete a chunk is still there: %v", err)
	}
	if err := st.Probe(); err != nil {
		t.Errorf("Probe: %v", err)
	}
	if _, err := keyring.Get(service, "check"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Probe left its item behind: %v", err)
	}
}

func TestProbeLeavesTheSessionAndSaysWhenItFails(t *testing.T) {
	st, k := memoryStore()
	if err := st.Save(session(t, false, "at")); err != nil {
		t.Fatal(err)
	}
	if err := st.Probe(); err != nil {
		t.Fatal(err)
	}
	if got, _ := first(st.Restore()); got == nil || len(k.items) != 1 {
		t.Errorf("after Probe: session %v, items %v", got, k.items)
	}
	k.hang = true
	if err := st.Probe(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a locked keyring: %v", err)
	}
}

// A real Secret Service that nobody unlocked (gnome-keyring without a
// password, and no one to type it): fifty sign-ins and sign-outs cost what
// one does. Here such a keyring refuses at once; one that waits for a
// password is TestALockedKeyringCostsOneCall. The test runs itself again in
// a session bus of its own with a locked gnome-keyring.
func TestALockedSecretServiceIsLeftAlone(t *testing.T) {
	if os.Getenv("WORKSHOP_LOGIN_LOCKED_KEYRING_CHILD") == "1" {
		st := New()
		runtime.GC()
		before := runtime.NumGoroutine()
		for i := 0; i < 50; i++ {
			if err := st.Save(session(t, false, "at")); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("save %d to a locked keyring: %v", i, err)
			}
			st.Delete()
		}
		grew := runtime.NumGoroutine() - before
		t.Logf("FIGURE 100 calls to a locked keyring: goroutines %d -> %d", before, before+grew)
		if grew > 8 {
			t.Errorf("100 calls to a locked keyring left %d goroutines behind", grew)
		}
		return
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make test installs it)", tool)
		}
	}
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`gnome-keyring-daemon --components=secrets --daemonize >/dev/null && exec "$0" -test.run='^TestALockedSecretServiceIsLeftAlone$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "WORKSHOP_LOGIN_LOCKED_KEYRING_CHILD=1", "XDG_DATA_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "FIGURE") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// refusingKeyring refuses while refuse is set, and counts the calls.
type refusingKeyring struct {
	smallKeyring
	refuse bool
	calls  int
}

func (k *refusingKeyring) Set(service, user, secret string) error {
	k.calls++
	if k.refuse {
		return errors.New("failed to unlock correct collection")
	}
	return k.smallKeyring.Set(service, user, secret)
}

func TestAFailedKeyringIsTriedAgainOnASchedule(t *testing.T) {
	k := &refusingKeyring{smallKeyring: smallKeyring{items: map[string]string{}}, refuse: true}
	clock := now
	st := &Store{backend: k, timeout: time.Second, now: func() time.Time { return clock }}
	if err := st.Save(session(t, false, "at")); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	k.refuse = false
	for range 10 { // sign-ins and sign-outs right after the failure
		if err := st.Save(session(t, false, "at")); err == nil || !strings.Contains(err.Error(), "tried again in 30s") {
			t.Fatalf("right after a failure: %v", err)
		}
	}
	if k.calls != 1 {
		t.Errorf("the keyring was asked %d times within 30 s of a failure", k.calls)
	}
	clock = clock.Add(31 * time.Second)
	if err := st.Save(session(t, false, "at")); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// The record is the one every release has written, and a record kept by an
// earlier release (read from a user's keyring after an update) restores.
func TestRecordFormatIsKept(t *testing.T) {
	const ioe = `{"v":1,"c":{"cabuid":"EXA/NL/1234/1EXA2MP34LE5","ioeuid":"NL/EXAMPLECAB/1234567890B","iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o"},"a":"at-short","r":"rt-1","s":"s openid sermi","i":1795510800,"e":1795514400}`
	const rsse = `{"v":1,"c":{"cabuid":"EXA/NL/1234/1EXA2MP34LE5","ioeuid":"NL/EXAMPLECAB/1234567890B","iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","rsseuid":"NL/EXAMPLECAB/9876543210D","rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o"},"a":"at-short","r":"rt-1","s":"s openid sermi","i":1795510800,"e":1795514400}`
	for _, c := range []struct {
		chain  bool
		record string
	}{{false, ioe}, {true, rsse}} {
		s := session(t, c.chain, "at-short")
		if got, err := encode([]*auth.Session{s}); err != nil || string(got) != c.record {
			t.Errorf("encode = %v\n got %s\nwant %s", err, got, c.record)
		}
		got, err := first(decode(c.record))
		if err != nil || got.AccessToken.Reveal() != "at-short" || got.RefreshToken.Reveal() != "rt-1" ||
			!got.ExpiresAt.Equal(s.ExpiresAt) || !got.IssuedAt.Equal(s.IssuedAt) || got.Scope != s.Scope {
			t.Fatalf("decode = %+v, %v", got, err)
		}
		if a, b := mustJSON(t, got.Identity), mustJSON(t, s.Identity); a != b {
			t.Errorf("restored identity\n got %s\nwant %s", a, b)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// slowSetKeyring holds every Set until released.
type slowSetKeyring struct {
	smallKeyring
	release chan struct{}
	landed  atomic.Int32
}

func (k *slowSetKeyring) Set(service, user, secret string) error {
	<-k.release
	defer k.landed.Add(1)
	return k.smallKeyring.Set(service, user, secret)
}

// A save that hangs (a keyring waiting for its password) and lands after
// the person signed out must not bring them back: the sign-out's delete is
// owed, and made as soon as the keyring answers.
func TestASaveThatLandsAfterSignOutIsUndone(t *testing.T) {
	k := &slowSetKeyring{smallKeyring: smallKeyring{items: map[string]string{}}, release: make(chan struct{})}
	st := &Store{backend: k, timeout: 50 * time.Millisecond, now: time.Now}
	if err := st.Save(session(t, false, "at-signed-out")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("save: %v", err)
	}
	if err := st.Delete(); !errors.Is(err, ErrUnavailable) { // sign-out, while the save still hangs
		t.Fatalf("delete: %v", err)
	}
	if s, _ := first(st.Restore()); s != nil {
		t.Fatal("restored a signed-out session while its deletion is owed")
	}
	close(k.release) // the keyring is unlocked: the old save lands
	deadline := time.Now().Add(5 * time.Second)
	for {
		k.mu.Lock()
		_, kept := k.items[item]
		k.mu.Unlock()
		if k.landed.Load() > 0 && !kept {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the signed-out session is back in the keyring")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s, err := first(st.Restore()); s != nil || err != nil {
		t.Errorf("restore after the keyring answered: %v %v", s, err)
	}
}

// A session signed in through a relay comes back after a restart able to
// get fresh assertions: its sealed relay session is kept; a sign-out's
// Delete leaves the kiosk's own key alone.
func TestRelaySessionAndKioskKeyAreKept(t *testing.T) {
	st, _ := memoryStore()
	s := session(t, false, "")
	s.RelaySession = "h1.k.sealed-session"
	if err := st.SaveKioskKey("wlk_kiosk"); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
	got, err := first(st.Restore())
	if err != nil || got == nil || got.RelaySession != s.RelaySession {
		t.Fatalf("restored %v, %v: want the relay session back", got, err)
	}
	if err := st.Delete(); err != nil {
		t.Fatal(err)
	}
	if key, err := st.KioskKey(); err != nil || key != "wlk_kiosk" {
		t.Errorf("after a sign-out the kiosk key is %q, %v", key, err)
	}
}

// A kiosk of several manufacturers has a key per relay; a kiosk enrolled
// before that reads its one key for any relay; a sign-out leaves them all.
func TestKioskKeysPerRelay(t *testing.T) {
	st, _ := memoryStore()
	if err := st.SaveKioskKey("wlk_enrolled_long_ago"); err != nil {
		t.Fatal(err)
	}
	if key, err := st.KioskKeyFor("https://relay.a.eu"); err != nil || key != "wlk_enrolled_long_ago" {
		t.Errorf("before keys per relay: %q, %v", key, err)
	}
	if err := st.SaveKioskKeyFor("https://relay.a.eu", "wlk_a"); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveKioskKeyFor("https://relay.b.eu", "wlk_b"); err != nil {
		t.Fatal(err)
	}
	st.Delete()
	for relay, want := range map[string]string{"https://relay.a.eu": "wlk_a", "https://relay.b.eu": "wlk_b"} {
		if key, err := st.KioskKeyFor(relay); err != nil || key.Reveal() != want {
			t.Errorf("%s: %q, %v, want %s", relay, key, err, want)
		}
	}
	if key, _ := st.KioskKey(); key != "wlk_b" {
		t.Errorf("the one key (for a kiosk of one relay) is %q, want the last enrolled", key)
	}
}
