package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/web"
)

// upstream is a loopback OpenAI-compatible chat completions endpoint
// that streams a fixed number of tokens per answer at a fixed rate, the
// first one at once, so any delay before a reader's first token is the
// relaying server's.
type upstream struct {
	tokens int
	every  time.Duration
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(u.every)
	defer tick.Stop()
	for i := range u.tokens {
		if i > 0 {
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
		chunk := fmt.Sprintf(`{"id":"bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":{"content":"tok%d "},"finish_reason":null}]}`, i)
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		fl.Flush()
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// relayAnswerer is the bench's minimal model-mode answerer: it retrieves
// with the engine and relays the model's stream delta by delta. It
// stands in for the full model answerer (issue 3) so the relay path —
// retrieval, one upstream stream per answer, one websocket frame per
// token — can be measured.
type relayAnswerer struct {
	eng    *rag.Engine
	client *openai.Client
}

var _ rag.Answerer = (*relayAnswerer)(nil)

func newOpenAIClient(baseURL string) *openai.Client {
	c := openai.DefaultConfig("bench")
	c.BaseURL = strings.TrimSuffix(baseURL, "/") + "/v1"
	c.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: 90 * time.Second}}
	return openai.NewClientWithConfig(c)
}

func (a *relayAnswerer) Ask(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
	p, r, err := a.eng.Retrieve(ctx, q.PaperID, q.Text)
	if err != nil {
		return nil, err
	}
	var ctxText strings.Builder
	for _, s := range r.Sources {
		fmt.Fprintf(&ctxText, "[%d] %s\n", s.N, s.Text)
	}
	stream, err := a.client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model: "bench", Stream: true,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "Answer from the paper " + p.Title + " citing [n].\n" + ctxText.String()},
			{Role: openai.ChatMessageRoleUser, Content: q.Text},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer stream.Close()
	var text strings.Builder
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("model stream: %w", err)
		}
		if len(resp.Choices) == 0 || resp.Choices[0].Delta.Content == "" {
			continue
		}
		d := resp.Choices[0].Delta.Content
		text.WriteString(d)
		if emit != nil {
			if err := emit(d); err != nil {
				return nil, err
			}
		}
	}
	lang := q.Lang
	if lang == "" {
		lang = paper.LangEN
	}
	return &rag.Answer{Answer: text.String(), Answerable: true, Mode: rag.ModeLLM, Lang: lang, Citations: []rag.Citation{}, Sources: r.Sources}, nil
}

// runRelayChild serves ChatPaper with the relay answerer over the data
// folder in cfg, for the model-mode bench.
func runRelayChild(ctx context.Context, cfg config.Config, upstreamURL string, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.close()
	return serveRelay(ctx, a.engine, upstreamURL, log, func(addr string) { fmt.Fprintf(stdout, "%shttp://%s\n", servingPrefix, addr) })
}

func serveRelay(ctx context.Context, eng *rag.Engine, upstreamURL string, log *slog.Logger, ready func(addr string)) error {
	ans := &relayAnswerer{eng: eng, client: newOpenAIClient(upstreamURL)}
	h := web.New(web.Deps{Papers: eng, Answerer: ans, Summarizer: eng, Log: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ready(ln.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// modelRun relays N concurrent model answers from the loopback upstream
// through ChatPaper's websocket, and measures the same N streams read
// straight from the upstream with the same client library as the floor.
func (b *bench) modelRun(ctx context.Context) error {
	up := &upstream{tokens: b.o.modelTokens, every: time.Duration(float64(time.Second) / b.o.modelRate)}
	uln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	usrv := &http.Server{Handler: up}
	go usrv.Serve(uln)
	defer usrv.Close()
	upURL := "http://" + uln.Addr().String()

	// Floor: the upstream read directly, N streams at once.
	b.logf("model: %d direct upstream streams (floor)", b.o.model)
	client := newOpenAIClient(upURL)
	floorFirst, floorDone := &latencies{}, &latencies{}
	var floorErrs int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range b.o.model {
		wg.Go(func() {
			t0 := time.Now()
			s, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "bench", Stream: true,
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "q"}}})
			if err != nil {
				mu.Lock()
				floorErrs++
				mu.Unlock()
				return
			}
			defer s.Close()
			first := true
			for {
				_, err := s.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					mu.Lock()
					floorErrs++
					mu.Unlock()
					return
				}
				if first {
					floorFirst.add(time.Since(t0))
					first = false
				}
			}
			floorDone.add(time.Since(t0))
		})
	}
	wg.Wait()

	// ChatPaper relaying.
	var srv *target
	dir, err := os.MkdirTemp("", "chatpaper-relay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if b.o.inProcess {
		cfg := b.cfg
		cfg.DataDir = dir
		cfg.LogLevel = "warn"
		a, err := openApp(ctx, cfg, newLogger(cfg, io.Discard), true)
		if err != nil {
			return err
		}
		defer a.close()
		rctx, cancel := context.WithCancel(ctx)
		addr := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- serveRelay(rctx, a.engine, upURL, newLogger(cfg, io.Discard), func(s string) { addr <- s })
		}()
		srv = &target{base: "http://" + <-addr, stop: func() error { cancel(); return <-done }}
	} else {
		srv, err = startChild(ctx, []string{"bench", "-serve-relay", upURL}, append(childEnv, "CHATPAPER_DATA="+dir), b.stderr)
		if err != nil {
			return err
		}
	}
	defer srv.stop()
	url := wsURL(srv.base, paper.DemoID)
	driveReaders(ctx, url, min(b.o.model, 4), 1) // warm: load the paper
	b.logf("model: %d concurrent answers relayed by ChatPaper", b.o.model)
	before, _ := statsOf(srv.pid)
	res := driveReaders(ctx, url, b.o.model, 1)
	after, _ := statsOf(srv.pid)
	tokens := res.Answers * b.o.modelTokens
	cpu := after.CPU - before.CPU
	perToken := 0.0
	if tokens > 0 {
		perToken = float64(cpu.Microseconds()) / float64(tokens)
	}
	added := res.First.pct(50) - floorFirst.pct(50)
	b.report["model"] = map[string]any{
		"concurrent": b.o.model, "tokens_per_answer": b.o.modelTokens, "tokens_per_s": b.o.modelRate,
		"answers": res.Answers, "errors": res.Errors, "first_error": res.FirstError, "floor_errors": floorErrs,
		"first_token_p50_ms": ms(res.First.pct(50)), "first_token_p99_ms": ms(res.First.pct(99)),
		"floor_first_token_p50_ms": ms(floorFirst.pct(50)), "floor_first_token_p99_ms": ms(floorFirst.pct(99)),
		"added_first_token_p50_ms": ms(added), "added_first_token_p99_ms": ms(res.First.pct(99) - floorFirst.pct(99)),
		"done_p50_ms": ms(res.Done.pct(50)), "floor_done_p50_ms": ms(floorDone.pct(50)),
		"server_cpu_s": cpu.Seconds(), "relayed_tokens": tokens, "cpu_us_per_token": perToken,
	}
	if b.floorFrameCPU > 0 {
		fl := float64(b.floorFrameCPU.Nanoseconds()) / 1000
		b.report["model"].(map[string]any)["floor_cpu_us_per_frame"] = fl
		b.report["model"].(map[string]any)["cpu_per_token_ratio_to_floor_frame"] = perToken / fl
	}
	b.printf("model: %d concurrent answers, %d tokens each at %.0f tokens/s from a loopback upstream", b.o.model, b.o.modelTokens, b.o.modelRate)
	b.printf("  first token via ChatPaper p50 %.2f ms p99 %.2f ms; straight from upstream p50 %.2f ms p99 %.2f ms; added p50 %.2f ms",
		ms(res.First.pct(50)), ms(res.First.pct(99)), ms(floorFirst.pct(50)), ms(floorFirst.pct(99)), ms(added))
	b.printf("  whole answer p50 %.0f ms (upstream alone %.0f ms); server CPU %.2f s for %d relayed tokens = %.1f µs per token; %d errors",
		ms(res.Done.pct(50)), ms(floorDone.pct(50)), cpu.Seconds(), tokens, perToken, res.Errors)
	if b.floorFrameCPU > 0 {
		fl := float64(b.floorFrameCPU.Nanoseconds()) / 1000
		b.printf("  the echo floor spent %.1f µs CPU per frame written: %.1fx", fl, perToken/fl)
	}
	if res.FirstError != "" {
		b.printf("  first error: %s", res.FirstError)
	}
	return nil
}
