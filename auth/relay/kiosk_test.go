package relay

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func mustKioskKey(t *testing.T) (key, hash string) {
	t.Helper()
	key, hash, err := NewKioskKey()
	if err != nil {
		t.Fatal(err)
	}
	return key, hash
}

func TestNewKioskKey(t *testing.T) {
	key, hash := mustKioskKey(t)
	if !strings.HasPrefix(key, KioskKeyPrefix) || len(key) != len(KioskKeyPrefix)+43 {
		t.Errorf("key %q: want wlk_ and 43 base64url characters", key)
	}
	if hash != HashKioskKey(key) || !strings.HasPrefix(hash, "sha256:") || len(hash) != len("sha256:")+64 {
		t.Errorf("hash %q", hash)
	}
	if strings.Contains(hash, key[len(KioskKeyPrefix):]) {
		t.Error("the hash holds the key")
	}
	other, _ := mustKioskKey(t)
	if other == key {
		t.Error("two keys are the same")
	}
	line, err := KioskLine("garage-1", hash)
	if err != nil || line != "garage-1 "+hash+"\n" {
		t.Errorf("KioskLine = %q, %v", line, err)
	}
	for _, tc := range [][2]string{{"bad name", hash}, {"", hash}, {"garage-1", key}, {"garage-1", "sha256:00"}} {
		if _, err := KioskLine(tc[0], tc[1]); err == nil {
			t.Errorf("KioskLine(%q, %q) accepted it", tc[0], tc[1])
		}
	}
}

func TestKioskKeysAuthenticate(t *testing.T) {
	k1, h1 := mustKioskKey(t)
	k2, h2 := mustKioskKey(t)
	unknown, _ := mustKioskKey(t)
	file := "# enrolled kiosks\n\n" +
		"garage-1 " + h1 + "\n" +
		"   # indented comment\n" +
		"\tgarage.utrecht_2   " + h2 + "  \n" +
		"\n"
	keys, err := ParseKioskKeys(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys.Names(), ","); got != "garage-1,garage.utrecht_2" {
		t.Errorf("Names = %s", got)
	}
	for _, tc := range []struct {
		name, key, want string
	}{
		{"first kiosk", k1, "garage-1"},
		{"second kiosk", k2, "garage.utrecht_2"},
		{"unknown key", unknown, ""},
		{"the hash itself", h1, ""},
		{"empty", "", ""},
		{"key without prefix", strings.TrimPrefix(k1, KioskKeyPrefix), ""},
		{"key with a character changed", k1[:len(k1)-1] + map[bool]string{true: "A", false: "B"}[k1[len(k1)-1] != 'A'], ""},
		{"key with a trailing newline", k1 + "\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keys.Authenticate(tc.key)
			if tc.want == "" {
				if !errors.Is(err, ErrNotEnrolled) {
					t.Errorf("Authenticate = %q, %v; want ErrNotEnrolled", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Authenticate = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestKioskKeysRevocation(t *testing.T) {
	k1, h1 := mustKioskKey(t)
	k2, h2 := mustKioskKey(t)
	path := filepath.Join(t.TempDir(), "kiosks")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("garage-1 " + h1 + "\ngarage-2 " + h2 + "\n")
	keys, err := LoadKioskKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if name, err := keys.Authenticate(k2); err != nil || name != "garage-2" {
		t.Fatalf("before revocation: %q, %v", name, err)
	}
	write("garage-1 " + h1 + "\n# garage-2 revoked\n")
	if keys, err = LoadKioskKeys(path); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Authenticate(k2); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("revoked key: %v, want ErrNotEnrolled", err)
	}
	if name, err := keys.Authenticate(k1); err != nil || name != "garage-1" {
		t.Errorf("the other kiosk after revocation: %q, %v", name, err)
	}
	if _, err := LoadKioskKeys(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestParseKioskKeysRefuses(t *testing.T) {
	key, hash := mustKioskKey(t)
	_, hash2 := mustKioskKey(t)
	for _, tc := range []struct {
		name, file, wantInErr string
	}{
		{"one field", "garage-1\n", "line 1"},
		{"three fields", "# c\ngarage-1 " + hash + " extra\n", "line 2"},
		{"the key instead of its hash", "garage-1 " + key + "\n", "line 1"},
		{"upper-case hex", "garage-1 " + strings.ToUpper(hash) + "\n", "line 1"},
		{"short hash", "garage-1 sha256:abcd\n", "line 1"},
		{"other algorithm", "garage-1 md5:" + hash[7:] + "\n", "line 1"},
		{"bad name", "garage/1 " + hash + "\n", "line 1"},
		{"name starting with a dot", ".garage " + hash + "\n", "line 1"},
		{"duplicate name", "g " + hash + "\n\ng " + hash2 + "\n", "line 3"},
		{"duplicate hash", "g1 " + hash + "\ng2 " + hash + "\n", "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKioskKeys(strings.NewReader(tc.file))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not say %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
	keys, err := ParseKioskKeys(strings.NewReader("# nothing yet\n\n"))
	if err != nil || len(keys.Names()) != 0 {
		t.Errorf("an empty file: %v, %v", keys, err)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	var sb strings.Builder
	var last string
	for i := range 5000 {
		key, hash, _ := NewKioskKey()
		line, _ := KioskLine("kiosk-"+strconv.Itoa(i), hash)
		sb.WriteString(line)
		last = key
	}
	keys, err := ParseKioskKeys(strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := keys.Authenticate(last); err != nil {
			b.Fatal(err)
		}
	}
}
