// Package relaycmd is `workshop-login relay`: the relay server a vehicle
// manufacturer runs, and the administrator's commands for its kiosks and
// keys. It imports nothing of a GUI toolkit, so that the same commands
// build into the static, cgo-free binary the container runs
// (./workshop-login-relay) as into the desktop program.
package relaycmd

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/platform/fdlimit"
)

// Exit codes, as the desktop program's (README "Commands and exit codes").
const (
	exitFailed = 2
	exitUsage  = 64
	exitConfig = 78
)

// Usage is the relay's part of the program's usage text.
const Usage = `  workshop-login relay [--config relay.toml] [--verbose]
                                                the relay server: the VM's side of the sign-in
  workshop-login relay add-kiosk NAME [--config relay.toml]
                                                enrol a kiosk; prints its key once
  workshop-login relay remove-kiosk NAME [--config relay.toml]
                                                revoke a kiosk's key
  workshop-login relay deny-kiosk CODE | deny-garage IOUID [--config relay.toml]
                                                revoke a kiosk its garage enrolled, or all of a garage's
  workshop-login relay new-keys [--config relay.toml]
                                                make the first keys; later, step 1 of a rotation:
                                                publish new keys, which no replica uses yet
  workshop-login relay promote-keys [--config relay.toml] [--no-check]
                                                step 2: make the published keys seal and sign, once
                                                every replica runs with them (checked at public_url)
`

// Run runs `relay ARGS` and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	flags := flag.NewFlagSet("relay "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "relay.toml", "the relay's configuration file")
	verbose := flags.Bool("verbose", false, "log every call (never a key, code, token or handle)")
	noCheck := flags.Bool("no-check", false, "promote-keys: do not ask the relay at public_url whether every replica publishes the new key")
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, "Usage:\n"+Usage)
				return 0
			}
			return exitUsage
		}
		if flags.NArg() == 0 {
			break
		}
		positional, args = append(positional, flags.Arg(0)), flags.Args()[1:]
	}
	switch sub {
	case "serve":
		if len(positional) > 0 {
			fmt.Fprintf(stderr, "workshop-login relay: unknown subcommand %q; use add-kiosk, remove-kiosk, new-keys, promote-keys, or none to serve\n", positional[0])
			return exitUsage
		}
		return serve(ctx, *configPath, *verbose, stdout, stderr)
	case "add-kiosk", "remove-kiosk":
		if len(positional) != 1 || !relay.ValidKioskName(positional[0]) {
			fmt.Fprintf(stderr, "workshop-login relay %s: name one kiosk: 1 to 64 letters, digits, '.', '-' or '_', for example garage-jansen-1\n", sub)
			return exitUsage
		}
		if sub == "add-kiosk" {
			return addKiosk(*configPath, positional[0], stdout, stderr)
		}
		return removeKiosk(*configPath, positional[0], stdout, stderr)
	case "deny-kiosk", "deny-garage":
		if len(positional) != 1 {
			fmt.Fprintf(stderr, "workshop-login relay %s: name one kiosk code or one IOUID (in quotes: it has spaces)\n", sub)
			return exitUsage
		}
		return deny(*configPath, strings.TrimPrefix(sub, "deny-"), positional[0], stdout, stderr)
	case "new-keys", "promote-keys":
		if len(positional) > 0 {
			fmt.Fprintf(stderr, "workshop-login relay %s: takes no arguments\n", sub)
			return exitUsage
		}
		if sub == "new-keys" {
			return newKeys(*configPath, stdout, stderr)
		}
		return promoteKeys(*configPath, *noCheck, stdout, stderr)
	}
	fmt.Fprintf(stderr, "workshop-login relay: unknown subcommand %q; use add-kiosk, remove-kiosk, new-keys, promote-keys, or none to serve\n", sub)
	return exitUsage
}

// serve runs one replica until ctx ends, then drains: not ready for
// DrainTime, so the load balancer moves kiosks away, then stops taking calls
// and lets those in flight finish.
func serve(ctx context.Context, configPath string, verbose bool, stdout, stderr io.Writer) int {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	tuneGC(os.Getenv)
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay:", err)
		return exitConfig
	}
	srv, err := NewServer(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay:", err)
		return exitConfig
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "workshop-login relay: cannot listen on %s: %v\n", cfg.Listen, err)
		return exitFailed
	}
	ln = srv.Listener(ln)
	hs := srv.HTTPServer(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	scheme := "http"
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Path(cfg.TLSCert), cfg.Path(cfg.TLSKey))
		if err != nil {
			fmt.Fprintln(stderr, "workshop-login relay: TLS certificate:", err)
			return exitConfig
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln, scheme = tls.NewListener(ln, hs.TLSConfig), "https"
	} else if host, _, _ := net.SplitHostPort(cfg.Listen); !auth.IsLoopbackHost(host) {
		log.Warn("serving plain HTTP off loopback: run behind a TLS-terminating proxy, or set tls_cert and tls_key", "listen", cfg.Listen)
	}
	fmt.Fprintf(stdout, "relay at %s://%s for %s\n", scheme, ln.Addr(), cfg.PublicURL)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintln(stderr, "workshop-login relay:", err)
		return exitFailed
	case <-ctx.Done():
	}
	srv.SetReady(false)
	log.Info("draining before stopping", "for", cfg.DrainTime.Duration)
	time.Sleep(cfg.DrainTime.Duration)
	shutdown, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		log.Warn("stopped before every call finished", "error", err)
	}
	return 0
}

// NewServer assembles a replica from its configuration.
func NewServer(cfg relay.Config, log *slog.Logger) (*relay.Server, error) {
	settings, err := trustCentreSettings(cfg)
	if err != nil {
		return nil, err
	}
	upstream, err := auth.NewUpstream(settings, auth.WithLogger(log))
	if err != nil {
		return nil, err
	}
	sealer, err := cfg.Sealer(settings)
	if err != nil {
		return nil, err
	}
	signer, err := cfg.Signer()
	if err != nil {
		return nil, err
	}
	kiosks, err := relay.OpenKioskFile(cfg.Path(cfg.KiosksFile), func(err error) { log.Error("kiosks file", "error", err) })
	if err != nil {
		return nil, err
	}
	enrolment, err := cfg.EnrolmentConfig(log)
	if err != nil {
		return nil, err
	}
	shed := cfg.Shedding()
	openFiles, err := fdlimit.Raise()
	if err != nil {
		log.Warn("the open-file limit cannot be read; connections are not bounded by it", "error", err)
	}
	if shed.MaxConnections == 0 && openFiles > 0 {
		shed.MaxConnections = relay.ConnectionBound(openFiles, shed)
	}
	// GOMEMLIMIT (the Deployment sets it below the container's limit):
	// a flood of connections is refused before the container is killed.
	byMemory := relay.MemoryBound(debug.SetMemoryLimit(-1))
	if cfg.Limits.MaxConnections == 0 && byMemory > 0 && (shed.MaxConnections == 0 || shed.MaxConnections > byMemory) {
		shed.MaxConnections = byMemory
	}
	log.Info("bounds", "max_connections", shed.MaxConnections, "open_files", openFiles, "max_in_flight", shed.MaxInFlight,
		"max_trust_centre_calls", shed.MaxTrustCentreCalls)
	return relay.NewServer(relay.ServerConfig{Upstream: upstream, Sealer: sealer, Signer: signer, Kiosks: kiosks,
		Limits: cfg.RateLimits(), Shedding: shed, PublicURL: cfg.PublicURL, SessionMaxAge: cfg.SessionMaxAge.Duration,
		HandAccessToken: cfg.HandAccessToken, Enrolment: enrolment, Log: log})
}

func addKiosk(configPath, name string, stdout, stderr io.Writer) int {
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay add-kiosk:", err)
		return exitConfig
	}
	path := cfg.Path(cfg.KiosksFile)
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(stderr, "workshop-login relay add-kiosk:", err)
		return exitFailed
	}
	keys, err := relay.ParseKioskKeys(strings.NewReader(string(existing)))
	if err != nil {
		fmt.Fprintf(stderr, "workshop-login relay add-kiosk: %s: %v\n", path, err)
		return exitConfig
	}
	for _, n := range keys.Names() {
		if n == name {
			fmt.Fprintf(stderr, "workshop-login relay add-kiosk: %q is enrolled already; remove-kiosk it first to give it a new key\n", name)
			return exitUsage
		}
	}
	key, hash, err := relay.NewKioskKey()
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay add-kiosk:", err)
		return exitFailed
	}
	line, _ := relay.KioskLine(name, hash)
	content := string(existing)
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	if err := writeAtomically(path, []byte(content+line)); err != nil {
		fmt.Fprintln(stderr, "workshop-login relay add-kiosk:", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "Enrolled %s. Its key is below, shown this once and kept nowhere else.\n"+
		"On the kiosk, run: workshop-login enrol --relay %s  and paste the key.\n", name, cfg.PublicURL)
	fmt.Fprintln(stdout, key)
	return 0
}

func removeKiosk(configPath, name string, stdout, stderr io.Writer) int {
	cfg, err := relay.LoadConfig(configPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay remove-kiosk:", err)
		return exitConfig
	}
	path := cfg.Path(cfg.KiosksFile)
	existing, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login relay remove-kiosk:", err)
		return exitFailed
	}
	var kept []string
	found := false
	for _, line := range strings.SplitAfter(string(existing), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			found = true
			continue
		}
		kept = append(kept, line)
	}
	if !found {
		fmt.Fprintf(stderr, "workshop-login relay remove-kiosk: %q is not enrolled in %s\n", name, path)
		return exitUsage
	}
	if err := writeAtomically(path, []byte(strings.Join(kept, ""))); err != nil {
		fmt.Fprintln(stderr, "workshop-login relay remove-kiosk:", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "Revoked %s: every replica refuses its key within a second.\n", name)
	return 0
}

// writeAtomically replaces path with data, readable by its owner only: a
// replica reading it meanwhile sees the old file or the new one, never half.
func writeAtomically(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
