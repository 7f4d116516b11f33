package main

import "github.com/entragate/entragate/emulator/emucli"

// tokenCmd prints a demo access token from the emulator (`entragate token`).
func tokenCmd(args []string, env *cmdEnv) int {
	return delegate(args, env, emucli.Token)
}
