package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/llm/llmtest"
)

// relayTokens is how many tokens each measured answer streams.
const relayTokens = 100

// BenchmarkModelRelay measures what the server adds between the model
// and the reader: the time from the upstream writing its first token to
// the reader receiving the first delta frame over the websocket, and the
// time per further token. The baseline, measured in the same iteration
// against the same loopback upstream, is a raw SSE client reading the
// upstream directly. Reported metrics are medians over b.N answers.
//
//	go test ./cmd/chatpaper -run XXX -bench ModelRelay -benchtime 200x -count 3
func BenchmarkModelRelay(b *testing.B) {
	fake := llmtest.NewServer()
	defer fake.Close()
	words := make([]string, relayTokens)
	for i := range words {
		words[i] = fmt.Sprintf("word%d ", i)
	}
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "answer" || r.Task() == "" {
			return &llmtest.Reply{Tokens: words}
		}
		return nil
	})
	s := startServer(b, b.TempDir(), modelEnv(fake))
	if resp := do(b, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		b.Fatalf("ingest status %d", resp.StatusCode)
	}
	var directFirst, directPer, relayFirst, relayPer []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, p := directSSE(b, fake)
		directFirst, directPer = append(directFirst, f), append(directPer, p)
		f, p = relayWS(b, s, fake)
		relayFirst, relayPer = append(relayFirst, f), append(relayPer, p)
	}
	b.StopTimer()
	df, dp, rf, rp := median(directFirst), median(directPer), median(relayFirst), median(relayPer)
	b.ReportMetric(df, "direct-first-µs")
	b.ReportMetric(rf, "relay-first-µs")
	b.ReportMetric(rf/df, "first-ratio")
	b.ReportMetric(dp, "direct-µs/token")
	b.ReportMetric(rp, "relay-µs/token")
	b.ReportMetric(rp/dp, "token-ratio")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func lastFirstToken(b *testing.B, fake *llmtest.Server) time.Time {
	ts := fake.FirstTokens()
	if len(ts) == 0 {
		b.Fatal("upstream recorded no first token")
	}
	return ts[len(ts)-1]
}

// directSSE reads one streamed completion straight from the upstream
// and returns the first-token latency and the time per further token, in
// microseconds.
func directSSE(b *testing.B, fake *llmtest.Server) (first, perToken float64) {
	body, _ := json.Marshal(map[string]any{"model": "m", "stream": true, "messages": []map[string]string{{"role": "user", "content": "x"}}})
	resp, err := http.Post(fake.BaseURL+"/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var t0, tn time.Time
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: {") || !strings.Contains(line, `"content":"word`) {
			continue
		}
		now := time.Now()
		if n == 0 {
			t0 = now
		}
		tn = now
		n++
	}
	if n != relayTokens {
		b.Fatalf("direct read %d tokens, want %d", n, relayTokens)
	}
	up := lastFirstToken(b, fake)
	return us(t0.Sub(up)), us(tn.Sub(t0)) / float64(n-1)
}

// relayWS asks through the server's websocket and measures the same.
func relayWS(b *testing.B, s *server, fake *llmtest.Server) (first, perToken float64) {
	conn, _, err := websocket.DefaultDialer.Dial(s.wsURL("test-paper"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	send(b, conn, `{"type":"ask","id":"r","question":"Which work used satellite gravimetry on Greenland?"}`)
	var t0, tn time.Time
	n := 0
	for {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		var f mframe
		if err := conn.ReadJSON(&f); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		if f.Type == "error" {
			b.Fatalf("error frame %+v", f)
		}
		if f.Type == "done" {
			break
		}
		if f.Type != "delta" {
			continue
		}
		if n == 0 {
			t0 = now
		}
		tn = now
		n++
	}
	if n != relayTokens {
		b.Fatalf("relay delivered %d deltas, want %d", n, relayTokens)
	}
	up := lastFirstToken(b, fake)
	return us(t0.Sub(up)), us(tn.Sub(t0)) / float64(n-1)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
