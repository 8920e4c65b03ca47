package llm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// wireTrace is what wireWatcher reports about one streamed response.
// Its methods are called from the goroutine reading the body.
type wireTrace struct {
	// done is set once the body carried the [DONE] sentinel.
	done bool
	// reasoning, when set, is called for each event whose delta carries
	// reasoning text in any of the fields servers use for it.
	reasoning func()
}

type traceKey struct{}

// wireWatcher is a RoundTripper that reads along the bodies of requests
// whose context carries a *wireTrace. go-openai hides two things a
// client of real servers needs: whether a stream ended with [DONE] or
// was simply cut off, and reasoning sent as delta.reasoning (Ollama),
// which its delta type has no field for.
type wireWatcher struct{ next http.RoundTripper }

func (d wireWatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if t, ok := req.Context().Value(traceKey{}).(*wireTrace); ok {
		resp.Body = &wireScanner{ReadCloser: resp.Body, trace: t}
	}
	return resp, nil
}

// maxWireLine bounds the part of one line the scanner keeps; longer
// lines (no event of interest is that long) are skipped.
const maxWireLine = 256 << 10

// wireScanner splits what passes through into lines and inspects each
// "data:" line.
type wireScanner struct {
	io.ReadCloser
	trace *wireTrace
	line  []byte
	skip  bool // the current line grew past maxWireLine
}

func (s *wireScanner) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	buf := p[:n]
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			s.keep(buf)
			break
		}
		s.keep(buf[:i])
		if !s.skip {
			s.inspect(bytes.TrimRight(s.line, "\r"))
		}
		s.line, s.skip = s.line[:0], false
		buf = buf[i+1:]
	}
	return n, err
}

func (s *wireScanner) keep(b []byte) {
	if s.skip {
		return
	}
	if len(s.line)+len(b) > maxWireLine {
		s.skip = true
		return
	}
	s.line = append(s.line, b...)
}

var (
	dataPrefix = []byte("data:")
	sentinel   = []byte("[DONE]")
	reasonKey  = []byte(`"reasoning`)
)

func (s *wireScanner) inspect(line []byte) {
	data, ok := bytes.CutPrefix(line, dataPrefix)
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, sentinel) {
		s.trace.done = true
		return
	}
	if s.trace.reasoning == nil || !bytes.Contains(data, reasonKey) {
		return
	}
	var ev struct {
		Choices []struct {
			Delta struct {
				Reasoning        string `json:"reasoning"`
				ReasoningContent string `json:"reasoning_content"`
			} `json:"delta"`
		} `json:"choices"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return // go-openai reports what it cannot read
	}
	for _, c := range ev.Choices {
		if c.Delta.Reasoning != "" || c.Delta.ReasoningContent != "" {
			s.trace.reasoning()
			return
		}
	}
}
