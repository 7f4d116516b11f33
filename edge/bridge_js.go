//go:build js && wasm

package edge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"syscall/js"
	"time"
)

// Setup builds the handler from the Worker's text bindings (vars and
// secrets). It runs once per isolate, on the first request.
type Setup func(env map[string]string, b *Bridge) (http.Handler, error)

// Options configures Serve.
type Options struct {
	Setup            Setup
	MaxResponseBytes int           // default DefaultMaxResponseBytes
	MaxTimeout       time.Duration // cap on the per-request budget the shim asks for (default 30s)
	Logger           *slog.Logger  // bridge events: refused configuration, handler panics (default: discard)
}

// Bridge connects Go to the JS shim: it starts one goroutine per Worker
// request, routes queued operations (fetch, KV, Cache API) to the request
// that owns them and delivers their results.
type Bridge struct {
	host js.Value
	opts Options
	log  *slog.Logger

	rt *Runtime // what the shim reported at init; nil if it did not

	mu      sync.Mutex
	handler http.Handler
	nextOp  int64
	ops     map[int64]pendingOp
	cancels map[int64]context.CancelFunc
	funcs   []js.Func
}

type pendingOp struct {
	req   int64           // the Worker request whose pump runs it
	ch    chan opResult   // buffered (1): exactly one result is ever sent
	ctx   context.Context // the waiter's context
	op    js.Value        // the operation, kept to queue it again elsewhere
	moves int             // times it was moved to another request
}

// maxMoves bounds how often one operation follows its owners out.
const maxMoves = 3

type opResult struct {
	ok        bool
	err       string
	status    int
	headers   [][2]string
	body      []byte
	found     bool
	truncated bool
}

// Serve registers the bridge with the shim and blocks forever. It must be
// called from main.
func Serve(opts Options) {
	host := js.Global().Get("__entragateHost")
	if host.Type() != js.TypeObject {
		panic("edge: not started by the entragate shim")
	}
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{host: host, opts: opts, log: log, ops: map[int64]pendingOp{}, cancels: map[int64]context.CancelFunc{}}
	api := js.Global().Get("Object").New()
	b.export(api, "init", b.jsInit)
	b.export(api, "start", b.jsStart)
	b.export(api, "complete", b.jsComplete)
	b.export(api, "cancel", b.jsCancel)
	b.export(api, "release", b.jsRelease)
	b.export(api, "stats", b.jsStats)
	host.Call("register", api)
	select {}
}

func (b *Bridge) export(obj js.Value, name string, fn func(args []js.Value) any) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) })
	b.funcs = append(b.funcs, f)
	obj.Set(name, f)
}

// Runtime returns what the shim reported of the Worker's non-text
// bindings (KV namespaces, Cache API), or nil. Valid in Setup.
func (b *Bridge) Runtime() *Runtime { return b.rt }

// jsInit(env, runtime) -> "" or an error message (without secret values).
// runtime is {kv: [binding names of KV namespaces], cache: bool}. A panic
// in Setup is an error too, not a dead runtime.
func (b *Bridge) jsInit(args []js.Value) (ret any) {
	defer func() {
		if p := recover(); p != nil {
			b.log.LogAttrs(context.Background(), slog.LevelError, "configuration refused", slog.String("error", "setup panicked: "+fmt.Sprint(p)))
			ret = "setup failed"
		}
	}()
	env := map[string]string{}
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		keys := js.Global().Get("Object").Call("keys", args[0])
		for i := 0; i < keys.Length(); i++ {
			k := keys.Index(i).String()
			if v := args[0].Get(k); v.Type() == js.TypeString {
				env[k] = v.String()
			}
		}
	}
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		rt := &Runtime{Cache: args[1].Get("cache").Truthy()}
		if kv := args[1].Get("kv"); kv.Type() == js.TypeObject {
			for i := 0; i < kv.Length(); i++ {
				rt.KV = append(rt.KV, kv.Index(i).String())
			}
		}
		b.rt = rt
	}
	if b.opts.Setup == nil {
		return "no setup function"
	}
	h, err := b.opts.Setup(env, b)
	if err != nil {
		// The one report of a refused configuration (the shim answers 500
		// not_configured): a JSON line when Options.Logger is a JSON
		// handler; the error names bindings, never secret values.
		b.log.LogAttrs(context.Background(), slog.LevelError, "configuration refused", slog.String("error", err.Error()))
		return err.Error()
	}
	b.mu.Lock()
	b.handler = h
	b.mu.Unlock()
	return ""
}

// jsStart(id, method, url, headers, body, timeoutMs) starts the handler
// goroutine for one Worker request and returns at once.
func (b *Bridge) jsStart(args []js.Value) any {
	if len(args) < 6 {
		return false
	}
	id := int64(args[0].Int())
	method, rawURL := args[1].String(), args[2].String()
	hdr := http.Header{}
	if h := args[3]; h.Type() == js.TypeObject {
		for i := 0; i < h.Length(); i++ {
			p := h.Index(i)
			hdr.Add(p.Index(0).String(), p.Index(1).String())
		}
	}
	var body []byte
	if v := args[4]; v.Type() == js.TypeObject {
		body = make([]byte, v.Get("byteLength").Int())
		js.CopyBytesToGo(body, v)
	}
	timeout := time.Duration(args[5].Int()) * time.Millisecond
	if timeout <= 0 || timeout > b.opts.MaxTimeout {
		timeout = b.opts.MaxTimeout
	}
	ctx, cancel := context.WithTimeout(WithRequestID(context.Background(), id), timeout)
	b.mu.Lock()
	b.cancels[id] = cancel
	h := b.handler
	b.mu.Unlock()
	go b.serve(ctx, cancel, id, h, method, rawURL, hdr, body)
	return true
}

func (b *Bridge) serve(ctx context.Context, cancel context.CancelFunc, id int64, h http.Handler, method, rawURL string, hdr http.Header, body []byte) {
	defer cancel()
	rec := NewRecorder(b.opts.MaxResponseBytes)
	func() {
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("edge handler panic", "panic", fmt.Sprint(p))
				rec = NewRecorder(b.opts.MaxResponseBytes)
				writeProblem(rec, http.StatusInternalServerError, "internal_error", "The gateway failed while handling the request.")
			}
		}()
		req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
		if err != nil {
			writeProblem(rec, http.StatusBadRequest, "invalid_request", "Malformed request.")
			return
		}
		req.Header = hdr
		req.ContentLength = int64(len(body))
		req.Host = req.URL.Host
		req.RemoteAddr = hdr.Get("CF-Connecting-IP")
		if h == nil {
			writeProblem(rec, http.StatusServiceUnavailable, "not_configured", "The gateway is not configured.")
			return
		}
		h.ServeHTTP(rec, req)
	}()
	if rec.Overflowed() {
		rec = NewRecorder(b.opts.MaxResponseBytes)
		writeProblem(rec, http.StatusInternalServerError, "internal_error", "The answer was too large.")
	}
	status := rec.Status()
	if status == 0 {
		status = http.StatusOK
	}
	headers := js.Global().Get("Array").New()
	for k, vs := range rec.Header() {
		for _, v := range vs {
			headers.Call("push", js.ValueOf([]any{k, v}))
		}
	}
	b.host.Call("respond", id, status, headers, toJSBytes(rec.Body()))
}

func (b *Bridge) jsCancel(args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	id := int64(args[0].Int())
	b.mu.Lock()
	cancel := b.cancels[id]
	delete(b.cancels, id)
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// jsRelease(id): the Worker request is over (answered or abandoned). Its
// context is cancelled. Its operations still awaited by a context that is
// not cancelled (work detached from the request, such as a single-flight
// key refresh or OBO exchange that other requests wait on) are moved to
// another live request, whose pump runs them again; the rest fail at once,
// so no goroutine waits on a pump that no longer runs.
func (b *Bridge) jsRelease(args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	id := int64(args[0].Int())
	b.mu.Lock()
	cancel := b.cancels[id]
	delete(b.cancels, id)
	var orphans []int64
	for opID, op := range b.ops {
		if op.req == id {
			orphans = append(orphans, opID)
		}
	}
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	for _, opID := range orphans {
		b.rehome(opID, id)
	}
	return nil
}

// rehome queues operation opID on a live request other than from, or
// fails it.
func (b *Bridge) rehome(opID, from int64) {
	b.mu.Lock()
	op, ok := b.ops[opID]
	if !ok {
		b.mu.Unlock()
		return
	}
	var targets []int64
	if op.ctx.Err() == nil && op.moves < maxMoves {
		for rid := range b.cancels {
			if rid != from {
				targets = append(targets, rid)
			}
		}
	}
	b.mu.Unlock()
	for _, rid := range targets {
		if b.host.Call("enqueue", rid, opID, op.op).Truthy() {
			b.mu.Lock()
			if cur, ok := b.ops[opID]; ok {
				cur.req, cur.moves = rid, cur.moves+1
				b.ops[opID] = cur
			}
			b.mu.Unlock()
			b.log.Debug("edge operation moved to another request", "from", from, "to", rid)
			return
		}
	}
	b.mu.Lock()
	_, still := b.ops[opID] // not completed or given up meanwhile
	delete(b.ops, opID)
	b.mu.Unlock()
	if still {
		op.ch <- opResult{err: "the worker request that owned this operation has ended"}
	}
}

// jsComplete(opId, result) delivers an operation's result.
func (b *Bridge) jsComplete(args []js.Value) any {
	if len(args) < 2 {
		return nil
	}
	opID := int64(args[0].Int())
	b.mu.Lock()
	op, ok := b.ops[opID]
	delete(b.ops, opID)
	b.mu.Unlock()
	if !ok {
		return nil // the waiter gave up
	}
	op.ch <- decodeResult(args[1])
	return nil
}

func (b *Bridge) jsStats(args []js.Value) any {
	st := b.Stats()
	return map[string]any{"goroutines": st.Goroutines, "requests": st.Requests, "ops": st.Ops}
}

// Stats describes the bridge's load (for tests and debugging).
type Stats struct {
	Goroutines int // runtime.NumGoroutine
	Requests   int // Worker requests not yet released
	Ops        int // queued or running operations
}

// Stats returns a snapshot.
func (b *Bridge) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Goroutines: runtime.NumGoroutine(), Requests: len(b.cancels), Ops: len(b.ops)}
}

func decodeResult(v js.Value) opResult {
	r := opResult{ok: v.Get("ok").Truthy()}
	if e := v.Get("error"); e.Type() == js.TypeString {
		r.err = e.String()
	}
	if s := v.Get("status"); s.Type() == js.TypeNumber {
		r.status = s.Int()
	}
	r.found = v.Get("found").Truthy()
	r.truncated = v.Get("truncated").Truthy()
	if h := v.Get("headers"); h.Type() == js.TypeObject {
		for i := 0; i < h.Length(); i++ {
			p := h.Index(i)
			r.headers = append(r.headers, [2]string{p.Index(0).String(), p.Index(1).String()})
		}
	}
	if body := v.Get("body"); body.Type() == js.TypeObject {
		r.body = make([]byte, body.Get("byteLength").Int())
		js.CopyBytesToGo(r.body, body)
	}
	return r
}

// do queues op on the request that owns ctx and waits for its result.
func (b *Bridge) do(ctx context.Context, op map[string]any) (opResult, error) {
	id, ok := RequestID(ctx)
	if !ok {
		return opResult{}, ErrNoRequest
	}
	if err := ctx.Err(); err != nil {
		return opResult{}, err
	}
	ch := make(chan opResult, 1)
	jsOp := js.ValueOf(op)
	b.mu.Lock()
	b.nextOp++
	opID := b.nextOp
	b.ops[opID] = pendingOp{req: id, ch: ch, ctx: ctx, op: jsOp}
	b.mu.Unlock()
	if !b.host.Call("enqueue", id, opID, jsOp).Truthy() {
		b.rehome(opID, id) // the owner has ended already: detached work runs elsewhere, or fails
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		b.forget(opID)
		return opResult{}, ctx.Err()
	}
}

func (b *Bridge) forget(opID int64) {
	b.mu.Lock()
	delete(b.ops, opID)
	b.mu.Unlock()
}

func toJSBytes(p []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(p))
	if len(p) > 0 {
		js.CopyBytesToJS(a, p)
	}
	return a
}

// readAllCapped reads at most max bytes of r.
func readAllCapped(r io.Reader, max int64) ([]byte, error) {
	p, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(p)) > max {
		return nil, ErrBodyTooLarge
	}
	return p, nil
}
