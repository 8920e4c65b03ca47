// Package llmtest is a loopback fake of an OpenAI-compatible endpoint for
// tests: /v1/chat/completions streamed as server-sent events with the
// quirks real endpoints have (keep-alive blank lines and ": ping"
// comments, a role-only first chunk or the role repeated in every delta,
// reasoning deltas as reasoning_content or reasoning, finish_reason
// "length" at max_tokens, a final usage chunk with no choices, an error
// event inside a 200 stream), byte-for-byte replays of real servers'
// streams (Capture), a limited number of generation slots, /v1/models,
// /v1/embeddings with a batch limit, and errors in OpenAI's JSON shape.
// Its default replies are computed from the prompt, so tests are
// deterministic; ChatFn scripts anything else.
package llmtest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a chat-completion request as the fake received it.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Stream   bool      `json:"stream"`
	// MaxTokens is max_tokens, or max_completion_tokens for the models
	// that take that instead; 0 when the request set neither.
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

// Limit returns the reply length the request asked for, 0 for none.
func (r ChatRequest) Limit() int { return max(r.MaxTokens, r.MaxCompletionTokens) }

// Text returns the content of every message with the given role, joined.
func (r ChatRequest) Text(role string) string {
	var parts []string
	for _, m := range r.Messages {
		if m.Role == role {
			parts = append(parts, m.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// Task names what the request asks for, recognised from the prompt
// wording (prompts/model/*.tmpl): "answer", "rewrite", "condense",
// "summary", "questions" or "" when unknown.
func (r ChatRequest) Task() string {
	sys := r.Text("system")
	switch {
	case strings.Contains(sys, "numbered context"):
		return "answer"
	case strings.Contains(sys, "search queries"):
		return "rewrite"
	case strings.Contains(sys, "standalone question"):
		return "condense"
	case strings.Contains(sys, "summary box"):
		return "summary"
	case strings.Contains(sys, "suggest the questions"):
		return "questions"
	}
	return ""
}

// Reply is how the fake answers one chat request.
type Reply struct {
	// Status, when not 0 or 200, answers with that status and an OpenAI
	// error body carrying ErrMessage.
	Status     int
	ErrMessage string
	// Reasoning is streamed first as deltas of the ReasoningField
	// ("reasoning_content" as DeepSeek and vLLM send it when empty;
	// "reasoning" as Ollama does), ReasoningDelay apart.
	Reasoning      string
	ReasoningField string
	ReasoningDelay time.Duration
	// Tokens are the content deltas, in order. When the request's
	// max_tokens is smaller, the reply stops there with finish_reason
	// "length", as servers do.
	Tokens []string
	// FinishReason ends a complete reply (default "stop").
	FinishReason string
	// NoRoleChunk leaves out the role-only first chunk OpenAI sends;
	// RoleEveryDelta repeats "role":"assistant" in every delta, as
	// Ollama does.
	NoRoleChunk, RoleEveryDelta bool
	// Raw, when set, is written as the whole response body instead of
	// everything above: a captured stream replayed event by event
	// (flushed at each blank line, EventDelay apart), see Capture.
	Raw        []byte
	EventDelay time.Duration
	// FirstDelay is waited before the first content token; TokenDelay
	// between tokens.
	FirstDelay, TokenDelay time.Duration
	// BreakAfter > 0 cuts the connection (no [DONE], no chunked
	// terminator) after that many tokens; EndAfter > 0 ends the body
	// cleanly but without a finish reason or [DONE].
	BreakAfter, EndAfter int
	// StreamError, when set, is sent as an in-stream error event
	// (data: {"error":{…}}) after ErrorAfter tokens, ending the stream,
	// as OpenAI does when a generation fails mid-way.
	StreamError string
	ErrorAfter  int
	// Hold keeps the stream open after the tokens until the client
	// goes away, as a model still thinking does.
	Hold bool
	// Until, when set, keeps the stream open after the tokens until it
	// is closed, then ends the reply as usual: a slow generation a test
	// lets finish. A client that goes away meanwhile ends it too.
	Until <-chan struct{}
}

// Server is the fake endpoint. Its BaseURL ends in /v1, like a real
// one's. Set the Fn fields before requests arrive.
type Server struct {
	*httptest.Server
	BaseURL string

	// ChatFn decides the reply to a chat request; nil or a nil result
	// uses DefaultReply.
	ChatFn func(r ChatRequest) *Reply
	// Rewrites maps a question (as it appears in a rewrite or condense
	// prompt) to the model's output for it, standing in for the model's
	// translation and condensation.
	Rewrites map[string]string
	// MaxBatch is the most inputs an embeddings request may carry
	// (DashScope's 10 by default); larger requests get a 400.
	MaxBatch int
	// EmbedStatus, when set, fails embeddings requests with it.
	EmbedStatus int
	// Models, when not nil, is what GET /v1/models lists; nil answers
	// 404, as servers without the route do.
	Models []string
	// Slots, when positive, is how many chat requests are served at a
	// time; the others wait in arrival order, as Ollama and llama.cpp
	// with one slot do. Set it before requests arrive.
	Slots int

	slotOnce sync.Once
	slots    chan struct{}

	mu        sync.Mutex
	chats     []ChatRequest
	batches   []int
	embedded  []string
	cancelled int
	// firstToken records when each stream's first content token was
	// written, for the relay benchmark.
	firstToken []time.Time
}

// NewServer starts a fake endpoint; Close it when done.
func NewServer() *Server {
	s := newServer()
	s.Start()
	s.BaseURL = s.URL + "/v1"
	return s
}

// NewServerAt starts a fake endpoint listening on addr (host:port), for
// tests of a client that was started while nothing listened there.
func NewServerAt(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := newServer()
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	s.BaseURL = s.URL + "/v1"
	return s, nil
}

func newServer() *Server {
	s := &Server{MaxBatch: 10, Rewrites: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("GET /v1/models", s.models)
	s.Server = httptest.NewUnstartedServer(mux)
	return s
}

// FreeAddr returns a loopback address nothing listens on right now: the
// address of an endpoint that is down.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

//go:embed captures/*.txt
var captures embed.FS

// Capture returns a stream captured from a real server (see
// captures/SOURCE.md): "ollama-sse-plain" or "ollama-sse-usage".
func Capture(name string) []byte {
	b, err := captures.ReadFile("captures/" + name + ".txt")
	if err != nil {
		panic(fmt.Sprintf("llmtest: no capture %q", name))
	}
	return b
}

// Decode reads a chat-completion stream the way the wire defines it and
// returns the concatenated content of choice 0, its reasoning (from
// either field), the last finish reason and whether [DONE] ended it.
// Tests use it to know what a replayed capture says.
func Decode(raw []byte) (content, reasoning, finish string, done bool, err error) {
	var c, rs strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		data, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			continue
		}
		var ch struct {
			Choices []struct {
				Index int `json:"index"`
				Delta struct {
					Content          string `json:"content"`
					Reasoning        string `json:"reasoning"`
					ReasoningContent string `json:"reasoning_content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			return "", "", "", false, fmt.Errorf("decode %q: %w", data, err)
		}
		for _, x := range ch.Choices {
			if x.Index != 0 {
				continue
			}
			c.WriteString(x.Delta.Content)
			rs.WriteString(x.Delta.Reasoning + x.Delta.ReasoningContent)
			if x.FinishReason != nil {
				finish = *x.FinishReason
			}
		}
	}
	return c.String(), rs.String(), finish, done, nil
}

// SetChatFn replaces ChatFn safely while requests may be arriving.
func (s *Server) SetChatFn(fn func(r ChatRequest) *Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ChatFn = fn
}

// SetRewrite sets Rewrites[question] safely.
func (s *Server) SetRewrite(question, out string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Rewrites[question] = out
}

// Chats returns the chat requests received so far.
func (s *Server) Chats() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.chats...)
}

// ChatsFor returns the received chat requests of one task.
func (s *Server) ChatsFor(task string) []ChatRequest {
	var out []ChatRequest
	for _, r := range s.Chats() {
		if r.Task() == task {
			out = append(out, r)
		}
	}
	return out
}

// Batches returns the sizes of the embeddings requests received.
func (s *Server) Batches() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batches...)
}

// Embedded returns every text the fake embedded, in arrival order.
func (s *Server) Embedded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.embedded...)
}

// Cancelled returns how many streams the client abandoned (its request
// context ended) before the fake had finished them.
func (s *Server) Cancelled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelled
}

// FirstTokens returns when each stream's first content token was
// flushed to the client.
func (s *Server) FirstTokens() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.firstToken...)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	typ := "server_error"
	if status == http.StatusTooManyRequests {
		typ = "rate_limit_exceeded"
	} else if status < 500 {
		typ = "invalid_request_error"
	}
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": nil,
	}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "could not parse the JSON body: "+err.Error())
		return
	}
	s.mu.Lock()
	s.chats = append(s.chats, req)
	s.mu.Unlock()
	if s.Slots > 0 {
		s.slotOnce.Do(func() { s.slots = make(chan struct{}, s.Slots) })
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-r.Context().Done():
			s.mu.Lock()
			s.cancelled++
			s.mu.Unlock()
			return
		}
	}
	s.mu.Lock()
	fn := s.ChatFn
	s.mu.Unlock()
	var rep *Reply
	if fn != nil {
		rep = fn(req)
	}
	if rep == nil {
		rep = s.DefaultReply(req)
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		writeError(w, rep.Status, rep.ErrMessage)
		return
	}
	if !req.Stream {
		writeError(w, http.StatusBadRequest, "the fake serves only stream:true")
		return
	}
	s.stream(w, r, req, rep)
}

// stream writes rep as OpenAI writes a streamed completion.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req ChatRequest, rep *Reply) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	ctx := r.Context()
	abandoned := func() {
		s.mu.Lock()
		s.cancelled++
		s.mu.Unlock()
	}
	wait := func(d time.Duration) bool {
		if d <= 0 {
			if ctx.Err() != nil {
				abandoned()
				return false
			}
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			abandoned()
			return false
		}
	}
	if rep.Raw != nil {
		s.replay(w, rep, wait)
		return
	}
	chunk := func(delta map[string]any, finish any) {
		if rep.RoleEveryDelta {
			delta["role"] = "assistant"
		}
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	if !rep.NoRoleChunk {
		chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	}
	// Keep-alives as proxies and some providers send them.
	fmt.Fprint(w, ": ping\n\n\n")
	fl.Flush()
	if rep.Reasoning != "" {
		field := rep.ReasoningField
		if field == "" {
			field = "reasoning_content"
		}
		for i, piece := range Split(rep.Reasoning) {
			if i > 0 && !wait(rep.ReasoningDelay) {
				return
			}
			chunk(map[string]any{field: piece, "content": ""}, nil)
		}
	}
	tokens, finish := rep.Tokens, rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	if n := req.Limit(); n > 0 && len(tokens) > n {
		tokens, finish = tokens[:n], "length"
	}
	for i, tok := range tokens {
		d := rep.TokenDelay
		if i == 0 {
			d = rep.FirstDelay
		}
		if !wait(d) {
			return
		}
		if rep.BreakAfter > 0 && i == rep.BreakAfter {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		if rep.EndAfter > 0 && i == rep.EndAfter {
			return
		}
		if rep.StreamError != "" && i == rep.ErrorAfter {
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": rep.StreamError, "type": "server_error", "param": nil, "code": nil}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
			return
		}
		chunk(map[string]any{"content": tok}, nil)
		if i == 0 {
			s.mu.Lock()
			s.firstToken = append(s.firstToken, time.Now())
			s.mu.Unlock()
		}
		if i%3 == 2 {
			fmt.Fprint(w, "\n")
			fl.Flush()
		}
	}
	if rep.Hold {
		// Bounded so a test that forgets to cancel still ends.
		wait(time.Minute)
		return
	}
	if rep.Until != nil {
		select {
		case <-rep.Until:
		case <-ctx.Done():
			abandoned()
			return
		}
	}
	chunk(map[string]any{}, finish)
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
		"choices": []any{}, "usage": map[string]int{"prompt_tokens": 100, "completion_tokens": len(tokens), "total_tokens": 100 + len(tokens)},
	})
	fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
	fl.Flush()
}

// replay writes rep.Raw event by event: each up to and including its
// blank line, flushed, EventDelay apart (FirstDelay before the first).
func (s *Server) replay(w http.ResponseWriter, rep *Reply, wait func(time.Duration) bool) {
	fl := w.(http.Flusher)
	rest := rep.Raw
	for i := 0; len(rest) > 0; i++ {
		d := rep.EventDelay
		if i == 0 {
			d = rep.FirstDelay
		}
		if !wait(d) {
			return
		}
		n := bytes.Index(rest, []byte("\n\n"))
		if n < 0 {
			n = len(rest)
		} else {
			n += 2
		}
		w.Write(rest[:n])
		fl.Flush()
		if i == 0 {
			s.mu.Lock()
			s.firstToken = append(s.firstToken, time.Now())
			s.mu.Unlock()
		}
		rest = rest[n:]
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	models := s.Models
	s.mu.Unlock()
	if models == nil {
		http.NotFound(w, r)
		return
	}
	data := make([]map[string]any, len(models))
	for i, m := range models {
		data[i] = map[string]any{"id": m, "object": "model", "created": 1700000000, "owned_by": "library"}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}

// SetModels replaces Models safely while requests may be arriving.
func (s *Server) SetModels(models []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Models = models
}

// Split cuts text into token-like pieces that concatenate to it: a word
// with its following space, or two Chinese characters.
func Split(text string) []string {
	var out []string
	start := 0
	han := 0
	for i, r := range text {
		end := i + utf8.RuneLen(r)
		switch {
		case r == ' ':
			out = append(out, text[start:end])
			start, han = end, 0
		case unicode.Is(unicode.Han, r) || unicode.IsPunct(r) && r > 0x2000:
			han++
			if han == 2 {
				out = append(out, text[start:end])
				start, han = end, 0
			}
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

var (
	contextLine  = regexp.MustCompile(`(?m)^\[(\d+)\] `)
	questionLine = regexp.MustCompile(`(?m)^Question: (.+)$`)
)

// DefaultReply is the fake model: deterministic replies computed from
// the prompt.
//
//   - answer: cites the first two reference numbers of the numbered
//     context and, as models do, one number that was not in it
//     (the largest context number plus 100); in Chinese when the
//     question is Chinese.
//   - rewrite and condense: Rewrites[question], or the question itself.
//   - summary: a paragraph naming the paper's title and two "- " key
//     points, in the language the prompt asks for.
func (s *Server) DefaultReply(req ChatRequest) *Reply {
	user := req.Text("user")
	q := ""
	if m := questionLine.FindStringSubmatch(user); m != nil {
		q = strings.TrimSpace(m[1])
	}
	switch req.Task() {
	case "answer":
		var nums []int
		maxN := 0
		for _, m := range contextLine.FindAllStringSubmatch(user, -1) {
			n, _ := strconv.Atoi(m[1])
			if len(nums) < 2 {
				nums = append(nums, n)
			}
			maxN = max(maxN, n)
		}
		bogus := maxN + 100
		zh := strings.ContainsFunc(q, func(r rune) bool { return unicode.Is(unicode.Han, r) })
		var text string
		switch {
		case len(nums) == 0 && zh:
			text = "本文摘要讨论了这一问题。"
		case len(nums) == 0:
			text = "The paper's abstract discusses this."
		case zh:
			text = fmt.Sprintf("根据本文，参考文献 %s 讨论了这一问题，另见［%d］。", cite(nums), bogus)
		default:
			text = fmt.Sprintf("According to the paper, references %s address this, see also [%d].", cite(nums), bogus)
		}
		return &Reply{Reasoning: "Let me look at the numbered context first.", Tokens: Split(text)}
	case "rewrite", "condense":
		s.mu.Lock()
		out, ok := s.Rewrites[q]
		s.mu.Unlock()
		if !ok {
			out = q
		}
		return &Reply{Tokens: Split(out)}
	case "summary":
		title := ""
		if m := regexp.MustCompile(`(?m)^Title: (.+)$`).FindStringSubmatch(user); m != nil {
			title = m[1]
		}
		text := fmt.Sprintf("This paper, %s, reviews the evidence.\n- First key point.\n- Second key point.", title)
		if strings.Contains(req.Text("system"), "Simplified Chinese") {
			text = fmt.Sprintf("本文《%s》综述了相关证据。\n- 第一个要点。\n- 第二个要点。", title)
		}
		return &Reply{Tokens: Split(text)}
	case "questions":
		text := "Here are questions:\n- What does this paper find?\n- How was the study done?\n- Which references does it build on?"
		if strings.Contains(req.Text("system"), "Simplified Chinese") {
			text = "- 本文有什么发现？\n- 研究是如何进行的？\n- 本文基于哪些参考文献？"
		}
		return &Reply{Tokens: Split(text)}
	}
	return &Reply{Tokens: Split("I cannot tell what you want.")}
}

func cite(nums []int) string {
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input any    `json:"input"`
		Model string `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "could not parse the JSON body: "+err.Error())
		return
	}
	var inputs []string
	switch in := req.Input.(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, x := range in {
			str, _ := x.(string)
			inputs = append(inputs, str)
		}
	}
	s.mu.Lock()
	s.batches = append(s.batches, len(inputs))
	s.embedded = append(s.embedded, inputs...)
	status, maxBatch := s.EmbedStatus, s.MaxBatch
	s.mu.Unlock()
	if status != 0 {
		writeError(w, status, "embedding backend unavailable")
		return
	}
	if maxBatch > 0 && len(inputs) > maxBatch {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("batch size is invalid, it should not be larger than %d", maxBatch))
		return
	}
	data := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		// Report out of order, as the API allows: clients must use index.
		j := len(inputs) - 1 - i
		data[j] = map[string]any{"object": "embedding", "index": i, "embedding": Vector(in)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
	})
}

// Dim is the dimension of the fake's embeddings.
const Dim = 64

// Vector is the fake embedding of text: hashed lower-cased words, so
// texts sharing words are close.
func Vector(text string) []float32 {
	v := make([]float32, Dim)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%Dim]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(n))
		}
	}
	return v
}
