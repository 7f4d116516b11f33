package main

import (
	"bytes"
	"io"

	"github.com/entragate/entragate/emulator/emucli"
)

// emulatorCmd runs the Entra ID emulator (`entragate emulator`, and its
// `rotate-keys` sub-command).
func emulatorCmd(args []string, env *cmdEnv) int {
	return delegate(args, env, emucli.Emulator)
}

// delegate runs an emucli entry point with this command's conventions:
// --help prints the usage on stdout (exit 0); on a usage error only the
// one-line message reaches stderr, not the whole usage text.
func delegate(args []string, env *cmdEnv, fn func(args []string, stdout, stderr io.Writer) int) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			help := []string{"--help"}
			if args[0] == "rotate-keys" {
				help = []string{"rotate-keys", "--help"}
			}
			fn(help, env.stdout, env.stdout)
			return exitOK
		}
	}
	return fn(args, env.stdout, &usageFilter{w: env.stderr})
}

// usageFilter passes output through but drops everything from a line
// starting with "Usage:" on (the flag package's usage text after an error).
type usageFilter struct {
	w        io.Writer
	dropping bool
	atBOL    bool
	started  bool
}

func (f *usageFilter) Write(p []byte) (int, error) {
	if f.dropping {
		return len(p), nil
	}
	if !f.started {
		f.started, f.atBOL = true, true
	}
	i := bytes.Index(p, []byte("\nUsage:"))
	switch {
	case f.atBOL && bytes.HasPrefix(p, []byte("Usage:")):
		f.dropping = true
		return len(p), nil
	case i >= 0:
		f.dropping = true
		if _, err := f.w.Write(p[:i+1]); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if len(p) > 0 {
		f.atBOL = p[len(p)-1] == '\n'
	}
	if _, err := f.w.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
