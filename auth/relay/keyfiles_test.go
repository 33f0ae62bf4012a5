package relay

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A published key opens handles and sits in the JWKS, but seals and signs
// nothing until it is promoted.
func TestPublishedKeyIsKnownButNotUsed(t *testing.T) {
	clock := &fakeClock{t0}
	oldID, newID := NewSealKeyID(t0.Add(-time.Hour)), NewSealKeyID(t0)
	oldKey, newKey := mustSealKey(t, oldID), mustSealKey(t, newID)
	before := mustSealer(t, SealerConfig{Current: oldKey, MaxAge: time.Hour, Now: clock.Now})
	publishing := mustSealer(t, SealerConfig{Current: oldKey, Next: []SealKey{newKey}, MaxAge: time.Hour, Now: clock.Now})
	retired := oldKey
	retired.RetiredAt = t0
	promoted := mustSealer(t, SealerConfig{Current: newKey, Previous: []SealKey{retired}, MaxAge: time.Hour, Grace: time.Hour, Now: clock.Now})

	sealed, err := publishing.Seal(Handle{Code: testCode, Kiosk: "k"})
	if err != nil || !strings.HasPrefix(sealed, "h1."+oldID+".") {
		t.Fatalf("a replica publishing %s sealed %.40q (%v), want it sealed with the current %s", newID, sealed, err, oldID)
	}
	fresh, _ := promoted.Seal(Handle{Code: testCode, Kiosk: "k"})
	if _, err := publishing.Open(fresh, "k"); err != nil {
		t.Errorf("a replica publishing the new key cannot open a handle sealed with it: %v", err)
	}
	if _, err := before.Open(fresh, "k"); !errors.Is(err, ErrHandleNewerKey) {
		t.Errorf("a replica from before the publication: %v, want ErrHandleNewerKey", err)
	}
	if _, err := promoted.Open(sealed, "k"); err != nil {
		t.Errorf("a promoted replica cannot open a handle sealed before the promotion: %v", err)
	}

	cur, next := mustSigningKey(t, "s1"), mustSigningKey(t, "s2")
	s := mustSigner(t, SignerConfig{Current: cur, Next: []SigningKey{next}, Now: clock.Now})
	if got := s.JWKS(); len(got.Keys) != 2 || got.Keys[1].KeyID != "s2" {
		t.Errorf("JWKS while s2 is published: %+v, want s1 and s2", got.Keys)
	}
	raw, err := s.Sign(testIdentity(t, false), "garage-1")
	if err != nil {
		t.Fatal(err)
	}
	if kid := headerKid(t, raw); kid != "s1" {
		t.Errorf("signed with %q while s2 is only published, want s1", kid)
	}
}

// The key files say which key is published, current or retired, and read
// back as written; a file from before two-step rotation reads as before.
func TestKeyFilesCarryTheRotation(t *testing.T) {
	dir := t.TempDir()
	published, promoted := t0.Add(-time.Hour), t0.Add(-50*time.Minute)
	cur, next, old := mustSealKey(t, "cur"), mustSealKey(t, "next"), mustSealKey(t, "old")
	cur.PublishedAt, cur.PromotedAt = published, promoted
	next.PublishedAt = t0
	old.RetiredAt = promoted
	path := filepath.Join(dir, "seal.keys")
	if err := os.WriteFile(path, []byte(SealKeyLine(cur)+SealKeyLine(next)+SealKeyLine(old)+
		"legacy "+mustSealKey(t, "x").Encode()+" 2026-03-01T00:00:00Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadSealKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	c, n, p, err := SplitSealKeys(keys)
	if err != nil || c.ID != "cur" || !c.PublishedAt.Equal(published) || len(n) != 1 || n[0].ID != "next" || len(p) != 2 {
		t.Fatalf("split: current %s, next %d, previous %d (%v)", c.ID, len(n), len(p), err)
	}
	if _, _, _, err := SplitSealKeys([]SealKey{cur, mustSealKey(t, "other")}); err == nil {
		t.Error("two current sealing keys were accepted")
	}
	if _, _, _, err := SplitSealKeys([]SealKey{next}); err == nil {
		t.Error("a file with only a published key was accepted: nothing would seal")
	}

	sc, sn := mustSigningKey(t, "s1"), mustSigningKey(t, "s2")
	sc.PublishedAt, sc.PromotedAt, sn.PublishedAt = published, promoted, t0
	var file []byte
	for _, k := range []SigningKey{sc, sn} {
		b, err := SigningKeyBlock(k)
		if err != nil {
			t.Fatal(err)
		}
		file = append(file, b...)
	}
	spath := filepath.Join(dir, "signing.pem")
	if err := os.WriteFile(spath, file, 0o600); err != nil {
		t.Fatal(err)
	}
	skeys, err := ReadSigningKeys(spath)
	if err != nil {
		t.Fatal(err)
	}
	scur, snext, sprev, err := SplitSigningKeys(skeys)
	if err != nil || scur.ID != "s1" || len(snext) != 1 || snext[0].ID != "s2" || len(sprev) != 0 || !snext[0].PublishedAt.Equal(t0) {
		t.Fatalf("signing split: current %s, next %v, previous %d (%v)", scur.ID, snext, len(sprev), err)
	}
}

// A replica refuses a key promoted sooner than promote_after after it was
// published: some replica might not know it yet.
func TestPromotionTooEarlyIsRefused(t *testing.T) {
	if err := CheckPromoted("sealing", "k", t0, 10*time.Minute, t0.Add(9*time.Minute)); err == nil ||
		!strings.Contains(err.Error(), "promote_after") {
		t.Errorf("promoted 9 min after publication with promote_after 10m: %v, want a refusal naming promote_after", err)
	}
	if err := CheckPromoted("sealing", "k", t0, 10*time.Minute, t0.Add(10*time.Minute)); err != nil {
		t.Errorf("promoted 10 min after: %v", err)
	}
	if err := CheckPromoted("sealing", "k", time.Time{}, 10*time.Minute, t0); err != nil {
		t.Errorf("a key from before two-step rotation: %v", err)
	}
}

// headerKid is the kid of a compact JWS.
func headerKid(t *testing.T, raw string) string {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}
