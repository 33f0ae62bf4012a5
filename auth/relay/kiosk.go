package relay

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// A kiosk key is "wlk_" and 256 random bits in base64url. The relay keeps
// only "sha256:" and the hex SHA-256 of the whole key. A key this random
// needs no password hashing (bcrypt, scrypt, Argon2): those slow down
// guessing a low-entropy password, and nobody guesses 2^256. A plain hash
// also keeps authentication cheap for thousands of polling kiosks.
const (
	KioskKeyPrefix  = "wlk_"
	kioskKeyBytes   = 32
	kioskHashPrefix = "sha256:"
)

var (
	kioskName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	kioskHash = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// kioskKeyShape is what NewKioskKey makes: 32 bytes are 43 base64url
	// characters.
	kioskKeyShape = regexp.MustCompile(`^wlk_[A-Za-z0-9_-]{43}$`)
)

// ErrNotEnrolled is the one answer to a key the relay does not know: never
// issued, revoked, mistyped. The kiosk shows "This kiosk is not enrolled:
// ask your administrator".
var ErrNotEnrolled = errors.New("relay: this kiosk is not enrolled")

// ValidKioskName says whether name can name a kiosk: 1 to 64 letters,
// digits, '.', '-' and '_', starting with a letter or digit.
func ValidKioskName(name string) bool { return kioskName.MatchString(name) }

// NewKioskKey makes a kiosk's key and the hash the relay stores. The key is
// shown once, to be put in the kiosk's keyring, and kept nowhere else.
func NewKioskKey() (key, hash string, err error) {
	b := make([]byte, kioskKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = KioskKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashKioskKey(key), nil
}

// HashKioskKey is what a kiosk keys file holds for key.
func HashKioskKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return kioskHashPrefix + hex.EncodeToString(sum[:])
}

// KioskLine is the line of a kiosk keys file that enrols a kiosk.
func KioskLine(name, hash string) (string, error) {
	if !ValidKioskName(name) {
		return "", fmt.Errorf("relay: kiosk name %q: want 1 to 64 letters, digits, '.', '-' or '_'", name)
	}
	if !kioskHash.MatchString(hash) {
		return "", errors.New("relay: not a kiosk key hash")
	}
	return name + " " + hash + "\n", nil
}

// KioskKeys are the enrolled kiosks, read from a file of lines
//
//	# comment
//	garage-utrecht-1 sha256:<64 hex digits>
//
// Deleting a kiosk's line, and reloading, revokes its key.
type KioskKeys struct {
	byHash map[[sha256.Size]byte]kioskEntry // keyed by the hash's bytes
	names  []string
}

type kioskEntry struct {
	name string
	hash [sha256.Size]byte // as the file holds it
}

// ParseKioskKeys reads a kiosk keys file. A line that is not a comment, blank,
// or "name hash" is an error naming the line, as is a name or a hash that
// appears twice.
func ParseKioskKeys(r io.Reader) (*KioskKeys, error) {
	k := &KioskKeys{byHash: map[[sha256.Size]byte]kioskEntry{}}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("relay: kiosk keys line %d: want \"name sha256:hash\", got %d fields", n, len(fields))
		}
		name, hash := fields[0], fields[1]
		if !ValidKioskName(name) {
			return nil, fmt.Errorf("relay: kiosk keys line %d: kiosk name %q: want 1 to 64 letters, digits, '.', '-' or '_'", n, name)
		}
		if !kioskHash.MatchString(hash) {
			// Not quoted: a key pasted here by mistake must not reach a log.
			return nil, fmt.Errorf("relay: kiosk keys line %d: kiosk %q: the second field is not sha256: and 64 hex digits (is it the key itself? store its hash)", n, name)
		}
		if first, dup := seen[name]; dup {
			return nil, fmt.Errorf("relay: kiosk keys line %d: kiosk %q is already on line %d", n, name, first)
		}
		seen[name] = n
		var sum [sha256.Size]byte
		hex.Decode(sum[:], []byte(hash[len(kioskHashPrefix):])) // checked by kioskHash
		if other, dup := k.byHash[sum]; dup {
			return nil, fmt.Errorf("relay: kiosk keys line %d: kiosk %q has the same key as %q", n, name, other.name)
		}
		k.byHash[sum] = kioskEntry{name: name, hash: sum}
		k.names = append(k.names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("relay: kiosk keys: %w", err)
	}
	sort.Strings(k.names)
	return k, nil
}

// LoadKioskKeys reads the kiosk keys file at path.
func LoadKioskKeys(path string) (*KioskKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKioskKeys(bytes.NewReader(b))
}

// Names are the enrolled kiosks, sorted.
func (k *KioskKeys) Names() []string { return append([]string(nil), k.names...) }

// Authenticate returns the name of the kiosk whose key this is, or
// ErrNotEnrolled.
//
// The lookup is by the key's SHA-256, never by the key: what the map's timing
// could reveal is about the hash, and learning a hash's bytes does not help
// find a key that has it (that takes a preimage). The final comparison with
// the stored hash is constant-time all the same, so no byte-by-byte compare
// with an early exit ever runs on key material.
func (k *KioskKeys) Authenticate(key string) (string, error) {
	if !kioskKeyShape.MatchString(key) {
		return "", ErrNotEnrolled
	}
	sum := sha256.Sum256([]byte(key))
	e, ok := k.byHash[sum]
	if !ok || subtle.ConstantTimeCompare(sum[:], e.hash[:]) != 1 {
		return "", ErrNotEnrolled
	}
	return e.name, nil
}
