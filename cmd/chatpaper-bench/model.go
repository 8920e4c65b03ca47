package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/chatpaper/chatpaper/paper"
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
	body, _ := io.ReadAll(r.Body)
	every := u.every
	if bytes.Contains(body, []byte("summary box")) {
		// The warmer's background summaries of the demo paper: answer at
		// once so they do not load the measured answers.
		every = time.Microsecond
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(every)
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

func newOpenAIClient(baseURL string) *openai.Client {
	c := openai.DefaultConfig("bench")
	c.BaseURL = strings.TrimSuffix(baseURL, "/") + "/v1"
	c.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: 90 * time.Second}}
	return openai.NewClientWithConfig(c)
}

// answerableQuestions are the bench questions the demo paper answers,
// so model mode asks the model rather than refusing.
var answerableQuestions = []int{0, 1, 2, 3, 4, 5}

// modelRun relays N concurrent model answers from the loopback upstream
// through ChatPaper's websocket, and measures the same N streams read
// straight from the upstream with the same client library as the floor:
// once with every question sent at once (a burst) and, with
// -model-ramp, once with the starts spread over that time.
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

	// ChatPaper in model mode (rag.Generator) against the upstream.
	dir, err := os.MkdirTemp("", "chatpaper-model-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The upstream serves every stream at once, as a cloud endpoint
	// does: the relay is measured, not the limit on model requests.
	srv, err := b.startServe(ctx, dir, "CHATPAPER_LLM_BASE_URL="+upURL+"/v1", "CHATPAPER_LLM_API_KEY=bench", "CHATPAPER_LLM_MODEL=bench",
		fmt.Sprintf("CHATPAPER_LLM_CONCURRENCY=%d", max(b.o.model, 1)))
	if err != nil {
		return err
	}
	defer srv.stop()
	url := wsURL(srv.base, paper.DemoID)
	driveReadersAsking(ctx, url, min(b.o.model, 4), 1, answerableQuestions, 0) // warm: load the paper

	ramps := []time.Duration{0}
	if b.o.modelRamp > 0 {
		ramps = append(ramps, b.o.modelRamp)
	}
	for _, ramp := range ramps {
		key := "model"
		if ramp > 0 {
			key = "model_ramped"
		}
		b.logf("%s: %d direct upstream streams (floor), starts spread over %v", key, b.o.model, ramp)
		floorFirst, floorDone, floorErrs := modelFloor(ctx, newOpenAIClient(upURL), b.o.model, ramp)
		b.logf("%s: %d concurrent answers by ChatPaper", key, b.o.model)
		before, _ := statsOf(srv.pid)
		res := driveReadersAsking(ctx, url, b.o.model, 1, answerableQuestions, ramp)
		after, _ := statsOf(srv.pid)
		tokens := res.Answers * b.o.modelTokens
		cpu := after.CPU - before.CPU
		perToken := 0.0
		if tokens > 0 {
			perToken = float64(cpu.Microseconds()) / float64(tokens)
		}
		added := res.First.pct(50) - floorFirst.pct(50)
		rep := map[string]any{
			"concurrent": b.o.model, "ramp_s": ramp.Seconds(), "tokens_per_answer": b.o.modelTokens, "tokens_per_s": b.o.modelRate,
			"answers": res.Answers, "model_answers": res.Modes["llm"], "errors": res.Errors, "first_error": res.FirstError, "floor_errors": floorErrs,
			"first_token_p50_ms": ms(res.First.pct(50)), "first_token_p99_ms": ms(res.First.pct(99)),
			"floor_first_token_p50_ms": ms(floorFirst.pct(50)), "floor_first_token_p99_ms": ms(floorFirst.pct(99)),
			"added_first_token_p50_ms": ms(added), "added_first_token_p99_ms": ms(res.First.pct(99) - floorFirst.pct(99)),
			"done_p50_ms": ms(res.Done.pct(50)), "floor_done_p50_ms": ms(floorDone.pct(50)),
			"server_cpu_s": cpu.Seconds(), "relayed_tokens": tokens, "cpu_us_per_token": perToken,
		}
		b.report[key] = rep
		b.printf("%s: %d concurrent answers (starts spread over %v), %d tokens each at %.0f tokens/s from a loopback upstream",
			key, b.o.model, ramp, b.o.modelTokens, b.o.modelRate)
		if n := res.Answers - res.Modes["llm"]; n > 0 {
			b.printf("  %d answers fell back to extractive", n)
		}
		b.printf("  first token via ChatPaper p50 %.2f ms p99 %.2f ms; straight from upstream p50 %.2f ms p99 %.2f ms; added p50 %.2f ms",
			ms(res.First.pct(50)), ms(res.First.pct(99)), ms(floorFirst.pct(50)), ms(floorFirst.pct(99)), ms(added))
		b.printf("  whole answer p50 %.0f ms (upstream alone %.0f ms); server CPU %.2f s for %d relayed tokens = %.1f µs per token; %d errors",
			ms(res.Done.pct(50)), ms(floorDone.pct(50)), cpu.Seconds(), tokens, perToken, res.Errors)
		if b.floorFrameCPU > 0 {
			fl := float64(b.floorFrameCPU.Nanoseconds()) / 1000
			rep["floor_cpu_us_per_frame"] = fl
			rep["cpu_per_token_ratio_to_floor_frame"] = perToken / fl
			b.printf("  the echo floor spent %.1f µs CPU per frame written: %.1fx", fl, perToken/fl)
		}
		if res.FirstError != "" {
			b.printf("  first error: %s", res.FirstError)
		}
	}
	return nil
}

// modelFloor reads n streams straight from the upstream, starting them
// spread over ramp, and times each one's first token and end.
func modelFloor(ctx context.Context, client *openai.Client, n int, ramp time.Duration) (first, done *latencies, errs int) {
	first, done = &latencies{}, &latencies{}
	var mu sync.Mutex
	fail := func() {
		mu.Lock()
		errs++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			time.Sleep(ramp * time.Duration(i) / time.Duration(n))
			t0 := time.Now()
			s, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "bench", Stream: true,
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "q"}}})
			if err != nil {
				fail()
				return
			}
			defer s.Close()
			got := false
			for {
				_, err := s.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					fail()
					return
				}
				if !got {
					first.add(time.Since(t0))
					got = true
				}
			}
			done.add(time.Since(t0))
		})
	}
	wg.Wait()
	return first, done, errs
}
