package relay

import (
	"bufio"
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Key rotation in two steps, as Duende's and Pomerium's: a new key is first
// published (every replica opens handles sealed with it and serves it in
// the JWKS, but none uses it), and only once every replica has it is it
// promoted to seal and sign. A replica that meets a handle or assertion
// under a key it does not know can then only be one started before the
// key was published, which the rollout of the publication ends.

// DefaultPromoteAfter is [rotation] promote_after by default: longer than a
// rollout of a few replicas, and than verifiers' five-minute JWKS cache.
const DefaultPromoteAfter = 10 * time.Minute

// ReadSealKeys reads a sealing keys file: one key a line, "id key [field…]".
// Fields: published=T (a published key: it opens handles, seals none until
// promoted), promoted=T (when it began to seal), retired=T (it stopped
// sealing at T and opens handles for a grace period), all RFC 3339. A bare
// time third is retired=T, the form before two-step rotation. The current
// key is the one neither published-only nor retired.
func ReadSealKeys(path string) ([]SealKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("relay: sealing keys: %w", err)
	}
	var keys []SealKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("relay: sealing keys line %d: want \"id key [published=T] [promoted=T] [retired=T]\"", n)
		}
		var published, promoted, retired time.Time
		for _, field := range f[2:] {
			name, value, ok := strings.Cut(field, "=")
			if !ok {
				name, value = "retired", field
			}
			t, err := time.Parse(time.RFC3339, value)
			if err != nil {
				return nil, fmt.Errorf("relay: sealing keys line %d: %q is not an RFC 3339 time", n, value)
			}
			switch name {
			case "published":
				published = t
			case "promoted":
				promoted = t
			case "retired":
				retired = t
			default:
				return nil, fmt.Errorf("relay: sealing keys line %d: unknown field %q: want published=, promoted= or retired=", n, name)
			}
		}
		k, err := DecodeSealKey(f[0], f[1], retired)
		if err != nil {
			return nil, fmt.Errorf("relay: sealing keys line %d: %w", n, err)
		}
		k.PublishedAt, k.PromotedAt = published, promoted
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("relay: sealing keys file %s has no key: workshop-login relay new-keys writes one", path)
	}
	return keys, nil
}

// SealKeyLine is a sealing keys file's line for k.
func SealKeyLine(k SealKey) string {
	line := k.ID + " " + k.Encode()
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"published", k.PublishedAt}, {"promoted", k.PromotedAt}, {"retired", k.RetiredAt}} {
		if !f.t.IsZero() {
			line += " " + f.name + "=" + f.t.UTC().Format(time.RFC3339)
		}
	}
	return line + "\n"
}

// published says whether a key is published only: in the file, opening
// handles or verifying, but not yet promoted to seal or sign.
func published(publishedAt, promotedAt, retiredAt time.Time) bool {
	return !publishedAt.IsZero() && promotedAt.IsZero() && retiredAt.IsZero()
}

// SplitSealKeys sorts a file's keys into the current one, the published
// ones and the retired ones.
func SplitSealKeys(keys []SealKey) (cur SealKey, next, prev []SealKey, err error) {
	found := false
	for _, k := range keys {
		switch {
		case published(k.PublishedAt, k.PromotedAt, k.RetiredAt):
			next = append(next, k)
		case !k.RetiredAt.IsZero():
			prev = append(prev, k)
		case found:
			return SealKey{}, nil, nil, fmt.Errorf("relay: sealing keys %q and %q are both current: keep one, mark the other retired=", cur.ID, k.ID)
		default:
			cur, found = k, true
		}
	}
	if !found {
		return SealKey{}, nil, nil, errors.New("relay: the sealing keys file has no current key: run workshop-login relay promote-keys")
	}
	return cur, next, prev, nil
}

// CheckPromoted refuses a key promoted less than promoteAfter after it was
// published: some replica might not have it yet, and would lose the
// handles or refuse the assertions made with it.
func CheckPromoted(what, id string, publishedAt time.Time, promoteAfter time.Duration, now time.Time) error {
	if publishedAt.IsZero() || !now.Before(publishedAt.Add(promoteAfter)) {
		return nil
	}
	return fmt.Errorf("relay: the %s key %q is current only %s after it was published, and [rotation] promote_after is %s: "+
		"every replica must run with a published key before any uses it. Restart every replica with the keys new-keys wrote, "+
		"then run promote-keys after %s", what, id, now.Sub(publishedAt).Round(time.Second), promoteAfter,
		publishedAt.Add(promoteAfter).UTC().Format(time.RFC3339))
}

// Signing keys file headers besides Key-Id.
const (
	headerPublished = "Published-At"
	headerPromoted  = "Promoted-At"
	headerRetired   = "Retired-At"
)

// ReadSigningKeys reads a signing keys file: PKCS #8 PEM blocks, each with
// a "Key-Id:" header and, for keys made by two-step rotation,
// "Published-At:", "Promoted-At:" and "Retired-At:" (RFC 3339) as a sealing
// key's fields. A key published only is in the JWKS but signs nothing; the
// first other key not retired is the current one.
func ReadSigningKeys(path string) ([]SigningKey, error) {
	rest, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("relay: signing keys: %w", err)
	}
	var keys []SigningKey
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		id := block.Headers["Key-Id"]
		if id == "" {
			return nil, fmt.Errorf("relay: signing keys file %s: a key has no Key-Id header", path)
		}
		var times [3]time.Time
		for i, h := range []string{headerPublished, headerPromoted, headerRetired} {
			if v, ok := block.Headers[h]; ok {
				if times[i], err = time.Parse(time.RFC3339, v); err != nil {
					return nil, fmt.Errorf("relay: signing keys file %s: key %q: %s %q is not an RFC 3339 time", path, id, h, v)
				}
			}
		}
		block.Headers = nil
		k, err := ParseSigningKeyPEM(id, pem.EncodeToMemory(block))
		if err != nil {
			return nil, err
		}
		k.PublishedAt, k.PromotedAt, k.RetiredAt = times[0], times[1], times[2]
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("relay: signing keys file %s has no PEM key: workshop-login relay new-keys writes one", path)
	}
	return keys, nil
}

// SigningKeyBlock is a signing keys file's block for k.
func SigningKeyBlock(k SigningKey) ([]byte, error) {
	plain, err := k.MarshalPEM()
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(plain)
	block.Headers = map[string]string{"Key-Id": k.ID}
	for _, h := range []struct {
		name string
		t    time.Time
	}{{headerPublished, k.PublishedAt}, {headerPromoted, k.PromotedAt}, {headerRetired, k.RetiredAt}} {
		if !h.t.IsZero() {
			block.Headers[h.name] = h.t.UTC().Format(time.RFC3339)
		}
	}
	return pem.EncodeToMemory(block), nil
}

// SplitSigningKeys sorts a file's keys into the current one, the published
// ones and the previous ones (still in the JWKS, for the assertions they
// signed). Before two-step rotation a file held the current key first and
// previous ones after it, without headers: it reads the same.
func SplitSigningKeys(keys []SigningKey) (cur SigningKey, next, prev []SigningKey, err error) {
	found := false
	for _, k := range keys {
		switch {
		case published(k.PublishedAt, k.PromotedAt, k.RetiredAt):
			next = append(next, k)
		case found || !k.RetiredAt.IsZero():
			prev = append(prev, k)
		default:
			cur, found = k, true
		}
	}
	if !found {
		return SigningKey{}, nil, nil, errors.New("relay: the signing keys file has no current key: run workshop-login relay promote-keys")
	}
	return cur, next, prev, nil
}
