// Package emucli holds the command-line entry points of the Entra ID
// emulator, called by cmd/entragate:
//
//	entragate emulator [flags]                      serve the emulator
//	entragate emulator rotate-keys [flags]          rotate a running emulator's signing key
//	entragate token [flags]                         print an access token from a running emulator
//
// Each returns a process exit code: 0 success (and --help), 1 failure,
// 2 usage error.
package emucli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/entragate/entragate/emulator"
)

// Defaults of the emulator command.
const (
	DefaultHTTPAddr    = "127.0.0.1:8081"
	DefaultHTTPSAddr   = "127.0.0.1:8443"
	DefaultEmulatorURL = "http://127.0.0.1:8081"
)

// DefaultCAFile is where the emulator writes its CA certificate by default:
// the user's own cache directory (~/.cache/entragate on Linux), not a
// predictable name in the shared temporary directory.
func DefaultCAFile() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "entragate", "emulator-ca.pem")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("entragate-%d", os.Getuid()), "emulator-ca.pem")
}

// Emulator runs `entragate emulator [flags]` (serves until SIGINT/SIGTERM)
// and `entragate emulator rotate-keys [flags]`.
func Emulator(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "rotate-keys" {
		return RotateKeys(args[1:], stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr, nil)
}

// serve is Emulator with an explicit context (tests cancel it).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(httpURL, httpsURL string)) int {
	fs := flag.NewFlagSet("entragate emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http-addr", DefaultHTTPAddr, "HTTP listen address")
	httpsAddr := fs.String("https-addr", DefaultHTTPSAddr, `HTTPS listen address ("" disables HTTPS)`)
	caFile := fs.String("ca-file", DefaultCAFile(), "where to write the HTTPS CA certificate (PEM)")
	cfgFile := fs.String("config", "", "YAML file with more tenants, apps and users (see docs/emulator.md)")
	baseURL := fs.String("base-url", "", "issuer base URL (default: http:// + the bound HTTP address)")
	keyGrace := fs.Duration("key-grace", emulator.DefaultKeyGrace, "how long a rotated-out signing key stays published")
	noDemo := fs.Bool("no-demo", false, "leave out the built-in demo tenant")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: entragate emulator [flags]\n       entragate emulator rotate-keys [--emulator URL] [--retire-now]\n\n"+
			"Runs an Entra ID emulator (metadata, keys, token endpoint, Graph /me) for development and tests.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args); done {
		return code
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "entragate emulator: bad --log-level %q\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	var cfg emulator.Config
	if *cfgFile != "" {
		c, err := emulator.LoadConfigFile(*cfgFile)
		if err != nil {
			fmt.Fprintf(stderr, "entragate emulator: %v\n", err)
			return 1
		}
		cfg = c
	}
	if *noDemo {
		cfg.NoDemo = true
	}
	if cfg.KeyGrace == 0 || isSet(fs, "key-grace") {
		cfg.KeyGrace = *keyGrace
	}
	cfg.Logger = log
	e, err := emulator.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "entragate emulator: %v\n", err)
		return 1
	}
	ca := *caFile
	if *httpsAddr == "" {
		ca = ""
	}
	err = emulator.Serve(ctx, e, emulator.ServeOptions{
		HTTPAddr: *httpAddr, HTTPSAddr: *httpsAddr, CAFile: ca, BaseURL: *baseURL, Logger: log,
		Ready: func(h, s string) {
			fmt.Fprintf(stdout, "Entra ID emulator listening on %s", h)
			if s != "" {
				fmt.Fprintf(stdout, " and %s (CA certificate: %s)", s, ca)
			}
			fmt.Fprintf(stdout, "\n  issuer (v2): %s\n  metadata:    %s/%s/v2.0/.well-known/openid-configuration\n",
				e.IssuerV2(emulator.DemoTenantID), e.BaseURL(), emulator.DemoTenantID)
			if !cfg.NoDemo {
				fmt.Fprintf(stdout, "  demo tenant %s, API %s (%s), users %s and %s\n",
					emulator.DemoTenantID, emulator.DemoAPIClientID, emulator.DemoAPIAppIDURI, emulator.DemoUser, emulator.DemoUser2)
			}
			if ready != nil {
				ready(h, s)
			}
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "entragate emulator: %v\n", err)
		return 1
	}
	return 0
}

// parse parses flags; done reports that the caller must return code.
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return 2, true
	}
	return 0, false
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func trimURL(u string) string { return strings.TrimRight(u, "/") }
