// Package inspect implements `entragate inspect`: a local diagnosis of one
// access token. It explains what the token is (v1/v2, app-only or delegated,
// tenant, audience, scopes and roles, times in UTC and relative to now) and
// runs the same validate.Validator the gateway uses, printing the verdict
// with its reason code and one sentence on how to fix it. With a gateway
// configuration it also applies that configuration's authorization rules
// (scopes and roles) to each protected route.
//
// The token is never sent anywhere and never printed back. Key sets and
// metadata are read from files (--jwks/--metadata FILE) or else fetched
// through the caller's Fetch (the configured instance's metadata, a
// --jwks/--metadata URL, a metadata document's jwks_uri); without Fetch,
// URLs are refused. Only --jwks FILE avoids the network entirely.
package inspect

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/entragate/entragate/validate"
)

// ConfigKeys is what a gateway configuration says besides validate.Config:
// where it takes its signing keys from, as the gateway itself would (a
// key-set file or URL in JWKS, or a metadata document URL in Metadata; at
// most one is set), and the authorization rule of each protected route it
// serves (Routes, as config.RouteRequirements; nil or empty: no rules).
type ConfigKeys struct {
	JWKS     string // file path or URL
	Metadata string // URL
	// Routes maps each protected route (e.g. "/me", "/graph/me") to the
	// scopes/roles a valid token needs there.
	Routes map[string]validate.Requirement
}

// Options carries the hooks the command fills in.
type Options struct {
	// LoadConfig reads a gateway configuration file (--config). Nil: --config is refused.
	// Its ConfigKeys say where that configuration takes its signing keys from
	// (--jwks and --metadata override them) and which scopes/roles each
	// protected route requires.
	LoadConfig func(path string) (validate.Config, ConfigKeys, error)
	// Fetch GETs a --jwks or --metadata URL (bounded, hardened client). Nil: URLs are refused.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// Now is the clock when --at is not given (default time.Now).
	Now func() time.Time
	// ReadFile reads --jwks/--metadata files (default os.ReadFile, bounded).
	ReadFile func(path string) ([]byte, error)
}

// Exit codes.
const (
	ExitAccepted = 0
	ExitRefused  = 1
	ExitUsage    = 2
)

// maxInput bounds what is read from stdin (a token beyond the validator's own
// cap is still reported as token_too_large).
const maxInput = 2 << 20

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type flags struct {
	config, jwks, metadata, instance, tenant, clientID, at string
	allowed, audiences                                     listFlag
	anyTenant, json                                        bool
	token                                                  string
}

const usage = `usage: entragate inspect [flags] [TOKEN|-]
Explains one access token and validates it as the gateway would; with --config,
also checks the configuration's scopes/roles for each protected route.
Reads the token from stdin when TOKEN is absent or "-" (preferred: arguments are visible to other users).
The token is never sent anywhere. The signing keys are fetched from the configured
instance's metadata (or the --jwks/--metadata URL, or the jwks_uri a --metadata FILE names)
unless --jwks FILE (or a configuration's JwksFile) is given.
Exit status: 0 accepted, 1 refused, 2 usage or configuration error.
Flags:
`

func parseFlags(args []string, stdout io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "", "gateway configuration `FILE` (its tenant, audiences, key source and per-route scopes/roles)")
	fs.StringVar(&f.jwks, "jwks", "", "signing key set `FILE|URL` (a FILE: nothing is fetched)")
	fs.StringVar(&f.metadata, "metadata", "", "OpenID Connect metadata `FILE|URL` (the jwks_uri it names is fetched)")
	fs.StringVar(&f.instance, "instance", "", "authority instance `URL` (default https://login.microsoftonline.com/)")
	fs.StringVar(&f.tenant, "tenant", "", "tenant `ID`, organizations, common or consumers (default: the token's tid, with a note)")
	fs.StringVar(&f.clientID, "client-id", "", "the API's client `ID`")
	fs.StringVar(&f.at, "at", "", "evaluate at this `RFC3339` time instead of now")
	fs.Var(&f.allowed, "allowed-tenant", "allowed tenant `ID` (repeatable)")
	fs.Var(&f.audiences, "audience", "accepted audience `AUD` (repeatable; default: the token's aud, with a note)")
	fs.BoolVar(&f.anyTenant, "any-tenant", false, "accept any tenant (multi-tenant without allow-list)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return nil, err
	}
	switch fs.NArg() {
	case 0:
	case 1:
		f.token = fs.Arg(0)
	default:
		return nil, fmt.Errorf("expected at most one token argument")
	}
	return f, nil
}

// Main runs the command and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, opts Options) int {
	f, err := parseFlags(args, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitAccepted // usage on stdout, like every other command
		}
		oneLine(stderr, err.Error()+" (see --help)")
		return ExitUsage
	}
	raw, err := readToken(f.token, stdin)
	if err != nil {
		oneLine(stderr, err.Error())
		return ExitUsage
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if f.at != "" {
		at, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			oneLine(stderr, "--at must be RFC 3339 (2006-01-02T15:04:05Z)")
			return ExitUsage
		}
		now = func() time.Time { return at }
	}
	desc := describe(raw)
	cfg, routes, notes, err := buildConfig(context.Background(), f, opts, desc)
	if err != nil {
		oneLine(stderr, err.Error())
		return ExitUsage
	}
	cfg.Now = now
	cfg.CacheEntries = -1
	rep := report{Token: desc, Notes: notes, Now: now().UTC().Truncate(time.Second)}
	v, err := validate.New(cfg)
	if err != nil {
		oneLine(stderr, err.Error())
		return ExitUsage
	}
	res, verr := v.Validate(context.Background(), raw)
	code := ExitAccepted
	rep.Verdict = "accepted"
	if verr == nil && len(routes) > 0 {
		if authorize(&rep, res, routes) {
			code = ExitRefused
		}
	}
	if verr != nil {
		code = ExitRefused
		rep.Verdict = "refused"
		var ve *validate.Error
		if errors.As(verr, &ve) {
			rep.Reason, rep.Message, rep.Fix = string(ve.Reason), ve.Msg, ve.Hint
		} else {
			rep.Reason, rep.Message = "error", "validation failed"
		}
	}
	if f.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		oneLine(stderr, err.Error())
		return ExitUsage
	}
	return code
}

func readToken(arg string, stdin io.Reader) (string, error) {
	var s string
	if arg != "" && arg != "-" {
		s = arg
	} else {
		if stdin == nil {
			return "", errors.New("no token given")
		}
		b, err := io.ReadAll(io.LimitReader(stdin, maxInput+1))
		if err != nil {
			return "", fmt.Errorf("reading stdin: %w", err)
		}
		if len(b) > maxInput {
			return "", fmt.Errorf("input larger than %d bytes", maxInput)
		}
		s = string(b)
	}
	s = strings.TrimSpace(s)
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimLeft(s[7:], " ")
	}
	if s == "" {
		return "", errors.New("no token given")
	}
	return s, nil
}

// oneLine writes an error as a single "inspect: ..." line.
func oneLine(w io.Writer, msg string) {
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
	fmt.Fprintf(w, "inspect: %s\n", clean(msg))
}
