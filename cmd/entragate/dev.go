package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/server"
)

// devSecretEnv is the (virtual) variable the dev config names for the demo
// API's client secret; dev answers it from the emulator's demo constant.
const devSecretEnv = "ENTRAGATE_DEV_CLIENT_SECRET"

func devCmd(args []string, env *cmdEnv) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "gateway address")
	emuAddr := fs.String("emulator-addr", "127.0.0.1:8081", "emulator HTTP address")
	emuTLS := fs.String("emulator-https-addr", "127.0.0.1:8443", `emulator HTTPS address ("" disables HTTPS)`)
	verbose := fs.Bool("v", false, "debug logging")
	if ok, code := parseFlags(fs, args, env, "usage: entragate dev [--listen ADDR] [--emulator-addr ADDR] [--emulator-https-addr ADDR] [-v]"); !ok {
		return code
	}
	level := "info"
	if *verbose {
		level = "debug"
	}
	log := server.NewLogger(env.stderr, config.Logging{Level: level, Format: "text"})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	emu, err := emulator.New(emulator.Config{Logger: log.With("component", "emulator")})
	if err != nil {
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	dir, err := os.MkdirTemp("", "entragate-dev-")
	if err != nil {
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	defer os.RemoveAll(dir)
	caFile := ""
	if *emuTLS != "" {
		caFile = filepath.Join(dir, "emulator-ca.pem")
	}
	type urls struct{ http, https string }
	ready := make(chan urls, 1)
	emuDone := make(chan error, 1)
	go func() {
		emuDone <- emulator.Serve(ctx, emu, emulator.ServeOptions{HTTPAddr: *emuAddr, HTTPSAddr: *emuTLS, CAFile: caFile,
			Logger: log.With("component", "emulator"), Ready: func(h, s string) { ready <- urls{h, s} }})
	}()
	var u urls
	select {
	case u = <-ready:
	case err := <-emuDone:
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(fmt.Sprint(err)))
		return exitFailure
	}
	cfg, err := devConfig(u.http, *listen)
	if err != nil {
		cancel()
		<-emuDone
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	s, err := server.New(server.Options{Config: cfg, Logger: log, Version: versionString(),
		LookupEnv: func(k string) (string, bool) {
			if k == devSecretEnv {
				return emulator.DemoAPIClientSecret, true
			}
			return "", false
		}})
	if err != nil {
		cancel()
		<-emuDone
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	defer s.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		cancel()
		<-emuDone
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	gwDone := make(chan error, 1)
	go func() { gwDone <- s.Run(ctx, ln) }()
	printDevHelp(env, u.http, u.https, caFile, ln.Addr().String(), *emuAddr)

	var runErr error
	select {
	case runErr = <-gwDone:
		cancel()
		<-emuDone
	case runErr = <-emuDone:
		cancel()
		<-gwDone
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(env.stderr, "entragate dev: %s\n", oneLine(runErr.Error()))
		return exitFailure
	}
	return exitOK
}

// devConfig is the demo configuration, built from the emulator's constants.
func devConfig(emuURL, listen string) (*config.Config, error) {
	c := &config.Config{
		AzureAd: config.AzureAd{
			Instance: emuURL + "/", TenantId: emulator.DemoTenantID, ClientId: emulator.DemoAPIClientID,
			RequiredScopes:    []string{emulator.DemoScope},
			ClientCredentials: []config.ClientCredential{{SourceType: config.SourceClientSecret, ClientSecretEnv: devSecretEnv}},
		},
		DownstreamApis: map[string]config.DownstreamApi{config.GraphAPIName: {
			BaseUrl: emuURL + "/v1.0", Scopes: []string{"https://graph.microsoft.com/User.Read"},
		}},
		Server:  config.Server{Listen: listen, ShutdownTimeout: 5 * time.Second},
		Keys:    config.Keys{RefreshInterval: 5 * time.Minute, UnknownKidInterval: 10 * time.Second},
		Logging: config.Logging{Level: "info", Format: "text", AccessLog: true},
	}
	c.SetDefaults()
	return c, c.Validate()
}

func printDevHelp(env *cmdEnv, emuHTTP, emuHTTPS, caFile, listen, emuAddr string) {
	gw := "http://" + listen
	tokenCmd := "go run ./cmd/entragate token"
	rotateCmd := "go run ./cmd/entragate emulator rotate-keys"
	if emuAddr != "127.0.0.1:8081" {
		tokenCmd += " --emulator " + emuHTTP
		rotateCmd += " --emulator " + emuHTTP
	}
	fmt.Fprintf(env.stdout, `entragate dev is running (Ctrl-C to stop)
  gateway   %s   (GET /me, /graph/me, /healthz, /readyz, /metrics)
  emulator  %s`, gw, emuHTTP)
	if emuHTTPS != "" {
		fmt.Fprintf(env.stdout, "   and %s (CA: %s)", emuHTTPS, caFile)
	}
	fmt.Fprintf(env.stdout, `
  demo tenant %s, API %s, user %s

Next, in another terminal:
  curl -H "Authorization: Bearer $(%s)" %s/graph/me
  curl -H "Authorization: Bearer $(%s)" %s/me
  curl -i %s/graph/me            # no token: 401 with WWW-Authenticate: Bearer
  curl %s/readyz
  %s
`, emulator.DemoTenantID, emulator.DemoAPIClientID, emulator.DemoUser, tokenCmd, gw, tokenCmd, gw, gw, gw, rotateCmd)
}
