// Package inspect implements `entragate inspect`: an offline diagnosis of one
// access token. It explains what the token is (v1/v2, app-only or delegated,
// tenant, audience, scopes and roles, times in UTC and relative to now) and
// runs the same validate.Validator the gateway uses, printing the verdict
// with its reason code and one sentence on how to fix it.
//
// The token is never sent anywhere and never printed back. Key sets and
// metadata come from files, or from URLs only through the caller's Fetch.
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

// ConfigKeys is where a gateway configuration takes its signing keys from,
// as the gateway itself would: a key-set file or URL (JWKS), or a metadata
// document URL (Metadata). At most one is set.
type ConfigKeys struct {
	JWKS     string // file path or URL
	Metadata string // URL
}

// Options carries the hooks the command fills in.
type Options struct {
	// LoadConfig reads a gateway configuration file (--config). Nil: --config is refused.
	// Its ConfigKeys say where that configuration takes its signing keys from;
	// --jwks and --metadata override them.
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

const usage = `usage: entragate inspect [--config FILE] [--jwks FILE|URL] [--metadata FILE|URL]
       [--instance URL] [--tenant ID|organizations|common|consumers] [--allowed-tenant ID]...
       [--any-tenant] [--client-id ID] [--audience AUD]... [--at RFC3339] [--json] [TOKEN|-]
Reads the token from stdin when TOKEN is absent or "-" (preferred: arguments are visible to other users).
Exit status: 0 accepted, 1 refused, 2 usage or configuration error.
`

func parseFlags(args []string, stdout io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "", "gateway configuration file")
	fs.StringVar(&f.jwks, "jwks", "", "key set file or URL")
	fs.StringVar(&f.metadata, "metadata", "", "OpenID Connect metadata file or URL")
	fs.StringVar(&f.instance, "instance", "", "authority instance URL")
	fs.StringVar(&f.tenant, "tenant", "", "tenant ID, organizations, common or consumers")
	fs.StringVar(&f.clientID, "client-id", "", "the API's client ID")
	fs.StringVar(&f.at, "at", "", "evaluate at this time (RFC 3339)")
	fs.Var(&f.allowed, "allowed-tenant", "allowed tenant ID (repeatable)")
	fs.Var(&f.audiences, "audience", "accepted audience (repeatable)")
	fs.BoolVar(&f.anyTenant, "any-tenant", false, "accept any tenant (multi-tenant without allow-list)")
	fs.BoolVar(&f.json, "json", false, "JSON output")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
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
	cfg, notes, err := buildConfig(context.Background(), f, opts, desc)
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
	_, verr := v.Validate(context.Background(), raw)
	code := ExitAccepted
	rep.Verdict = "accepted"
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
