package llm

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
)

// doneFlag records that a response body carried the [DONE] sentinel.
type doneFlag struct{ seen atomic.Bool }

func (f *doneFlag) done() bool { return f.seen.Load() }

type doneKey struct{}

// doneWatcher is a RoundTripper that scans the bodies of requests whose
// context carries a *doneFlag for "data: [DONE]". go-openai hides
// whether a stream ended with the sentinel or was simply cut off; the
// flag tells them apart.
type doneWatcher struct{ next http.RoundTripper }

func (d doneWatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if f, ok := req.Context().Value(doneKey{}).(*doneFlag); ok {
		resp.Body = &doneScanner{ReadCloser: resp.Body, flag: f}
	}
	return resp, nil
}

var sentinel = []byte("[DONE]")

// doneScanner looks for the sentinel across read boundaries by keeping
// the tail of the previous read.
type doneScanner struct {
	io.ReadCloser
	flag *doneFlag
	tail []byte
}

func (s *doneScanner) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	if n > 0 && !s.flag.done() {
		buf := append(s.tail, p[:n]...)
		if bytes.Contains(buf, sentinel) {
			s.flag.seen.Store(true)
		}
		keep := min(len(buf), len(sentinel)-1)
		s.tail = append(s.tail[:0], buf[len(buf)-keep:]...)
	}
	return n, err
}
