package emucli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/entragate/entragate/emulator"
)

const maxAnswer = 1 << 20

// httpClient is a bounded client; caFile (optional) adds a trusted CA.
func httpClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, nil
}

// Token runs `entragate token [flags]`: it asks a running emulator for an
// access token by the password grant and prints it on stdout.
func Token(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("entragate token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", emulator.DemoUser, "user name or UPN")
	password := fs.String("password", emulator.DemoPassword, "the user's password")
	scope := fs.String("scope", emulator.DemoAPIScope, "scope(s), space separated")
	emu := fs.String("emulator", DefaultEmulatorURL, "emulator base URL")
	tenant := fs.String("tenant", emulator.DemoTenantID, "tenant id, domain, organizations or common")
	clientID := fs.String("client-id", emulator.DemoClientAppID, "client application id (a public client)")
	mfa := fs.Bool("mfa", false, "answer the emulator's MFA claims challenge (token amr includes \"mfa\")")
	claims := fs.String("claims", "", "claims request JSON (e.g. a claims challenge)")
	caFile := fs.String("ca-file", "", "CA certificate to trust for an https --emulator URL")
	asJSON := fs.Bool("json", false, "print the whole token answer as JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "request timeout")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: entragate token [--user NAME] [--scope S] [--emulator URL] [--mfa] [--claims JSON]\n\n"+
			"Prints an access token from a running Entra ID emulator (password grant).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args); done {
		return code
	}
	if *mfa && *claims == "" {
		*claims = emulator.MFAClaimsChallenge
	}
	c, err := httpClient(*caFile, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "entragate token: %v\n", err)
		return 1
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {*clientID}, "username": {*user},
		"password": {*password}, "scope": {*scope}}
	if *claims != "" {
		form.Set("claims", *claims)
	}
	endpoint := trimURL(*emu) + "/" + url.PathEscape(*tenant) + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		fmt.Fprintf(stderr, "entragate token: %v\n", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "entragate token: %v%s\n", err, unreachableHint(err))
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		fmt.Fprintf(stderr, "entragate token: %v\n", err)
		return 1
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		fmt.Fprintf(stderr, "entragate token: HTTP %d, not a token answer\n", resp.StatusCode)
		return 1
	}
	if resp.StatusCode != http.StatusOK || ans.AccessToken == "" {
		desc, _, _ := strings.Cut(ans.Description, "\r\n")
		fmt.Fprintf(stderr, "entragate token: HTTP %d %s: %s\n", resp.StatusCode, ans.Error, desc)
		return 1
	}
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", body)
		return 0
	}
	fmt.Fprintln(stdout, ans.AccessToken)
	return 0
}

// RotateKeys runs `entragate emulator rotate-keys [--emulator URL] [--retire-now]`.
func RotateKeys(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("entragate emulator rotate-keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	emu := fs.String("emulator", DefaultEmulatorURL, "emulator base URL")
	retireNow := fs.Bool("retire-now", false, "unpublish the old keys at once (no grace period)")
	caFile := fs.String("ca-file", "", "CA certificate to trust for an https --emulator URL")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: entragate emulator rotate-keys [--emulator URL] [--retire-now]\n\n"+
			"Makes a running emulator sign with a new key; the old one stays published for the grace period.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args); done {
		return code
	}
	c, err := httpClient(*caFile, 30*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "rotate-keys: %v\n", err)
		return 1
	}
	u := trimURL(*emu) + "/_emulator/rotate-keys"
	if *retireNow {
		u += "?retire=now"
	}
	resp, err := c.Post(u, "application/json", nil)
	if err != nil {
		fmt.Fprintf(stderr, "rotate-keys: %v%s\n", err, unreachableHint(err))
		return 1
	}
	defer resp.Body.Close()
	var ans struct {
		Kid  string   `json:"kid"`
		Kids []string `json:"published_kids"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&ans); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "rotate-keys: HTTP %d\n", resp.StatusCode)
		return 1
	}
	fmt.Fprintf(stdout, "new signing key %s; published: %s\n", ans.Kid, strings.Join(ans.Kids, ", "))
	return 0
}

// unreachableHint says what to do when no emulator answers.
func unreachableHint(err error) string {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return " (is the emulator running? start it with `entragate dev` or `entragate emulator`, or pass --emulator URL)"
	}
	return ""
}
