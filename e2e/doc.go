// Package e2e holds entragate's end-to-end tests: the Entra ID emulator
// and the gateway run in-process on httptest servers, wired exactly as
// `entragate serve` wires them (server.New from a config.Config), with
// injected clocks where time matters. It also builds the binary once to
// check the command line. There is no non-test code here.
package e2e
