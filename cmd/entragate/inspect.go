package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/httpclient"
	"github.com/entragate/entragate/inspect"
	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
)

func inspectCmd(args []string, env *cmdEnv) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			// like every other command: usage on stdout, exit 0
			inspect.Main([]string{"--help"}, env.stdin, env.stdout, env.stdout, inspect.Options{})
			return exitOK
		}
	}
	return inspect.Main(args, env.stdin, env.stdout, env.stderr, inspect.Options{
		LoadConfig: func(path string) (validate.Config, inspect.ConfigKeys, error) {
			c, err := config.LoadFile(path)
			if err != nil {
				return validate.Config{}, inspect.ConfigKeys{}, err
			}
			// The keys come from where `serve` would take them.
			meta, jwks, file := c.KeySource()
			keys := inspect.ConfigKeys{JWKS: jwks, Metadata: meta}
			if file != "" {
				keys = inspect.ConfigKeys{JWKS: file}
			}
			// The scopes/roles of each protected route, as `serve` applies
			// them; /graph/me only where the gateway serves it.
			keys.Routes = c.RouteRequirements()
			if _, ok := c.Graph(); !ok {
				delete(keys.Routes, config.RouteGraphMe)
			}
			return c.ValidatorConfig(nil, nil), keys, nil
		},
		Fetch: boundedFetch(httpclient.New(httpclient.Options{Timeout: 15 * time.Second, UserAgent: "entragate-inspect/" + Version})),
	})
}

// boundedFetch GETs a key set or metadata document: https only (http for
// loopback), 200 only, at most jwk.MaxSetSize bytes.
func boundedFetch(c *http.Client) func(ctx context.Context, raw string) ([]byte, error) {
	return func(ctx context.Context, raw string) ([]byte, error) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%q is not an absolute URL", raw)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && config.IsLoopback(u.Hostname())) {
			return nil, fmt.Errorf("%s: only https URLs (http for loopback hosts) are fetched", u.Redacted())
		}
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s answered %d", u.Redacted(), resp.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, jwk.MaxSetSize+1))
		if err != nil {
			return nil, err
		}
		if len(b) > jwk.MaxSetSize {
			return nil, fmt.Errorf("%s: document larger than %d bytes", u.Redacted(), jwk.MaxSetSize)
		}
		return b, nil
	}
}
