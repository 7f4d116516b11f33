package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
)

// maxDocument bounds --jwks and --metadata documents.
const maxDocument = jwk.MaxSetSize

// buildConfig merges --config and the flags. Missing tenant or audience are
// taken from the (unverified) token, with a note saying so, so that the
// other checks can still be explained. The configuration's per-route
// authorization rules are returned as routes (nil without --config).
func buildConfig(ctx context.Context, f *flags, opts Options, d tokenInfo) (cfg validate.Config, routes map[string]validate.Requirement, notes []string, err error) {
	if f.config != "" {
		if opts.LoadConfig == nil {
			return cfg, nil, nil, errors.New("--config is not supported here")
		}
		c, keys, err := opts.LoadConfig(f.config)
		if err != nil {
			return cfg, nil, nil, fmt.Errorf("loading %s: %w", f.config, err)
		}
		cfg = c
		routes = keys.Routes
		if f.jwks == "" && f.metadata == "" { // the configuration's own key source
			f.jwks, f.metadata = keys.JWKS, keys.Metadata
		}
	}
	if f.instance != "" {
		cfg.Instance = f.instance
	}
	if f.tenant != "" {
		cfg.TenantID = f.tenant
	}
	if len(f.allowed) > 0 {
		cfg.AllowedTenants = f.allowed
	}
	if f.anyTenant {
		cfg.AllowAnyTenant = true
	}
	if f.clientID != "" {
		cfg.ClientID = f.clientID
	}
	if len(f.audiences) > 0 {
		cfg.Audiences = f.audiences
	}
	tenantFromToken := false
	if cfg.TenantID == "" {
		tenantFromToken = true
		if d.TenantID == "" || authority.ClassifyTenant(d.TenantID) != authority.TenantGUID {
			return cfg, nil, nil, errors.New("no tenant: pass --tenant")
		}
		cfg.TenantID = d.TenantID
		notes = append(notes, "tenant taken from the token's tid; pass --tenant to check it")
	}
	if cfg.ClientID == "" && len(cfg.Audiences) == 0 {
		if len(d.Audience) == 0 {
			return cfg, nil, nil, errors.New("no audience: pass --audience or --client-id")
		}
		cfg.Audiences = d.Audience
		notes = append(notes, "audience taken from the token; pass --audience or --client-id to check it")
	}
	switch {
	case f.jwks != "":
		set, err := loadSet(ctx, f.jwks, opts)
		if err != nil {
			return cfg, nil, nil, err
		}
		cfg.Keys = validate.SetKeys{Set: set}
	case f.metadata != "":
		doc, err := load(ctx, f.metadata, opts)
		if err != nil {
			return cfg, nil, nil, err
		}
		md, err := authority.ParseMetadata(doc)
		if err != nil {
			return cfg, nil, nil, err
		}
		set, err := loadSet(ctx, md.JWKSURI, opts)
		if err != nil {
			return cfg, nil, nil, err
		}
		cfg.Keys = validate.SetKeys{Set: set}
	case cfg.Keys != nil:
	case opts.Fetch != nil && !tenantFromToken:
		// The tenant's own discovery document on the configured instance.
		// Never built from a tenant the token names.
		inst, err := authority.NormalizeInstance(cfg.Instance)
		if err != nil {
			return cfg, nil, nil, err
		}
		mdURL := authority.MetadataURL(inst, cfg.TenantID, true)
		doc, err := load(ctx, mdURL, opts)
		if err != nil {
			return cfg, nil, nil, err
		}
		md, err := authority.ParseMetadata(doc)
		if err != nil {
			return cfg, nil, nil, err
		}
		set, err := loadSet(ctx, md.JWKSURI, opts)
		if err != nil {
			return cfg, nil, nil, err
		}
		cfg.Keys = validate.SetKeys{Set: set}
		notes = append(notes, "keys fetched via "+mdURL)
	default:
		return cfg, nil, nil, errors.New("no keys: pass --jwks FILE|URL or --metadata FILE|URL (or --tenant, to fetch the tenant's keys)")
	}
	return cfg, routes, notes, nil
}

func loadSet(ctx context.Context, src string, opts Options) (*jwk.Set, error) {
	doc, err := load(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	set, err := jwk.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	return set, nil
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func load(ctx context.Context, src string, opts Options) ([]byte, error) {
	if isURL(src) {
		if opts.Fetch == nil {
			return nil, fmt.Errorf("fetching URLs is not available here; download the document and pass the file")
		}
		b, err := opts.Fetch(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("fetching %s: %w", src, err)
		}
		if len(b) > maxDocument {
			return nil, fmt.Errorf("%s: document larger than %d bytes", src, maxDocument)
		}
		return b, nil
	}
	if opts.ReadFile != nil {
		return opts.ReadFile(src)
	}
	fh, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("%s: larger than %d bytes", src, maxDocument)
	}
	return b, nil
}
