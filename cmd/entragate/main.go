// Command entragate validates Microsoft Entra ID access tokens and performs
// On-Behalf-Of exchanges: a gateway (serve), a local demo (dev), an Entra
// ID emulator (emulator, token), a token diagnosis (inspect: the token is
// never sent anywhere; the signing keys are fetched from the configured
// instance, or the --jwks/--metadata URL, unless --jwks FILE is given).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage: entragate <command> [flags]

Commands:
  serve --config FILE   run the gateway from a YAML configuration
  dev                   run the Entra ID emulator and a gateway wired to it (loopback)
  emulator              run the Entra ID emulator (sub-command: rotate-keys)
  token                 get a demo access token from the emulator
  inspect               explain and validate one access token (never sent anywhere;
                        keys are fetched unless --jwks FILE is given)
  version               print the version

Run "entragate <command> --help" for the flags of a command.
`

type command func(args []string, env *cmdEnv) int

// cmdEnv is what commands get instead of globals.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

func main() {
	os.Exit(run(os.Args[1:], &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}))
}

func commands() map[string]command {
	return map[string]command{
		"serve":    serveCmd,
		"dev":      devCmd,
		"emulator": emulatorCmd,
		"token":    tokenCmd,
		"inspect":  inspectCmd,
		"version":  versionCmd,
	}
}

func run(args []string, env *cmdEnv) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.stdout, usage)
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "entragate: unknown command %q (run \"entragate --help\")\n", oneLine(args[0]))
		return exitUsage
	}
	return cmd(args[1:], env)
}

// parseFlags parses fs quietly and maps the result to an exit code:
// --help prints the usage to stdout (exit 0); bad flags print one line to
// stderr (exit 2). ok is true when the command should go on.
func parseFlags(fs *flag.FlagSet, args []string, env *cmdEnv, usageLine string) (ok bool, code int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(env.stdout, usageLine)
		fs.SetOutput(env.stdout)
		fs.PrintDefaults()
		return false, exitOK
	case err != nil:
		fmt.Fprintf(env.stderr, "entragate %s: %s (run \"entragate %s --help\")\n", fs.Name(), oneLine(err.Error()), fs.Name())
		return false, exitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(env.stderr, "entragate %s: unexpected argument %q\n", fs.Name(), oneLine(fs.Arg(0)))
		return false, exitUsage
	}
	return true, exitOK
}

// oneLine keeps messages on one line and bounded.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 4000 { // bounded, but long enough for every configuration problem at once
		s = s[:4000] + "..."
	}
	return s
}
