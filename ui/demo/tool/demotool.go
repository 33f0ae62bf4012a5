// Package demotool is the demo diagnostic tool without its window: it reads
// what the kiosk hands a tool on standard input, checks the relay's
// signature on it with the relay's published keys, and says the result in
// words for the window and in one line for logs and tests. The program
// (./workshop-login-demo-tool) only shows what this package says, so all of
// it is tested without a display.
//
// It is what a tool vendor's code does, in small: a real tool pins the
// relay's address and its own audience in its configuration instead of
// taking them from the kiosk's environment and from the relay.
package demotool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// EnvRelayURL is the variable in which the kiosk tells the tools it starts
// the relay's base address.
const EnvRelayURL = "SERMI_RELAY_URL"

// maxInput bounds standard input: the kiosk writes one line of well under
// 8 KiB.
const maxInput = 64 << 10

// httpTimeout bounds each request to the relay.
const httpTimeout = 10 * time.Second

// Config says which relay's signature the tool trusts.
type Config struct {
	// RelayURL is the relay's base address (https, or http on this
	// machine): its /v1/info names the issuer, the audience and the keys.
	RelayURL string
	// Audience is this tool's audience at the relay; "" takes the one the
	// relay names.
	Audience string
	// NoWindow prints the result and exits, for a terminal or a script.
	NoWindow bool
	// HTTPClient reaches the relay; nil means one with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Usage is the program's help text.
const Usage = `workshop-login-demo-tool: the demo diagnostic tool of Workshop Login.

The kiosk starts it when a technician presses its button, and writes who
signed in on its standard input: one JSON object on one line, whose member
"assertion" the relay signed. The tool checks that signature with the
relay's published keys and shows who is signed in, or why it refuses.

A real tool pins the relay's address and its own audience in its own
configuration; this demo takes them from --relay and --audience, which
default to SERMI_RELAY_URL (set by the kiosk) and to the audience
the relay names.

Flags:
`

// ParseArgs reads the program's flags; getenv is os.Getenv. It returns
// flag.ErrHelp for -h, after writing the usage to out.
func ParseArgs(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("workshop-login-demo-tool", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.RelayURL, "relay", getenv(EnvRelayURL), "the relay's base address (default: $"+EnvRelayURL+")")
	fs.StringVar(&cfg.Audience, "audience", "", "this tool's audience at the relay (default: the one the relay names)")
	fs.BoolVar(&cfg.NoWindow, "no-window", false, "print the result and exit (0 verified, 1 not) instead of showing a window")
	fs.Usage = func() {
		fmt.Fprint(out, Usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: the identity comes on standard input, never on the command line", fs.Arg(0))
	}
	return cfg, nil
}

// Result is what the tool found.
type Result struct {
	Verified bool
	// Identity is who the relay says signed in, when Verified.
	Identity assertion.Identity
	// Garage is the garage's name, from the IOUID; Company the remote
	// services supplier's, from the RSSUID, for a remote specialist.
	Garage, Company string
	// Issuer and Audience are what the signature was checked against.
	Issuer, Audience string
	// Problem says, when not Verified, why in words a technician
	// understands; Detail is the technical reason, for the log.
	Problem, Detail string
	// Manufacturer is whose tool this is, as the kiosk says (on a kiosk of
	// several): for display, the signature is what proves the relay.
	Manufacturer string
}

// Check reads the kiosk's document from stdin and verifies its assertion
// against the relay cfg names.
func Check(ctx context.Context, stdin io.Reader, cfg Config) Result {
	raw, manufacturer, problem, err := readAssertion(stdin)
	if problem != "" {
		return refused(problem, err)
	}
	if cfg.RelayURL == "" {
		return refused("the tool does not know which relay signed the identity: "+EnvRelayURL+" is not set and --relay was not given", nil)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: httpTimeout}
	}
	info, problem, err := readInfo(ctx, client, cfg.RelayURL)
	if problem != "" {
		return refused(problem, err)
	}
	audience := cfg.Audience
	if audience == "" {
		audience = info.Audience
	}
	id, err := assertion.Verify(ctx, raw, assertion.Options{
		JWKSURL: info.JWKSURI, Issuer: info.Issuer, Audience: audience, HTTPClient: client, Now: cfg.Now,
	})
	if err != nil {
		r := refused(Explain(err, audience), err)
		r.Issuer, r.Audience = info.Issuer, audience
		return r
	}
	r := Result{Verified: true, Identity: id, Issuer: info.Issuer, Audience: audience,
		Garage: orgName("iouid", id.IOUID), Manufacturer: manufacturer}
	if id.Role == assertion.RoleRSSE {
		r.Company = orgName("rssuid", id.RSSUID)
	}
	return r
}

func refused(problem string, err error) Result {
	r := Result{Problem: problem}
	if err != nil {
		r.Detail = err.Error()
	}
	return r
}

// readAssertion reads the one line the kiosk writes and returns its
// "assertion" and "manufacturer" (empty on a kiosk of one), or what is
// wrong with it.
func readAssertion(stdin io.Reader) (raw, manufacturer, problem string, err error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, maxInput)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", "", "the kiosk's identity could not be read from standard input", err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(line, &doc); err != nil {
		return "", "", "standard input is not the identity the kiosk hands a tool (one JSON object on one line): was this tool started by the kiosk?", err
	}
	if err := json.Unmarshal(doc["assertion"], &raw); err != nil || raw == "" {
		return "", "", "the kiosk handed over no signed identity (no \"assertion\" on standard input): the kiosk signs in without a relay, so nothing it hands over is signed", nil
	}
	json.Unmarshal(doc["manufacturer"], &manufacturer) // display only; absent on a kiosk of one
	return raw, manufacturer, "", nil
}

// readInfo reads the relay's /v1/info: whose signature to expect, for
// which audience, and where its keys are.
func readInfo(ctx context.Context, client *http.Client, relayURL string) (relayapi.Info, string, error) {
	var info relayapi.Info
	u, err := url.Parse(relayURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return info, fmt.Sprintf("the relay's address %q is not a web address", relayURL), err
	}
	if u.Scheme == "http" && !auth.IsLoopbackHost(u.Hostname()) {
		// Anyone on the network could answer in the relay's place.
		return info, fmt.Sprintf("the relay's address %q is not https: plain http is trusted only on this machine", relayURL), nil
	}
	base := strings.TrimRight(relayURL, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+relayapi.PathInfo, nil)
	if err != nil {
		return info, fmt.Sprintf("the relay's address %q is not a web address", relayURL), err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return info, fmt.Sprintf("the relay at %s does not answer, so the signature cannot be checked", base), err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInput))
	if err != nil {
		return info, fmt.Sprintf("the relay at %s did not finish its answer, so the signature cannot be checked", base), err
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Issuer == "" || info.Audience == "" || info.JWKSURI == "" {
		return info, fmt.Sprintf("the relay at %s does not say how to check its signatures (%s %s answered %s)", base, http.MethodGet, relayapi.PathInfo, resp.Status), nil
	}
	if info.APIVersion != 1 {
		return info, fmt.Sprintf("the relay at %s speaks API version %d; this tool knows version 1", base, info.APIVersion), nil
	}
	return info, "", nil
}

// Explain says in words why an assertion was refused, and what it means.
// audience is the one this tool expected.
func Explain(err error, audience string) string {
	switch {
	case errors.Is(err, assertion.ErrSignature):
		return "the signature does not match: the identity was changed after it was signed, or someone other than the relay signed it"
	case errors.Is(err, assertion.ErrUnknownKey):
		return "it is signed with a key the relay does not publish: someone other than the relay signed it"
	case errors.Is(err, assertion.ErrMalformed):
		return "what the kiosk handed over is not a signed identity"
	case errors.Is(err, assertion.ErrType):
		return "it is a signed token, but not a Workshop Login identity"
	case errors.Is(err, assertion.ErrAudience):
		return fmt.Sprintf("it was signed for another tool or portal: this tool is %s", audience)
	case errors.Is(err, assertion.ErrIssuer):
		return "it was signed by another relay than the one this tool trusts"
	case errors.Is(err, assertion.ErrExpired):
		return "it has expired: a signed identity is valid for a few minutes after the kiosk hands it over"
	case errors.Is(err, assertion.ErrNotYet):
		return "it is dated in the future: the clock of this computer or of the relay is wrong"
	case errors.Is(err, assertion.ErrClaims):
		return "it is signed, but who signed in is incomplete"
	case errors.Is(err, assertion.ErrKeys):
		return "the relay's keys cannot be read, so the signature cannot be checked: is the relay reachable?"
	case errors.Is(err, assertion.ErrConfig):
		return "this tool's settings are wrong, so the signature cannot be checked"
	}
	return "the signature cannot be checked"
}

// orgName is an organisation's name from its UID ("NAME/ADDRESS/TAXID"),
// or the whole UID when it is not in that form.
func orgName(attribute, raw string) string {
	if o, err := auth.ParseOrgUID(attribute, raw); err == nil {
		return o.Name
	}
	return raw
}

// Line is the result as one line, for standard output: what a test or a
// log reads.
func (r Result) Line() string {
	if !r.Verified {
		line := "NOT verified: " + r.Problem
		if r.Detail != "" {
			line += " (" + r.Detail + ")"
		}
		return strings.Join(strings.Fields(line), " ") // one line, whatever an error said
	}
	id := r.Identity
	return fmt.Sprintf("verified: %s %s role=%s kiosk=%s jti=%s until=%s",
		r.Garage, id.AuthorisationUID, id.Role, id.Kiosk, id.ID, id.Expiry.UTC().Format(time.RFC3339))
}

// Title is the window's title.
func (r Result) Title() string {
	if !r.Verified {
		return "Demo tool: NOT verified"
	}
	if r.Manufacturer != "" {
		return "Demo tool: verified, " + r.Garage + ", by the relay of " + r.Manufacturer
	}
	return "Demo tool: verified, " + r.Garage
}

// Heading is the window's first line.
func (r Result) Heading() string {
	switch {
	case !r.Verified:
		return "NOT verified: do not trust who this says is signed in"
	case r.Identity.Role == assertion.RoleRSSE:
		return "Signed in: remote specialist for " + r.Garage
	}
	return "Signed in: technician of " + r.Garage
}

// Row is one caption and value of the window's table.
type Row struct{ Caption, Value string }

// Rows are who is signed in, or why not.
func (r Result) Rows() []Row {
	if !r.Verified {
		rows := []Row{{"Why", r.Problem}}
		if r.Detail != "" {
			rows = append(rows, Row{"Details", r.Detail})
		}
		return rows
	}
	id := r.Identity
	role := "technician of the garage (IOE)"
	if id.Role == assertion.RoleRSSE {
		role = fmt.Sprintf("remote specialist (RSSE) of %s, on a chain authorisation the garage granted", r.Company)
	}
	rows := []Row{
		{"Garage", r.Garage},
		{"Authorisation UID", id.AuthorisationUID},
		{"Role", role},
		{"Kiosk", id.Kiosk},
	}
	if r.Manufacturer != "" { // a kiosk of several: whose relay signed
		rows = append(rows, Row{"Manufacturer", r.Manufacturer + ", whose relay at " + r.Issuer + " signed this identity"})
	}
	return rows
}

// Signature says what was checked, for a verified result.
func (r Result) Signature() string {
	if !r.Verified {
		return ""
	}
	return fmt.Sprintf("Signature checked: issued by %s, for %s, valid until %s",
		r.Issuer, r.Audience, r.Identity.Expiry.Local().Format("15:04:05 on 2 January 2006 (MST)"))
}

// Meaning says what the result means for the person at the kiosk.
func (r Result) Meaning() string {
	if !r.Verified {
		return "What this means: the tool cannot tell who is at the kiosk, so it unlocks nothing. " +
			"Sign out at the kiosk and sign in again; if this happens again, tell your administrator."
	}
	return "The relay signed this identity and its published keys check out: the kiosk, or any other program " +
		"on this computer, could not have made it up."
}

// PinningNote is what a real tool does differently.
const PinningNote = "Demo: this tool takes the relay's address from " + EnvRelayURL + " (or --relay) and its audience " +
	"from the relay (or --audience). A real tool pins both in its own configuration, so that nobody can point it at another relay."
