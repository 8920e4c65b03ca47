// Package crossreftest is a loopback fake of Crossref's REST API for
// tests: /works/{doi} answers with recorded responses (real ones and
// hand-written retraction and correction records, embedded from
// testdata), /works?query.bibliographic= ranks the same records by term
// overlap with the query and reports a relevance score, and faults can
// be scripted: down (connection dropped), slow, or a status such as 429
// with Retry-After.
package crossreftest

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/tokenize"
)

//go:embed testdata/*.json
var recorded embed.FS

// Records returns the embedded responses by normalised DOI.
func Records() map[string][]byte {
	out := map[string][]byte{}
	ents, _ := recorded.ReadDir("testdata")
	for _, e := range ents {
		b, err := recorded.ReadFile(path.Join("testdata", e.Name()))
		if err != nil {
			panic(err)
		}
		var env struct {
			Message struct {
				DOI string `json:"DOI"`
			} `json:"message"`
		}
		if json.Unmarshal(b, &env) != nil || paper.NormalizeDOI(env.Message.DOI) == "" {
			panic("crossreftest: bad record " + e.Name())
		}
		out[paper.NormalizeDOI(env.Message.DOI)] = b
	}
	return out
}

// Fault is how the server misbehaves for one request.
type Fault struct {
	// Status, when non-zero, is answered instead of the record.
	Status int
	// RetryAfter is sent with Status (e.g. "2" or an HTTP date).
	RetryAfter string
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	works    map[string][]byte
	index    map[string]doc
	script   []Fault // consumed one per request, before always
	always   *Fault
	requests []*http.Request
	perPath  map[string]int
	inFlight int
	maxIn    int
}

type doc struct {
	terms map[string]bool
	msg   json.RawMessage
}

// New starts a fake serving the embedded records; it is closed when the
// test ends.
func New(t testing.TB) *Server {
	s := &Server{works: map[string][]byte{}, index: map[string]doc{}, perPath: map[string]int{}}
	for d, b := range Records() {
		s.put(d, b)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) put(d string, body []byte) {
	var env struct {
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		panic(fmt.Sprintf("crossreftest: record %s: %v", d, err))
	}
	var m struct {
		Title          []string `json:"title"`
		ContainerTitle []string `json:"container-title"`
		Author         []struct {
			Family string `json:"family"`
		} `json:"author"`
		Issued struct {
			DateParts [][]int `json:"date-parts"`
		} `json:"issued"`
	}
	_ = json.Unmarshal(env.Message, &m)
	text := strings.Join(m.Title, " ") + " " + strings.Join(m.ContainerTitle, " ")
	for _, a := range m.Author {
		text += " " + a.Family
	}
	if len(m.Issued.DateParts) > 0 && len(m.Issued.DateParts[0]) > 0 {
		text += " " + strconv.Itoa(m.Issued.DateParts[0][0])
	}
	terms := map[string]bool{}
	for _, t := range tokenize.Terms(text) {
		terms[t] = true
	}
	s.works[d] = body
	s.index[d] = doc{terms: terms, msg: env.Message}
}

// Script makes the next requests fail with the given faults, one each.
func (s *Server) Script(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, fs...)
}

// SetFault makes every request (after the scripted ones) fail with f,
// or, with nil, succeed again.
func (s *Server) SetFault(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = f
}

// Down is the fault of a server that drops every connection.
var Down = &Fault{Drop: true}

// Requests returns the requests served so far.
func (s *Server) Requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

// Count returns how many requests asked for the path, e.g.
// "/works/10.5555/chatpaper.demo.049" (DOI as sent, unescaped).
func (s *Server) Count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perPath[p]
}

// MaxInFlight returns the most requests the server was answering at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	s.perPath[r.URL.Path]++
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	var f *Fault
	if len(s.script) > 0 {
		f, s.script = &s.script[0], s.script[1:]
	} else {
		f = s.always
	}
	s.mu.Unlock()
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if f.Status != 0 {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			http.Error(w, http.StatusText(f.Status), f.Status)
			return
		}
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/works":
		s.search(w, r.URL.Query())
	case strings.HasPrefix(r.URL.Path, "/works/"):
		d := paper.NormalizeDOI(strings.TrimPrefix(r.URL.Path, "/works/"))
		s.mu.Lock()
		body, ok := s.works[d]
		s.mu.Unlock()
		if !ok {
			// Crossref answers an unknown DOI with a plain-text 404.
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "Resource not found.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body) //nolint:errcheck // the client may have gone
	default:
		http.NotFound(w, r)
	}
}

// search ranks the records by how many of the query's terms their title,
// container, authors and year hold, as a search engine would, and
// answers in Crossref's work-list form with a score per item.
func (s *Server) search(w http.ResponseWriter, q url.Values) {
	query := q.Get("query.bibliographic")
	if query == "" {
		http.Error(w, `{"status":"failed","message-type":"validation-failure"}`, http.StatusBadRequest)
		return
	}
	rows := 20
	if n, err := strconv.Atoi(q.Get("rows")); err == nil && n > 0 && n < rows {
		rows = n
	}
	qt := map[string]bool{}
	for _, t := range tokenize.Terms(query) {
		qt[t] = true
	}
	type hit struct {
		doi   string
		score float64
		msg   json.RawMessage
	}
	var hits []hit
	s.mu.Lock()
	for d, doc := range s.index {
		n := 0
		for t := range qt {
			if doc.terms[t] {
				n++
			}
		}
		if n > 0 {
			hits = append(hits, hit{d, 4 * float64(n), doc.msg})
		}
	}
	s.mu.Unlock()
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].doi < hits[j].doi
	})
	if len(hits) > rows {
		hits = hits[:rows]
	}
	items := make([]json.RawMessage, 0, len(hits))
	for _, h := range hits {
		var m map[string]any
		_ = json.Unmarshal(h.msg, &m)
		m["score"] = h.score
		b, _ := json.Marshal(m)
		items = append(items, b)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the client may have gone
		"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
		"message": map[string]any{"total-results": len(items), "items": items, "items-per-page": rows,
			"query": map[string]any{"start-index": 0, "search-terms": nil}},
	})
}
