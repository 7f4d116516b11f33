package buildtool

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WorkerdConfig describes a workerd instance serving the built Worker
// (the capnp file sits next to worker.wasm, which it embeds).
type WorkerdConfig struct {
	Text            map[string]string // text bindings (vars and secrets)
	KV              []string          // KV namespace bindings, each backed by a disk directory under StateDir
	Cache           bool              // a Cache API backend (caches.default) under StateDir
	TrustedCertsPEM []string          // extra CA certificates for outbound TLS
	StateDir        string            // absolute directory for KV and cache data
}

// Capnp renders the configuration. The socket "http" has no address: give
// it with --socket-addr http=127.0.0.1:8787 or --socket-fd. KV and cache
// directories are created.
func (cfg WorkerdConfig) Capnp() string {
	stateDir := cfg.StateDir
	var b strings.Builder
	b.WriteString("using Workerd = import \"/workerd/workerd.capnp\";\n\n")
	b.WriteString("const config :Workerd.Config = (\n  services = [\n")
	b.WriteString("    (name = \"main\", worker = .mainWorker),\n")
	b.WriteString("    (name = \"internet\", network = (allow = [\"public\", \"private\", \"local\"]")
	if len(cfg.TrustedCertsPEM) > 0 {
		b.WriteString(", tlsOptions = (trustedCertificates = [")
		for i, c := range cfg.TrustedCertsPEM {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(c))
		}
		b.WriteString("])")
	}
	b.WriteString(")),\n")
	for _, kv := range cfg.KV {
		fmt.Fprintf(&b, "    (name = %s, disk = (path = %s, writable = true)),\n", quote("kv-"+kv), quote(filepath.Join(stateDir, "kv-"+kv)))
		_ = os.MkdirAll(filepath.Join(stateDir, "kv-"+kv), 0o755)
	}
	if cfg.Cache {
		fmt.Fprintf(&b, "    (name = \"cache\", cache = (path = %s)),\n", quote(filepath.Join(stateDir, "cache")))
		_ = os.MkdirAll(filepath.Join(stateDir, "cache"), 0o755)
	}
	b.WriteString("  ],\n  sockets = [ (name = \"http\", http = (), service = \"main\") ],\n);\n\n")
	b.WriteString("const mainWorker :Workerd.Worker = (\n  modules = [\n")
	b.WriteString("    (name = \"worker.mjs\", esModule = embed \"worker.mjs\"),\n")
	b.WriteString("    (name = \"wasm_exec.js\", esModule = embed \"wasm_exec.js\"),\n")
	b.WriteString("    (name = \"worker.wasm\", wasm = embed \"worker.wasm\"),\n  ],\n")
	b.WriteString("  compatibilityDate = \"2025-09-01\",\n  bindings = [\n")
	keys := make([]string, 0, len(cfg.Text))
	for k := range cfg.Text {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "    (name = %s, text = %s),\n", quote(k), quote(cfg.Text[k]))
	}
	for _, kv := range cfg.KV {
		fmt.Fprintf(&b, "    (name = %s, kvNamespace = %s),\n", quote(kv), quote("kv-"+kv))
	}
	b.WriteString("  ],\n  globalOutbound = \"internet\",\n")
	if cfg.Cache {
		b.WriteString("  cacheApiOutbound = \"cache\",\n")
	}
	b.WriteString(");\n")
	return b.String()
}

// quote renders a Cap'n Proto text literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
