package relaycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Key rotation in two steps (README "Rotating keys"): new-keys publishes a
// new sealing and signing key that every replica learns at its restart but
// none uses; promote-keys, once every replica runs with them, makes them
// seal and sign. The order cannot be got wrong: promote-keys refuses before
// promote_after, and refuses while the relay at public_url does not publish
// the new key at every answer; a replica refuses to start with a key
// promoted sooner than promote_after after it was published.

// now is the commands' clock; tests move it.
var now = time.Now

// publicationChecks is how often promote-keys reads the relay's key set,
// each time on a new connection, so a load balancer spreads the reads over
// the replicas: with 3 replicas chosen at random, 12 reads miss one with a
// chance of about 2 %; round-robin misses none.
const publicationChecks = 12

// keyFiles are the relay's two key files, read.
type keyFiles struct {
	sealPath, signPath string
	seal               []relay.SealKey
	sign               []relay.SigningKey
}

// errNoKeys: neither key file exists yet.
var errNoKeys = errors.New("no key files yet")

func readKeyFiles(cfg relay.Config) (keyFiles, error) {
	f := keyFiles{sealPath: cfg.Path(cfg.Sealing.KeysFile), signPath: cfg.Path(cfg.Signing.KeysFile)}
	var errSeal, errSign error
	f.seal, errSeal = relay.ReadSealKeys(f.sealPath)
	f.sign, errSign = relay.ReadSigningKeys(f.signPath)
	if errors.Is(errSeal, os.ErrNotExist) && errors.Is(errSign, os.ErrNotExist) {
		return f, errNoKeys
	}
	return f, errors.Join(errSeal, errSign)
}

// write writes both files, current key first, then published, then retired.
func (f keyFiles) write() error {
	cur, next, prev, err := relay.SplitSealKeys(f.seal)
	if err != nil {
		return err
	}
	var seal strings.Builder
	for _, k := range append(append([]relay.SealKey{cur}, next...), prev...) {
		seal.WriteString(relay.SealKeyLine(k))
	}
	scur, snext, sprev, err := relay.SplitSigningKeys(f.sign)
	if err != nil {
		return err
	}
	var sign []byte
	for _, k := range append(append([]relay.SigningKey{scur}, snext...), sprev...) {
		b, err := relay.SigningKeyBlock(k)
		if err != nil {
			return err
		}
		sign = append(sign, b...)
	}
	if err := writeAtomically(f.sealPath, []byte(seal.String())); err != nil {
		return err
	}
	return writeAtomically(f.signPath, sign)
}

// newKeys makes the first keys, current at once (no replica runs yet), or
// publishes the next ones: in the files, unused until promote-keys.
func newKeys(configPath string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "workshop-login relay new-keys:", err)
		return code
	}
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		return fail(exitConfig, err)
	}
	t := now().UTC().Truncate(time.Second)
	id := relay.NewSealKeyID(t)
	seal, err := relay.NewSealKey(id)
	if err != nil {
		return fail(exitFailed, err)
	}
	sign, err := relay.GenerateSigningKey(id)
	if err != nil {
		return fail(exitFailed, err)
	}
	files, err := readKeyFiles(cfg)
	first := err == errNoKeys
	if err != nil && !first {
		return fail(exitConfig, fmt.Errorf("%w (fix or move the key files; new-keys adds to them)", err))
	}
	if first {
		seal.PromotedAt, sign.PromotedAt = t, t
	} else {
		_, next, _, err := relay.SplitSealKeys(files.seal)
		if err != nil {
			return fail(exitConfig, err)
		}
		if len(next) > 0 {
			return fail(exitUsage, fmt.Errorf("key %q is published already and not promoted: roll it out to every replica, "+
				"then run workshop-login relay promote-keys before making another", next[0].ID))
		}
		seal.PublishedAt, sign.PublishedAt = t, t
	}
	files.seal, files.sign = append(files.seal, seal), append(files.sign, sign)
	if err := files.write(); err != nil {
		return fail(exitFailed, err)
	}
	if first {
		fmt.Fprintf(stdout, "New keys %q in %s and %s. Give every replica the same files.\n", id, files.sealPath, files.signPath)
		return 0
	}
	fmt.Fprintf(stdout, "Published new keys %q in %s and %s; no replica uses them yet.\n"+
		"Step 1 of 2: give every replica these files and restart them all (kubectl rollout restart, then kubectl rollout status).\n"+
		"Step 2, once every replica runs with them and not before %s: workshop-login relay promote-keys\n",
		id, files.sealPath, files.signPath, t.Add(cfg.Rotation.PromoteAfter.Duration).Format(time.RFC3339))
	return 0
}

// promoteKeys makes the published keys current, retiring the ones they
// replace (a sealing key still opens its handles for its grace period; a
// signing key stays in the JWKS for its assertions).
func promoteKeys(configPath string, noCheck bool, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "workshop-login relay promote-keys:", err)
		return code
	}
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		return fail(exitConfig, err)
	}
	files, err := readKeyFiles(cfg)
	if err != nil {
		return fail(exitConfig, err)
	}
	cur, next, prev, err := relay.SplitSealKeys(files.seal)
	if err != nil {
		return fail(exitConfig, err)
	}
	scur, snext, sprev, err := relay.SplitSigningKeys(files.sign)
	if err != nil {
		return fail(exitConfig, err)
	}
	if len(next) != 1 || len(snext) != 1 {
		return fail(exitUsage, errors.New("there is no published key to promote (or more than one): run workshop-login relay new-keys, roll it out, then promote-keys"))
	}
	t := now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		what, id  string
		published time.Time
	}{{"sealing", next[0].ID, next[0].PublishedAt}, {"signing", snext[0].ID, snext[0].PublishedAt}} {
		if !t.Before(c.published.Add(cfg.Rotation.PromoteAfter.Duration)) {
			continue
		}
		return fail(exitUsage, fmt.Errorf("the %s key %q was published at %s; [rotation] promote_after (%s) says wait until %s, "+
			"and make sure every replica restarted with it meanwhile", c.what, c.id, c.published.Format(time.RFC3339),
			cfg.Rotation.PromoteAfter.Duration, c.published.Add(cfg.Rotation.PromoteAfter.Duration).Format(time.RFC3339)))
	}
	if !noCheck {
		if err := checkPublished(cfg.PublicURL, snext[0].ID); err != nil {
			return fail(exitFailed, err)
		}
	}
	grace := 2 * max(cfg.SessionMaxAge.Duration, time.Hour)
	promoted, retired := next[0], cur
	promoted.PromotedAt, retired.RetiredAt = t, t
	files.seal = []relay.SealKey{promoted, retired}
	for _, k := range prev {
		if t.Sub(k.RetiredAt) <= grace { // long retired: no handle needs it now
			files.seal = append(files.seal, k)
		}
	}
	spromoted, sretired := snext[0], scur
	spromoted.PromotedAt, sretired.RetiredAt = t, t
	files.sign = []relay.SigningKey{spromoted, sretired}
	for _, k := range sprev {
		// Assertions live an hour at most; a day covers verifiers' caches.
		if !k.RetiredAt.IsZero() && t.Sub(k.RetiredAt) <= 24*time.Hour {
			files.sign = append(files.sign, k)
		}
	}
	if err := files.write(); err != nil {
		return fail(exitFailed, err)
	}
	fmt.Fprintf(stdout, "Promoted keys %q in %s and %s: they seal and sign at each replica's restart.\n"+
		"Step 2 of 2: give every replica these files and restart them one by one (kubectl rollout restart).\n",
		promoted.ID, files.sealPath, files.signPath)
	return 0
}

// checkPublished reads the relay's key set at publicURL, each time on a new
// connection, and says whether any answer lacked kid: a replica still
// running without the published key, which must not meet it in use.
func checkPublished(publicURL, kid string) error {
	address := strings.TrimRight(publicURL, "/") + relayapi.PathJWKS
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment}}
	for i := range publicationChecks {
		resp, err := client.Get(address)
		if err != nil {
			return fmt.Errorf("cannot read the relay's key set at %s (%v): check that every replica restarted with the published keys "+
				"(kubectl rollout status), then promote with --no-check", address, err)
		}
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the relay's key set at %s answered HTTP %d (%v): promote once it answers", address, resp.StatusCode, err)
		}
		found := false
		for _, k := range set.Keys {
			found = found || k.Kid == kid
		}
		if !found {
			return fmt.Errorf("answer %d of %d from %s does not publish key %q: a replica still runs without it. "+
				"Restart every replica with the files new-keys wrote (kubectl rollout restart, kubectl rollout status), then promote", i+1, publicationChecks, address, kid)
		}
	}
	return nil
}
