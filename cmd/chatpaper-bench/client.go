package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// benchQuestions are asked in turn by every reader: the dev QA set's
// kinds of question about the demo paper, answerable and not.
var benchQuestions = []string{
	"Which databases describe RNA content of extracellular vesicles?",
	"Which studies discuss exosomal proteins in cancer diagnosis?",
	"Which references describe exosome biogenesis and secretion?",
	"What is ExoCarta?",
	"natural nanobullets against tumors released by NK cells",
	"How does irradiation change exosome production, uptake and contents?",
	"What is the boiling point of liquid nitrogen?",
	"Which studies report radiation-induced bystander effects?",
}

// askFrame is the client's ask frame. The id is fixed width, question
// index first, so the echo floor can find which canned answer to replay
// at a fixed offset without parsing JSON.
func askFrame(qi, seq int, question string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "ask", "id": frameID(qi, seq), "question": question, "lang": "en_US"})
	// json.Marshal sorts keys: {"id":"...","lang":...}; the id starts at
	// a fixed offset of 7 bytes.
	return b
}

const idOffset = len(`{"id":"`)

func frameID(qi, seq int) string { return fmt.Sprintf("%03d-%06d", qi%1000, seq%1000000) }

var frameIDLen = len(frameID(0, 0))

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// pct returns the p-th percentile (0 < p <= 100), nearest rank.
func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	i := int(float64(len(l.d))*p/100+0.5) - 1
	return l.d[min(max(i, 0), len(l.d)-1)]
}

// readersResult is one run of concurrent websocket readers.
type readersResult struct {
	Readers, Questions int
	Answers            int
	Errors             int
	FirstError         string
	Elapsed            time.Duration
	Done               *latencies     // ask sent → done frame
	First              *latencies     // ask sent → first frame
	Modes              map[string]int // done frames by answer mode
}

func (r readersResult) throughput() float64 { return float64(r.Answers) / r.Elapsed.Seconds() }

var benchDialer = &websocket.Dialer{
	HandshakeTimeout: 30 * time.Second,
	ReadBufferSize:   4096, WriteBufferSize: 4096,
	NetDialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
}

// wsURL turns an http base URL and paper id into the paper's websocket.
func wsURL(base, paperID string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/api/v1/papers/" + paperID + "/ws"
}

// driveReaders connects n readers to url, all at once, and has each ask
// m questions one after another, timing each until its done frame. The
// same code drives the real server and the echo floor.
func driveReaders(ctx context.Context, url string, n, m int) readersResult {
	all := make([]int, len(benchQuestions))
	for i := range all {
		all[i] = i
	}
	return driveReadersAsking(ctx, url, n, m, all, 0)
}

// driveReadersAsking is driveReaders asking only the bench questions
// with the given indexes, in turn, reader i starting i/n of ramp late.
func driveReadersAsking(ctx context.Context, url string, n, m int, qs []int, ramp time.Duration) readersResult {
	res := readersResult{Readers: n, Questions: m, Done: &latencies{}, First: &latencies{}, Modes: map[string]int{}}
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
		mu.Unlock()
	}
	// Connect everyone first so the timed phase is all asking.
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := benchDialer.DialContext(ctx, url, nil)
			if err != nil {
				fail(fmt.Errorf("dial: %w", err))
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	start := time.Now()
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Go(func() {
			defer c.Close()
			time.Sleep(ramp * time.Duration(i) / time.Duration(n))
			for j := range m {
				if ctx.Err() != nil {
					return
				}
				qi := qs[(i+j)%len(qs)]
				id := frameID(qi, i*m+j)
				t0 := time.Now()
				if err := c.WriteMessage(websocket.TextMessage, askFrame(qi, i*m+j, benchQuestions[qi])); err != nil {
					fail(fmt.Errorf("write: %w", err))
					return
				}
				first := true
				for {
					c.SetReadDeadline(time.Now().Add(60 * time.Second))
					var f struct {
						Type string `json:"type"`
						ID   string `json:"id"`
						Code string `json:"code"`
						Mode string `json:"mode"`
					}
					if err := c.ReadJSON(&f); err != nil {
						fail(fmt.Errorf("read: %w", err))
						return
					}
					if f.ID == "" && f.Type == "error" {
						// Refused before it was read as an ask (a limit):
						// no answer will come.
						fail(fmt.Errorf("error frame %q for the connection", f.Code))
						break
					}
					if f.ID != id {
						continue
					}
					if first {
						res.First.add(time.Since(t0))
						first = false
					}
					if f.Type == "error" {
						fail(fmt.Errorf("error frame %q", f.Code))
						break
					}
					if f.Type == "done" {
						res.Done.add(time.Since(t0))
						mu.Lock()
						res.Answers++
						res.Modes[f.Mode]++
						mu.Unlock()
						break
					}
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// captureAnswers asks each bench question once on the real server and
// returns the raw frames it sent, for the echo floor to replay.
func captureAnswers(ctx context.Context, url string) ([][][]byte, error) {
	c, _, err := benchDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("capture: dial: %w", err)
	}
	defer c.Close()
	out := make([][][]byte, len(benchQuestions))
	for qi, q := range benchQuestions {
		id := frameID(qi, 0)
		if err := c.WriteMessage(websocket.TextMessage, askFrame(qi, 0, q)); err != nil {
			return nil, err
		}
		for {
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				return nil, fmt.Errorf("capture: %w", err)
			}
			out[qi] = append(out[qi], data)
			if bytes.Contains(data, []byte(`"type":"done"`)) && bytes.Contains(data, []byte(id)) {
				break
			}
		}
	}
	return out, nil
}

// echoFloor is the bare gorilla websocket server of the floor: for each
// ask it writes back the frames the real server sent for that question,
// byte for byte but for the id, with no work in between.
type echoFloor struct {
	frames [][][]byte
	up     websocket.Upgrader
}

func (e *echoFloor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := e.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if len(msg) < idOffset+frameIDLen {
			continue
		}
		id := msg[idOffset : idOffset+frameIDLen]
		qi, _ := strconv.Atoi(string(id[:3]))
		if qi >= len(e.frames) {
			continue
		}
		canned := []byte(frameID(qi, 0))
		for _, f := range e.frames[qi] {
			if err := c.WriteMessage(websocket.TextMessage, bytes.ReplaceAll(f, canned, id)); err != nil {
				return
			}
		}
	}
}

// serveEcho serves the echo floor on ln until ctx ends. Frames come as
// JSON on the first line of stdin when run as a child.
func serveEcho(ctx context.Context, ln net.Listener, frames [][][]byte) error {
	srv := &http.Server{Handler: &echoFloor{frames: frames, up: websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}}}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// holdIdle opens n websocket connections to url and keeps each read so
// pings are answered; close releases them all.
func holdIdle(ctx context.Context, url string, n int) (opened int, firstErr error, closeAll func()) {
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := benchDialer.DialContext(ctx, url, nil)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	var readers sync.WaitGroup
	for _, c := range conns {
		if c == nil {
			continue
		}
		opened++
		readers.Go(func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		})
	}
	return opened, firstErr, func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		readers.Wait()
	}
}
