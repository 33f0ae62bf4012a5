package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// SimulatorOptions are simulator's flags.
type SimulatorOptions struct {
	Factory *Factory
	Listen  string
	Options simulator.Options // the flags that go to the simulator as they are
	// RelayURL is the relay whose hand-offs the demo repair portal,
	// served on the simulator's address, accepts.
	RelayURL string
}

// NewCmdSimulator is `workshop-login simulator`: the Trust Centre
// simulator on its own, for integration work, until interrupted.
func NewCmdSimulator(f *Factory) *Command {
	opts := &SimulatorOptions{Factory: f}
	o := &opts.Options
	flags := newFlags("simulator")
	flags.StringVar(&opts.Listen, "listen", "127.0.0.1:8787", "address to listen on (0.0.0.0:8787 lets a phone on the same network open the pages)")
	flags.StringVar(&o.PublicURL, "public-url", "", "base address of the QR code's page, if the phone must use another address")
	durationVar(flags, &o.SessionLifetime, "session-lifetime", 2*time.Minute, "how long a QR code can be approved")
	flags.BoolVar(&o.OmitIDToken, "no-id-token", false, "answer the token request without an id_token")
	flags.StringVar(&o.IDTokenAlg, "id-token-alg", "RS256", "sign ID tokens with RS256 or ES256")
	flags.StringVar(&o.TokenPaths, "token-paths", "both", "token path spellings served: both, token or token.json")
	flags.BoolVar(&o.SeparateUserInfoHost, "separate-user-info-host", false, "serve /user_info.json from a second loopback host")
	flags.BoolVar(&o.FiveDigitPINs, "five-digit-pins", false, "give the test persons 5-digit PINs, as the real app has")
	flags.StringVar(&opts.RelayURL, "relay-url", "", "the relay whose signed hand-offs the demo repair portal ("+portal.Path+") accepts")
	return &Command{Flags: flags, Run: func(ctx context.Context) int { return simulatorRun(ctx, opts) }}
}

// simulatorRun serves until ctx ends. Exit codes: 0 interrupted after
// serving, 2 the address cannot be listened on, 64 a wrong flag value.
func simulatorRun(ctx context.Context, opts *SimulatorOptions) int {
	stdout, stderr := opts.Factory.Out, opts.Factory.Err
	o := opts.Options
	if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
		fmt.Fprintf(stderr, "workshop-login simulator: --listen must be host:port, for example 127.0.0.1:8787, not %q\n", opts.Listen)
		return exitUsage
	}
	if o.PublicURL != "" {
		if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(stderr, "workshop-login simulator: --public-url must be an http or https address, for example http://192.168.1.20:8787, not %q\n", o.PublicURL)
			return exitUsage
		}
	}
	switch {
	case o.SessionLifetime <= 0:
		fmt.Fprintf(stderr, "workshop-login simulator: --session-lifetime must be more than 0, not %s\n", o.SessionLifetime)
		return exitUsage
	case o.IDTokenAlg != "RS256" && o.IDTokenAlg != "ES256":
		fmt.Fprintf(stderr, "workshop-login simulator: --id-token-alg must be RS256 or ES256, not %q\n", o.IDTokenAlg)
		return exitUsage
	case o.TokenPaths != "both" && o.TokenPaths != "token" && o.TokenPaths != "token.json":
		fmt.Fprintf(stderr, "workshop-login simulator: --token-paths must be both, token or token.json, not %q\n", o.TokenPaths)
		return exitUsage
	}
	if opts.RelayURL != "" {
		if err := portal.ValidRelayURL(opts.RelayURL); err != nil {
			fmt.Fprintf(stderr, "workshop-login simulator: --relay-url: %v\n", err)
			return exitUsage
		}
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	demo, err := portal.New(portal.Options{RelayURL: opts.RelayURL, Logger: o.Logger})
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login simulator:", err)
		return exitFailed
	}
	sim, err := simulator.Listen(opts.Listen, o)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login simulator:", err)
		return exitFailed
	}
	defer sim.Close()
	sim.Handle(portal.Path, demo)
	fmt.Fprintf(stdout, "Trust Centre simulator at %s\n", sim.URL)
	if sim.UserInfoURL != "" {
		fmt.Fprintf(stdout, "  user info at %s/user_info.json\n", sim.UserInfoURL)
	}
	fmt.Fprintf(stdout, "  client_id = %q, client_secret = %q, product_scope = %q\n",
		simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope)
	fmt.Fprintln(stdout, "  approve a code: POST <qr_code_uri> with persona, pin and decision=approve (see auth/README.md, \"The Trust Centre simulator\")")
	if opts.RelayURL != "" {
		fmt.Fprintf(stdout, "  demo repair portal at %s%s, trusting the relay at %s\n", sim.URL, portal.Path, opts.RelayURL)
	} else {
		fmt.Fprintf(stdout, "  demo repair portal at %s%s refuses every hand-off: --relay-url names the relay it trusts\n", sim.URL, portal.Path)
	}
	<-ctx.Done()
	return 0
}
