package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

type report struct {
	Token   tokenInfo `json:"token"`
	Now     time.Time `json:"evaluated_at"`
	Verdict string    `json:"verdict"` // accepted / refused
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Fix     string    `json:"fix,omitempty"`
	Notes   []string  `json:"notes,omitempty"`
	// Routes: each protected route's authorization outcome, when the token
	// is valid and a configuration (--config) gives the rules.
	Routes []routeResult `json:"routes,omitempty"`
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// relative renders t relative to now: "in 59m0s" / "1h0m0s ago".
func relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	abs := d
	if abs < 0 {
		abs = -abs
	}
	var s string
	switch {
	case d == 0:
		return "now"
	case abs >= 48*time.Hour:
		s = fmt.Sprintf("%d days", int(abs/(24*time.Hour)))
	default:
		s = abs.String()
	}
	if d > 0 {
		return "in " + s
	}
	return s + " ago"
}

func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	d := r.Token
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-11s %s\n", k+":", v)
		}
	}
	b.WriteString("Token (claims shown are unverified unless the verdict is accepted)\n")
	if !d.Parsed {
		line("problem", d.Problem)
	} else {
		kind := d.Kind
		if d.Version != "" {
			kind = "v" + d.Version + " " + kind
		}
		if d.AppOnly {
			kind += ", app-only (no user)"
		} else {
			kind += ", delegated (user)"
		}
		line("kind", kind)
		hdr := "alg " + d.Alg
		if d.Typ != "" {
			hdr += ", typ " + d.Typ
		}
		if d.Kid != "" {
			hdr += ", kid " + d.Kid
		} else if d.X5t != "" {
			hdr += ", x5t " + d.X5t
		}
		if len(d.Flags) > 0 {
			hdr += ", also: " + strings.Join(d.Flags, " ")
		}
		line("header", hdr)
		line("issuer", d.Issuer)
		line("tenant", d.TenantID)
		line("audience", strings.Join(d.Audience, ", "))
		line("client", d.ClientID)
		line("subject", d.Subject)
		line("object id", d.ObjectID)
		line("scopes", strings.Join(d.Scopes, " "))
		line("roles", strings.Join(d.Roles, ", "))
		for _, tm := range []struct {
			k string
			t *time.Time
		}{{"issued", d.IssuedAt}, {"not before", d.NotBefore}, {"expires", d.ExpiresAt}} {
			if tm.t != nil {
				line(tm.k, tm.t.UTC().Format(time.RFC3339)+" ("+relative(*tm.t, r.Now)+")")
			}
		}
	}
	fmt.Fprintf(&b, "Evaluated at %s\n", r.Now.Format(time.RFC3339))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	if r.Verdict == "accepted" {
		b.WriteString("Verdict: accepted\n")
	} else {
		fmt.Fprintf(&b, "Verdict: refused (%s)\n  %s\n", r.Reason, r.Message)
		if r.Fix != "" {
			fmt.Fprintf(&b, "  Fix: %s\n", r.Fix)
		}
	}
	if len(r.Routes) > 0 {
		b.WriteString("Routes (the configuration's scopes and roles)\n")
		for _, rr := range r.Routes {
			switch {
			case rr.Verdict == "allowed" && rr.Needs == "":
				fmt.Fprintf(&b, "  %-11s allowed (no scope or role required)\n", rr.Route+":")
			case rr.Verdict == "allowed":
				fmt.Fprintf(&b, "  %-11s allowed (needs %s)\n", rr.Route+":", rr.Needs)
			default:
				fmt.Fprintf(&b, "  %-11s refused (%s): needs %s\n", rr.Route+":", rr.Reason, rr.Needs)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
