package relay

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func mustSealKey(t *testing.T, id string) SealKey {
	t.Helper()
	k, err := NewSealKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSealer(t *testing.T, cfg SealerConfig) *Sealer {
	t.Helper()
	s, err := NewSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testCode = "auth-code-0123456789"

func TestSealRoundTrip(t *testing.T) {
	clock := &fakeClock{t0}
	s := mustSealer(t, SealerConfig{Current: mustSealKey(t, "k1"), MaxAge: 10 * time.Minute, Now: clock.Now})
	in := Handle{
		Code: testCode, Kiosk: "garage-1",
		QRIssuedAt: t0.Add(-time.Second), QRExpiresAt: t0.Add(2 * time.Minute), Interval: 5 * time.Second,
	}
	tok, err := s.Seal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "h1.k1.") {
		t.Errorf("handle %q lacks the h1.k1. prefix", tok)
	}
	if strings.Contains(tok, testCode) {
		t.Error("the handle shows the code in the clear")
	}
	if _, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "h1.k1.")); err != nil {
		t.Errorf("body is not base64url: %v", err)
	}
	clock.now = t0.Add(9 * time.Minute)
	out, err := s.Open(tok, "garage-1")
	if err != nil {
		t.Fatal(err)
	}
	in.IssuedAt = t0
	if out.Code.Reveal() != testCode || out.Kiosk != in.Kiosk || !out.IssuedAt.Equal(in.IssuedAt) ||
		!out.QRIssuedAt.Equal(in.QRIssuedAt) || !out.QRExpiresAt.Equal(in.QRExpiresAt) || out.Interval != in.Interval {
		t.Errorf("opened %+v, sealed %+v", out, in)
	}
	// Printing the handle never shows the code.
	if s := fmt.Sprintf("%v %+v %#v", out, out, out); strings.Contains(s, testCode) {
		t.Errorf("printing a handle shows the code: %s", s)
	}

	// Two seals of one handle differ (random nonce).
	again, _ := s.Seal(in)
	if again == tok {
		t.Error("sealing twice gave the same handle: the nonce is not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	const maxAge, grace = 10 * time.Minute, 15 * time.Minute
	old, cur, stranger := mustSealKey(t, "old"), mustSealKey(t, "cur"), mustSealKey(t, "stranger")
	retired := t0
	old.RetiredAt = retired

	// Handles sealed by the old key before the rotation, by the current
	// key, and by a key this relay never had.
	before := &fakeClock{retired.Add(-time.Minute)}
	oldSealer := mustSealer(t, SealerConfig{Current: SealKey{ID: old.ID, Key: old.Key}, MaxAge: maxAge, Now: before.Now})
	oldTok, _ := oldSealer.Seal(Handle{Code: testCode, Kiosk: "k"})

	clock := &fakeClock{}
	s := mustSealer(t, SealerConfig{Current: cur, Previous: []SealKey{old}, Grace: grace, MaxAge: maxAge, Now: clock.Now})
	clock.now = retired
	curTok, _ := s.Seal(Handle{Code: testCode, Kiosk: "k"})
	strangeTok, _ := mustSealer(t, SealerConfig{Current: stranger, MaxAge: maxAge, Now: clock.Now}).Seal(Handle{Code: testCode, Kiosk: "k"})

	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	relabel := func(tok, kid string) string {
		parts := strings.SplitN(tok, ".", 3)
		return parts[0] + "." + kid + "." + parts[2]
	}

	// Keys as new-keys names them: a handle sealed by a replica that
	// already uses a key newer than this one's is "not yet", not "gone".
	nowID, laterID, earlierID := NewSealKeyID(retired), NewSealKeyID(retired.Add(time.Hour)), NewSealKeyID(retired.Add(-time.Hour))
	newerTok, _ := mustSealer(t, SealerConfig{Current: mustSealKey(t, laterID), MaxAge: maxAge, Now: clock.Now}).Seal(Handle{Code: testCode, Kiosk: "k"})
	olderTok, _ := mustSealer(t, SealerConfig{Current: mustSealKey(t, earlierID), MaxAge: maxAge, Now: clock.Now}).Seal(Handle{Code: testCode, Kiosk: "k"})
	dated := mustSealer(t, SealerConfig{Current: mustSealKey(t, nowID), MaxAge: maxAge, Now: clock.Now})
	clock.now = retired
	if _, err := dated.Open(newerTok, "k"); !errors.Is(err, ErrHandleNewerKey) || !errors.Is(err, ErrHandleUnknownKey) {
		t.Errorf("a handle under a key newer than the replica's: %v, want ErrHandleNewerKey", err)
	}
	if _, err := dated.Open(olderTok, "k"); !errors.Is(err, ErrHandleUnknownKey) || errors.Is(err, ErrHandleNewerKey) {
		t.Errorf("a handle under a key older than the replica's, since removed: %v, want ErrHandleUnknownKey only", err)
	}
	if _, err := s.Open(newerTok, "k"); !errors.Is(err, ErrHandleNewerKey) {
		t.Errorf("a handle under a dated key at a replica whose keys were named by hand: %v, want ErrHandleNewerKey", err)
	}

	for _, tc := range []struct {
		name  string
		tok   string
		kiosk string
		at    time.Time
		want  error
	}{
		{"current key", curTok, "k", retired.Add(time.Minute), nil},
		{"old key inside its grace", oldTok, "k", retired.Add(5 * time.Minute), nil},
		{"old key at the end of its grace, but the handle too old", oldTok, "k", retired.Add(grace), ErrHandleExpired},
		{"old key beyond its grace", oldTok, "k", retired.Add(grace + time.Second), ErrHandleKeyRetired},
		{"unknown key id", strangeTok, "k", retired, ErrHandleUnknownKey},
		{"relabelled with another key id", relabel(curTok, "old"), "k", retired, ErrHandleMalformed},
		{"tampered ciphertext", flip(curTok, len(curTok)-20), "k", retired, ErrHandleMalformed},
		{"tampered tag", flip(curTok, len(curTok)-3), "k", retired, ErrHandleMalformed},
		{"tampered nonce", flip(curTok, len("h1.cur.")+2), "k", retired, ErrHandleMalformed},
		{"truncated", curTok[:len("h1.cur.")+10], "k", retired, ErrHandleMalformed},
		{"not base64url", curTok + "!", "k", retired, ErrHandleMalformed},
		{"other version", "h2" + curTok[2:], "k", retired, ErrHandleMalformed},
		{"no key id", "h1." + curTok[len("h1.cur."):], "k", retired, ErrHandleMalformed},
		{"empty", "", "k", retired, ErrHandleMalformed},
		{"another kiosk", curTok, "other", retired, ErrHandleWrongKiosk},
		{"expired", curTok, "k", retired.Add(maxAge + time.Second), ErrHandleExpired},
		{"just inside max age", curTok, "k", retired.Add(maxAge), nil},
		{"from the future", curTok, "k", retired.Add(-2 * time.Minute), ErrHandleExpired},
		{"from slightly ahead (replica clock skew)", curTok, "k", retired.Add(-30 * time.Second), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.now = tc.at
			h, err := s.Open(tc.tok, tc.kiosk)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			if err == nil && h.Code.Reveal() != testCode {
				t.Errorf("code %q", h.Code.Reveal())
			}
			if err != nil && strings.Contains(err.Error(), tc.tok) && tc.tok != "" {
				t.Errorf("the error quotes the handle: %v", err)
			}
		})
	}
}

func TestNewSealerRefuses(t *testing.T) {
	k1, k2 := mustSealKey(t, "k1"), mustSealKey(t, "k2")
	retiredK2 := k2
	retiredK2.RetiredAt = t0
	retiredK1 := k1
	retiredK1.RetiredAt = t0
	for _, tc := range []struct {
		name string
		cfg  SealerConfig
	}{
		{"no max age", SealerConfig{Current: k1}},
		{"short key", SealerConfig{Current: SealKey{ID: "k", Key: make([]byte, 16)}, MaxAge: time.Minute}},
		{"bad key id", SealerConfig{Current: SealKey{ID: "a.b", Key: k1.Key}, MaxAge: time.Minute}},
		{"empty key id", SealerConfig{Current: SealKey{Key: k1.Key}, MaxAge: time.Minute}},
		{"duplicate key id", SealerConfig{Current: k1, Previous: []SealKey{retiredK1}, Grace: time.Hour, MaxAge: time.Minute}},
		{"previous key not retired", SealerConfig{Current: k1, Previous: []SealKey{k2}, Grace: time.Hour, MaxAge: time.Minute}},
		{"current key retired", SealerConfig{Current: retiredK1, MaxAge: time.Minute}},
		{"grace shorter than max age", SealerConfig{Current: k1, Previous: []SealKey{retiredK2}, Grace: time.Second, MaxAge: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSealer(tc.cfg); err == nil {
				t.Error("NewSealer accepted it")
			}
		})
	}
}

func TestSealRefusesEmpty(t *testing.T) {
	s := mustSealer(t, SealerConfig{Current: mustSealKey(t, "k1"), MaxAge: time.Minute})
	for _, h := range []Handle{{Kiosk: "k"}, {Code: auth.Secret(testCode)}} {
		if _, err := s.Seal(h); err == nil {
			t.Errorf("Seal(%+v) succeeded", h)
		}
	}
}

func TestDecodeSealKey(t *testing.T) {
	k := mustSealKey(t, "k1")
	for _, enc := range []string{k.Encode(), k.Encode() + "=\n", " " + base64.URLEncoding.EncodeToString(k.Key)} {
		got, err := DecodeSealKey("k1", enc, time.Time{})
		if err != nil || string(got.Key) != string(k.Key) {
			t.Errorf("DecodeSealKey(%q) = %v, %v", enc, got.Key, err)
		}
	}
	if _, err := DecodeSealKey("k1", "not base64!", time.Time{}); err == nil {
		t.Error("DecodeSealKey accepted garbage")
	}
}
