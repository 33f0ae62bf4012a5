package assertion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	// fetchTimeout bounds one JWKS request.
	fetchTimeout = 10 * time.Second
	// refetchEvery is the least time between two fetches after one failed.
	refetchEvery = time.Minute
	// unknownKidEvery is the least time between two fetches for a kid the
	// cached set lacks: short, because a relay that has just promoted a key
	// signs with it at once, yet long enough that assertions naming forged
	// kids cannot make the relay's JWKS endpoint a target. Concurrent
	// Verify calls wait for one fetch (lock) rather than making their own.
	unknownKidEvery = 5 * time.Second
	// refreshAfter is when a cached set is fetched again even with every
	// kid known, so a key the relay withdrew stops being accepted.
	refreshAfter = time.Hour
	// staleFor is how long a cached set still serves when refreshing it
	// fails.
	staleFor = 24 * time.Hour
	// maxJWKSBytes bounds the key set's size.
	maxJWKSBytes = 1 << 20
)

var defaultClient = &http.Client{Timeout: fetchTimeout}

// caches holds one remoteKeys per JWKS URL and HTTP client, for every Verify
// in the process.
var caches sync.Map // cacheKey → *remoteKeys

type cacheKey struct {
	url    string
	client *http.Client
}

func remote(opts Options) *remoteKeys {
	client := opts.HTTPClient
	if client == nil {
		client = defaultClient
	}
	k := cacheKey{opts.JWKSURL, client}
	if r, ok := caches.Load(k); ok {
		return r.(*remoteKeys)
	}
	r, _ := caches.LoadOrStore(k, &remoteKeys{url: opts.JWKSURL, client: client, lock: make(chan struct{}, 1)})
	return r.(*remoteKeys)
}

// remoteKeys is a cached key set. lock is a one-slot semaphore rather than a
// mutex, so a Verify waiting behind another's fetch still honours its ctx.
type remoteKeys struct {
	url    string
	client *http.Client
	lock   chan struct{}

	set       jose.JSONWebKeySet
	fetched   time.Time // when set was fetched; zero before the first
	attempted time.Time // the last fetch, successful or not
	lastOK    bool      // whether that fetch succeeded: a failing relay is asked once a minute
}

func (r *remoteKeys) key(ctx context.Context, kid, alg string, now time.Time) (jose.JSONWebKey, error) {
	select {
	case r.lock <- struct{}{}:
	case <-ctx.Done():
		return jose.JSONWebKey{}, fmt.Errorf("%w: %v", ErrKeys, ctx.Err())
	}
	defer func() { <-r.lock }()

	k, known := pick(r.set, kid, alg)
	due := r.fetched.IsZero() || now.Sub(r.fetched) >= refreshAfter || !known
	every := refetchEvery
	if !known && r.lastOK {
		every = unknownKidEvery
	}
	if due && (r.attempted.IsZero() || now.Sub(r.attempted) >= every) {
		r.attempted = now
		set, err := r.fetch(ctx)
		r.lastOK = err == nil
		if err == nil {
			r.set, r.fetched = set, now
			k, known = pick(r.set, kid, alg)
		} else if r.fetched.IsZero() || now.Sub(r.fetched) >= staleFor {
			return jose.JSONWebKey{}, err
		}
	}
	if r.fetched.IsZero() {
		return jose.JSONWebKey{}, fmt.Errorf("%w: not fetched yet; the last attempt failed less than %v ago", ErrKeys, refetchEvery)
	}
	if now.Sub(r.fetched) >= staleFor {
		return jose.JSONWebKey{}, fmt.Errorf("%w: the cached set is older than %v", ErrKeys, staleFor)
	}
	if !known {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

func (r *remoteKeys) fetch(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return set, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return set, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, fmt.Errorf("%w: %s answered %s", ErrKeys, req.URL.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return set, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	if len(body) > maxJWKSBytes {
		return set, fmt.Errorf("%w: larger than %d bytes", ErrKeys, maxJWKSBytes)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	return set, nil
}

// checkJWKSURL refuses a key set that an attacker on the network could
// replace: plain HTTP is for loopback (tests, a relay on the same host) only.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: JWKSURL: %v", ErrConfig, err)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return fmt.Errorf("%w: JWKSURL must be https unless on loopback", ErrConfig)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
