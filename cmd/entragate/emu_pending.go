package main

import "fmt"

// Placeholders until emulator/emucli lands.
func emulatorCmd(_ []string, env *cmdEnv) int {
	fmt.Fprintln(env.stderr, "entragate emulator: not available in this build yet")
	return exitFailure
}

func tokenCmd(_ []string, env *cmdEnv) int {
	fmt.Fprintln(env.stderr, "entragate token: not available in this build yet")
	return exitFailure
}
