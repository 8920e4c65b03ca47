package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
)

// benchOptions are the bench command's flags.
type benchOptions struct {
	readers, questions int
	idle               int
	ingest             int
	catalogue          int
	catalogueDir       string
	reuse              bool
	asks               int
	cachePapers        int
	rounds             int
	concurrency        int
	search             bool
	model              int
	modelTokens        int
	modelRate          float64
	modelRamp          time.Duration
	url                string
	asJSON             bool
	// chatpaper is the built chatpaper binary the bench starts servers
	// of.
	chatpaper string
	embedDim  int
}

// runBench runs the load tests on loopback, each measured against a
// floor in the same run. Servers run as child processes (a built
// "chatpaper serve", and this binary's echo-floor command) so their
// memory and CPU are measured apart from the clients.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chatpaper-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	fs.IntVar(&o.readers, "readers", 200, "concurrent websocket readers (0: skip)")
	fs.IntVar(&o.questions, "questions", 10, "questions each reader asks, one after another")
	fs.IntVar(&o.idle, "idle", 0, "idle websocket connections to hold, for memory per connection (0: skip)")
	fs.IntVar(&o.ingest, "ingest", 0, "synthetic papers to ingest over REST, for ingest throughput (0: skip)")
	fs.IntVar(&o.catalogue, "catalogue", 0, "synthetic papers to generate into -catalogue-dir, then start on and ask across (0: skip)")
	fs.StringVar(&o.catalogueDir, "catalogue-dir", "", "data folder for -catalogue (default: a temporary folder, removed)")
	fs.BoolVar(&o.reuse, "reuse", false, "with -catalogue-dir, use the catalogue already there instead of generating")
	fs.IntVar(&o.asks, "asks", 1000, "with -catalogue, questions asked, each on a random paper")
	fs.IntVar(&o.cachePapers, "cache-papers", 0, "with -catalogue, also ask beyond a cache of this many papers (CHATPAPER_CACHE_PAPERS), uniform and Zipf readers against the hot-cache run (0: skip)")
	fs.IntVar(&o.rounds, "rounds", 1, "with -cache-papers, run the hot, uniform and Zipf asks this many times, one after another, and report each round's ratios and their medians")
	fs.IntVar(&o.concurrency, "concurrency", 8, "with -cache-papers, asks in flight at a time")
	fs.BoolVar(&o.search, "search", false, "with -cache-papers, also time the first catalogue search during cold asks against the same asks without it")
	fs.IntVar(&o.model, "model", 0, "concurrent model-mode answers relayed from a loopback upstream (0: skip)")
	fs.IntVar(&o.modelTokens, "model-tokens", 100, "tokens per upstream answer")
	fs.Float64Var(&o.modelRate, "model-rate", 50, "upstream tokens per second per answer")
	fs.DurationVar(&o.modelRamp, "model-ramp", 0, "also measure model mode with the answers' starts spread over this time (0: burst only)")
	fs.StringVar(&o.url, "url", "", "drive this running server instead of starting one (readers only)")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	fs.StringVar(&o.chatpaper, "chatpaper", "", "the built chatpaper binary to start servers of (default: chatpaper next to this binary, else on PATH)")
	fs.IntVar(&o.embedDim, "embed-dim", 1024, "the local embedder's dimension for -catalogue (the server's CHATPAPER_EMBED_DIM)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.chatpaper == "" {
		p, err := findChatpaper()
		if err != nil {
			return err
		}
		o.chatpaper = p
	}
	nofile := raiseNoFile()
	// The bench's own log lines and its children's stderr share one
	// writer: lock it, since exec copies a child's stderr on a goroutine
	// of its own whenever the writer is not a file.
	b := &bench{o: o, stderr: &syncWriter{w: stderr}, report: map[string]any{}}
	b.report["machine"] = map[string]any{"cpus": runtime.NumCPU(), "gomaxprocs": runtime.GOMAXPROCS(0), "nofile": nofile}
	steps := []struct {
		on   bool
		name string
		fn   func(context.Context) error
	}{
		{o.readers > 0, "readers", b.readers},
		{o.idle > 0, "idle", b.idleSockets},
		{o.ingest > 0, "ingest", b.ingestThroughput},
		{o.catalogue > 0, "catalogue", b.catalogueRun},
		{o.model > 0, "model", b.modelRun},
	}
	defer func() {
		if b.server != nil {
			b.server.stop()
		}
	}()
	for _, s := range steps {
		if !s.on {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("bench %s: %w", s.name, err)
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b.report)
	}
	for _, line := range b.lines {
		fmt.Fprintln(stdout, line)
	}
	return nil
}

type bench struct {
	o      benchOptions
	stderr io.Writer
	report map[string]any
	lines  []string

	server *target // the ChatPaper server, shared by readers, idle and ingest
	frames [][][]byte
	// floorFrameCPU is the echo floor's CPU per frame, when measured.
	floorFrameCPU time.Duration
}

func (b *bench) printf(format string, a ...any) { b.lines = append(b.lines, fmt.Sprintf(format, a...)) }

func (b *bench) logf(format string, a ...any) { fmt.Fprintf(b.stderr, "bench: "+format+"\n", a...) }

// childEnv quiets the servers' logs and turns off the per-IP limits:
// every simulated reader comes from the same loopback address, so the
// limits meant for strangers would throttle the load itself. The
// servers listen on loopback only and serve admin requests (the ingest
// step) without a key.
var childEnv = []string{"CHATPAPER_LOG_LEVEL=warn", "CHATPAPER_ASK_RATE=0", "CHATPAPER_MAX_SOCKETS_PER_IP=0", "CHATPAPER_MAX_CONNS_PER_IP=0", "CHATPAPER_MAX_CONNS=0", "CHATPAPER_KEYLESS_ADMIN=1", "CHATPAPER_WS_FRAMES_PER_SECOND=1000000"}

// startServe starts "chatpaper serve" on a free loopback port over
// dataDir, as a child process.
func (b *bench) startServe(ctx context.Context, dataDir string, extraEnv ...string) (*target, error) {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}
	// The server must embed with the dimension the catalogue was
	// generated with; otherwise it re-embeds every paper it loads.
	env := append(append(slices.Clone(childEnv), "CHATPAPER_EMBED_DIM="+strconv.Itoa(b.o.embedDim)), extraEnv...)
	return startChild(ctx, b.o.chatpaper, args, env, b.stderr)
}

// mainServer returns the ChatPaper server the readers, idle and ingest
// steps share, starting it over a temporary data folder with the demo
// paper.
func (b *bench) mainServer(ctx context.Context) (*target, error) {
	if b.server != nil {
		return b.server, nil
	}
	if b.o.url != "" {
		b.server = &target{base: b.o.url, stop: func() error { return nil }}
		return b.server, nil
	}
	dir, err := os.MkdirTemp("", "chatpaper-bench-")
	if err != nil {
		return nil, err
	}
	t, err := b.startServe(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := t.stop
	t.stop = func() error { err := stop(); os.RemoveAll(dir); return err }
	b.server = t
	return t, nil
}

// startEcho starts the echo floor replaying frames, as a child process
// of this binary (its echo-floor command).
func (b *bench) startEcho(ctx context.Context) (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	f, err := os.CreateTemp("", "chatpaper-echo-*.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := json.NewEncoder(f).Encode(b.frames); err != nil {
		return nil, err
	}
	t, err := startChild(ctx, exe, []string{"echo-floor", f.Name()}, childEnv, b.stderr)
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	stop := t.stop
	t.stop = func() error { err := stop(); os.Remove(f.Name()); return err }
	return t, nil
}

// runEchoFloor is the echo-floor command: a bare gorilla websocket
// server replaying the frames in file, the floor the readers and idle
// steps measure ChatPaper against.
func runEchoFloor(ctx context.Context, file string, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var frames [][][]byte
	if err := json.Unmarshal(data, &frames); err != nil {
		return fmt.Errorf("echo frames: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%shttp://%s\n", servingPrefix, ln.Addr())
	return serveEcho(ctx, ln, frames)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// readers drives N concurrent readers asking M questions each against
// the server, then the same against the echo floor.
func (b *bench) readers(ctx context.Context) error {
	srv, err := b.mainServer(ctx)
	if err != nil {
		return err
	}
	url := wsURL(srv.base, paper.DemoID)
	if b.frames, err = captureAnswers(ctx, url); err != nil {
		return err
	}
	b.logf("readers: warming up")
	driveReaders(ctx, url, min(b.o.readers, 8), 2)

	b.logf("readers: %d readers x %d questions on ChatPaper", b.o.readers, b.o.questions)
	before, _ := statsOf(srv.pid)
	real := driveReaders(ctx, url, b.o.readers, b.o.questions)
	after, _ := statsOf(srv.pid)

	echo, err := b.startEcho(ctx)
	if err != nil {
		return err
	}
	b.logf("readers: the same on the echo floor")
	driveReaders(ctx, wsURL(echo.base, paper.DemoID), min(b.o.readers, 8), 2)
	ebefore, _ := statsOf(echo.pid)
	floor := driveReaders(ctx, wsURL(echo.base, paper.DemoID), b.o.readers, b.o.questions)
	eafter, _ := statsOf(echo.pid)
	echo.stop()

	frameBytes, frameCount := 0, 0
	for _, fs := range b.frames {
		for _, f := range fs {
			frameBytes += len(f)
			frameCount++
		}
	}
	row := func(r readersResult, cpu time.Duration) map[string]any {
		return map[string]any{
			"answers": r.Answers, "errors": r.Errors, "first_error": r.FirstError,
			"elapsed_s": r.Elapsed.Seconds(), "answers_per_s": r.throughput(),
			"p50_ms": ms(r.Done.pct(50)), "p90_ms": ms(r.Done.pct(90)), "p99_ms": ms(r.Done.pct(99)),
			"first_frame_p50_ms": ms(r.First.pct(50)), "server_cpu_s": cpu.Seconds(),
		}
	}
	b.report["readers"] = map[string]any{
		"readers": b.o.readers, "questions": b.o.questions,
		"frames_per_answer": float64(frameCount) / float64(len(b.frames)), "bytes_per_answer": float64(frameBytes) / float64(len(b.frames)),
		"chatpaper": row(real, after.CPU-before.CPU), "echo_floor": row(floor, eafter.CPU-ebefore.CPU),
		"p50_ratio": ratio(real.Done.pct(50), floor.Done.pct(50)), "p99_ratio": ratio(real.Done.pct(99), floor.Done.pct(99)),
	}
	if n := float64(floor.Answers) * float64(frameCount) / float64(len(b.frames)); n > 0 && echo.pid != 0 {
		// The floor's CPU per frame written: the baseline for the model
		// step's CPU per relayed token, one frame each.
		b.floorFrameCPU = (eafter.CPU - ebefore.CPU) / time.Duration(n)
		b.report["readers"].(map[string]any)["echo_floor"].(map[string]any)["cpu_us_per_frame"] = float64(b.floorFrameCPU.Nanoseconds()) / 1000
	}
	b.printf("readers: %d concurrent x %d questions, %.1f frames / %.0f bytes per answer", b.o.readers, b.o.questions,
		float64(frameCount)/float64(len(b.frames)), float64(frameBytes)/float64(len(b.frames)))
	for _, x := range []struct {
		name string
		r    readersResult
	}{{"chatpaper ", real}, {"echo floor", floor}} {
		b.printf("  %s  %6d answers  %4d errors  %8.0f answers/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms",
			x.name, x.r.Answers, x.r.Errors, x.r.throughput(), ms(x.r.Done.pct(50)), ms(x.r.Done.pct(90)), ms(x.r.Done.pct(99)))
	}
	b.printf("  p50 ratio to floor %.2fx, p99 ratio %.2fx", ratio(real.Done.pct(50), floor.Done.pct(50)), ratio(real.Done.pct(99), floor.Done.pct(99)))
	if real.Answers > 0 && floor.Answers > 0 && echo.pid != 0 {
		// Server CPU per answer: ChatPaper answering against the bare
		// server writing the same bytes.
		cp := (after.CPU - before.CPU) / time.Duration(real.Answers)
		fl := (eafter.CPU - ebefore.CPU) / time.Duration(floor.Answers)
		rr := b.report["readers"].(map[string]any)
		rr["cpu_us_per_answer"] = float64(cp.Nanoseconds()) / 1000
		rr["floor_cpu_us_per_answer"] = float64(fl.Nanoseconds()) / 1000
		rr["cpu_ratio"] = ratio(cp, fl)
		b.printf("  server CPU per answer %.0f µs, floor %.0f µs: %.2fx", float64(cp.Nanoseconds())/1000, float64(fl.Nanoseconds())/1000, ratio(cp, fl))
	}
	if real.FirstError != "" {
		b.printf("  first error: %s", real.FirstError)
	}
	return nil
}

// idleSockets holds K idle websockets on the server and on the echo
// floor and reports the resident memory each connection costs.
func (b *bench) idleSockets(ctx context.Context) error {
	srv, err := b.mainServer(ctx)
	if err != nil {
		return err
	}
	if b.frames == nil {
		if b.frames, err = captureAnswers(ctx, wsURL(srv.base, paper.DemoID)); err != nil {
			return err
		}
	}
	echo, err := b.startEcho(ctx)
	if err != nil {
		return err
	}
	defer echo.stop()
	measure := func(t *target) map[string]any {
		runtime.GC()
		time.Sleep(500 * time.Millisecond)
		before, _ := statsOf(t.pid)
		t0 := time.Now()
		opened, firstErr, closeAll := holdIdle(ctx, wsURL(t.base, paper.DemoID), b.o.idle)
		dial := time.Since(t0)
		time.Sleep(2 * time.Second) // let the servers settle
		runtime.GC()
		after, _ := statsOf(t.pid)
		closeAll()
		per := func(a, b int64) float64 {
			if opened == 0 {
				return 0
			}
			return float64(a-b) / float64(opened)
		}
		m := map[string]any{
			"requested": b.o.idle, "opened": opened, "connect_s": dial.Seconds(),
			"rss_before_mb": float64(before.RSS) / (1 << 20), "rss_after_mb": float64(after.RSS) / (1 << 20),
			"rss_per_conn_kb": per(after.RSS, before.RSS) / 1024,
		}
		if firstErr != nil {
			m["first_error"] = firstErr.Error()
		}
		return m
	}
	b.logf("idle: holding %d connections on ChatPaper", b.o.idle)
	real := measure(srv)
	b.logf("idle: holding %d connections on the echo floor", b.o.idle)
	floor := measure(echo)
	b.report["idle"] = map[string]any{"chatpaper": real, "echo_floor": floor}
	b.printf("idle: %d websockets held (opened %v on ChatPaper, %v on the floor)", b.o.idle, real["opened"], floor["opened"])
	b.printf("  chatpaper   %.1f KiB RSS per connection (%.0f -> %.0f MiB)", real["rss_per_conn_kb"], real["rss_before_mb"], real["rss_after_mb"])
	b.printf("  echo floor  %.1f KiB RSS per connection (%.0f -> %.0f MiB)", floor["rss_per_conn_kb"], floor["rss_before_mb"], floor["rss_after_mb"])
	if e, ok := real["first_error"]; ok {
		b.printf("  first error: %v", e)
	}
	return nil
}

// ingestThroughput posts synthetic papers over REST, two at a time, and
// compares with embedding the same chunks alone in this process.
func (b *bench) ingestThroughput(ctx context.Context) error {
	srv, err := b.mainServer(ctx)
	if err != nil {
		return err
	}
	bodies := make([][]byte, b.o.ingest)
	chunks := 0
	var texts [][]string
	for i := range bodies {
		p := synthPaper(100000 + i)
		bodies[i], _ = json.Marshal(p)
		cs := library.Chunks(p)
		chunks += len(cs)
		t := make([]string, len(cs))
		for k, c := range cs {
			t[k] = c.Text
		}
		texts = append(texts, t)
	}
	const workers = 2
	var errs []error
	var mu sync.Mutex
	t0 := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				resp, err := http.Post(srv.base+"/api/v1/papers", "application/json", bytes.NewReader(bodies[i]))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(t0)
	// Resident memory once the ingested papers sit in the cache (the
	// server's default CHATPAPER_CACHE_MB, 512), after a moment to settle.
	time.Sleep(time.Second)
	afterIngest, _ := statsOf(srv.pid)

	emb := embed.NewLocal(b.o.embedDim)
	t1 := time.Now()
	next = make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				emb.Embed(ctx, texts[i])
			}
		})
	}
	for i := range texts {
		next <- i
	}
	close(next)
	wg.Wait()
	embedOnly := time.Since(t1)

	b.report["ingest"] = map[string]any{
		"papers": b.o.ingest, "chunks": chunks, "errors": len(errs), "elapsed_s": elapsed.Seconds(),
		"papers_per_s": float64(b.o.ingest) / elapsed.Seconds(), "chunks_per_s": float64(chunks) / elapsed.Seconds(),
		"embed_only_s": embedOnly.Seconds(), "ratio_to_embed_only": ratio(elapsed, embedOnly),
		"rss_after_mb": float64(afterIngest.RSS) / (1 << 20),
	}
	b.printf("ingest: %d papers (%d chunks) over REST, 2 at a time: %.1f papers/s, %.0f chunks/s, %d errors; %.2fx the time of embedding alone (%.2f s); server RSS after %.0f MiB",
		b.o.ingest, chunks, float64(b.o.ingest)/elapsed.Seconds(), float64(chunks)/elapsed.Seconds(), len(errs), ratio(elapsed, embedOnly), embedOnly.Seconds(),
		float64(afterIngest.RSS)/(1<<20))
	if len(errs) > 0 {
		return fmt.Errorf("ingest: %d errors, first: %w", len(errs), errs[0])
	}
	return nil
}

// catalogueRun generates a synthetic catalogue (or reuses one), starts a
// server on it and asks across random papers.
func (b *bench) catalogueRun(ctx context.Context) error {
	dir := b.o.catalogueDir
	if dir == "" {
		d, err := os.MkdirTemp("", "chatpaper-catalogue-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	rep := map[string]any{"papers": b.o.catalogue}
	if !b.o.reuse {
		os.RemoveAll(filepath.Join(dir, "chatpaper.db"))
		os.RemoveAll(filepath.Join(dir, "chatpaper.db-wal"))
		os.RemoveAll(filepath.Join(dir, "chatpaper.db-shm"))
		b.logf("catalogue: generating %d papers into %s", b.o.catalogue, dir)
		last := time.Now()
		gen, err := generateCatalogue(ctx, dir, b.o.catalogue, b.o.embedDim, func(done int) {
			if time.Since(last) > 10*time.Second {
				b.logf("catalogue: %d papers stored", done)
				last = time.Now()
			}
		})
		if err != nil {
			return err
		}
		t0 := time.Now()
		if err := writeImages(ctx, dir, b.o.catalogue, b.o.embedDim, runtime.GOMAXPROCS(0)); err != nil {
			return fmt.Errorf("catalogue: load images: %w", err)
		}
		images := time.Since(t0)
		rep["generate"] = map[string]any{
			"papers": gen.Papers, "chunks": gen.Chunks, "elapsed_s": gen.Elapsed.Seconds(),
			"papers_per_s": float64(gen.Papers) / gen.Elapsed.Seconds(), "chunks_per_s": float64(gen.Chunks) / gen.Elapsed.Seconds(),
			"embed_cpu_s": gen.Embed.Seconds(), "images_s": images.Seconds(),
		}
		b.printf("catalogue %d: generated %d papers, %d chunks in %.1f s (%.0f chunks/s; embedding %.1f CPU-s), their load images in %.1f s",
			b.o.catalogue, gen.Papers, gen.Chunks, gen.Elapsed.Seconds(), float64(gen.Chunks)/gen.Elapsed.Seconds(), gen.Embed.Seconds(), images.Seconds())
	}
	if fi, err := os.Stat(filepath.Join(dir, "chatpaper.db")); err == nil {
		rep["db_mb"] = float64(fi.Size()) / (1 << 20)
	}

	// Start-up twice: the first run may pay for the OS page cache.
	var srv *target
	var startups []float64
	for range 2 {
		if srv != nil {
			srv.stop()
		}
		t, err := b.startServe(ctx, dir)
		if err != nil {
			return err
		}
		srv = t
		startups = append(startups, t.started.Seconds()*1000)
	}
	defer srv.stop()
	time.Sleep(500 * time.Millisecond)
	atStart, _ := statsOf(srv.pid)

	r := rand.New(rand.NewPCG(42, uint64(b.o.catalogue)))
	qs := questionsOn(r, b.o.asks, func() int { return r.IntN(b.o.catalogue) })
	b.logf("catalogue: asking %d questions across random papers", len(qs))
	coldRun := askCatalogue(ctx, srv.base, qs, 4)
	cold, wrong, errs := coldRun.lat, coldRun.wrong, coldRun.errs
	afterAsks, _ := statsOf(srv.pid)
	// Ask the last 100 again: those papers are still cached.
	warm := askCatalogue(ctx, srv.base, qs[max(0, len(qs)-100):], 4).lat
	afterWarm, _ := statsOf(srv.pid)

	rep["startup_ms"] = startups
	rep["rss_after_start_mb"] = float64(atStart.RSS) / (1 << 20)
	rep["rss_after_asks_mb"] = float64(afterAsks.RSS) / (1 << 20)
	rep["rss_after_warm_mb"] = float64(afterWarm.RSS) / (1 << 20)
	rep["asks"] = map[string]any{
		"n": len(qs), "errors": errs, "top_citation_not_the_asked_reference": wrong,
		"p50_ms": ms(cold.pct(50)), "p90_ms": ms(cold.pct(90)), "p99_ms": ms(cold.pct(99)),
		"warm_p50_ms": ms(warm.pct(50)), "warm_p99_ms": ms(warm.pct(99)),
	}
	key := fmt.Sprintf("catalogue_%d", b.o.catalogue)
	b.report[key] = rep
	b.printf("catalogue %d: start-up %.0f ms (then %.0f ms), RSS %.0f MiB after start, %.0f MiB after %d asks across random papers",
		b.o.catalogue, startups[0], startups[1], float64(atStart.RSS)/(1<<20), float64(afterAsks.RSS)/(1<<20), len(qs))
	b.printf("  ask latency (paper mostly not cached): p50 %.2f ms  p90 %.2f ms  p99 %.2f ms; cached paper: p50 %.2f ms  p99 %.2f ms; %d errors, %d top citations not the asked reference",
		ms(cold.pct(50)), ms(cold.pct(90)), ms(cold.pct(99)), ms(warm.pct(50)), ms(warm.pct(99)), errs, wrong)
	if errs > 0 {
		return fmt.Errorf("catalogue asks failed: %d errors, first: %s", errs, coldRun.firstFailure)
	}
	if b.o.cachePapers > 0 {
		srv.stop()
		return b.beyondCache(ctx, dir)
	}
	return nil
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
