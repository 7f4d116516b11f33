package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is entragate's release version.
const Version = "0.1.0"

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

func versionCmd(args []string, env *cmdEnv) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if ok, code := parseFlags(fs, args, env, "usage: entragate version"); !ok {
		return code
	}
	fmt.Fprintf(env.stdout, "entragate %s %s %s/%s\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
