package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/server"
)

func serveCmd(args []string, env *cmdEnv) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fs.String("config", "", "YAML configuration file (see docs/configuration.md)")
	check := fs.Bool("check", false, "validate the configuration and exit")
	if ok, code := parseFlags(fs, args, env, "usage: entragate serve --config FILE [--check]"); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(env.stderr, "entragate serve: --config FILE is required")
		return exitUsage
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		fmt.Fprintf(env.stderr, "entragate serve: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	log := server.NewLogger(env.stderr, cfg.Logging)
	s, err := server.New(server.Options{Config: cfg, Logger: log, LookupEnv: env.lookupEnv, Version: versionString()})
	if err != nil {
		fmt.Fprintf(env.stderr, "entragate serve: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	defer s.Close()
	if *check {
		fmt.Fprintf(env.stdout, "entragate serve: %s is valid\n", *path)
		return exitOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Run(ctx, nil); err != nil {
		fmt.Fprintf(env.stderr, "entragate serve: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	return exitOK
}
