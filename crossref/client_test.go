package crossref_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/crossref"
	"github.com/chatpaper/chatpaper/crossref/crossreftest"
	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
)

// sleeper records the waits a client asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func newClient(t *testing.T, srv *crossreftest.Server, o crossref.Options) (*crossref.Client, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	o.BaseURL = srv.URL
	if o.Sleep == nil {
		o.Sleep = sl.Sleep
	}
	c, err := crossref.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func TestWork(t *testing.T) {
	t.Parallel()
	srv := crossreftest.New(t)
	c, _ := newClient(t, srv, crossref.Options{Mailto: "ops@journal.example"})
	ctx := t.Context()
	tests := []struct {
		doi                           string
		title, container, abstractHas string
		year                          int
		firstAuthor                   string
		status, notice, date          string
	}{
		{doi: "10.1016/J.PEDIATRNEUROL.2015.06.002", title: "Delay in Diagnosis of Spinal Muscular Atrophy: A Systematic Literature Review",
			container: "Pediatric Neurology", year: 2015, firstAuthor: "Chia-Wei Lin"},
		{doi: "https://doi.org/10.5555/chatpaper.demo.049", title: "Radiation increases the cellular uptake of exosomes through CD29/CD81 complex formation",
			container: "Biochemical and Biophysical Research Communications", year: 2014, firstAuthor: "Masaharu Hazawa",
			abstractHas: "increases the cellular uptake of exosomes through CD29/CD81 complex formation."},
		{doi: "10.5555/chatpaper.demo.062", title: "Exosome-packaged miR-1246 contributes to bystander DNA damage by targeting LIG4",
			container: "British Journal of Cancer", year: 2018, firstAuthor: "Li-Juan Mo", abstractHas: "Background: Hand-written",
			status: paper.StatusRetracted, notice: "10.5555/chatpaper.notice.062r", date: "2021-03-15"},
		{doi: "10.5555/chatpaper.demo.044", title: "Tumour exosome integrins determine organotropic metastasis", container: "Nature",
			year: 2015, firstAuthor: "Ayuko Hoshino", abstractHas: "αvβ5 with liver metastasis.", status: paper.StatusCorrected, notice: "10.5555/chatpaper.notice.044c", date: "2016-01-20"},
		// The notice itself updates another work; it is not flagged.
		{doi: "10.5555/chatpaper.notice.062r", title: "Retraction Note: Exosome-packaged miR-1246 contributes to bystander DNA damage by targeting LIG4",
			container: "British Journal of Cancer", year: 2021},
	}
	for _, tt := range tests {
		w, err := c.Work(ctx, tt.doi)
		if err != nil {
			t.Fatalf("Work(%s): %v", tt.doi, err)
		}
		if w.DOI != paper.NormalizeDOI(tt.doi) || w.Title != tt.title || w.Container != tt.container || w.Year != tt.year {
			t.Errorf("Work(%s) = %+v", tt.doi, w)
		}
		if tt.firstAuthor != "" && (len(w.Authors) == 0 || w.Authors[0] != tt.firstAuthor) {
			t.Errorf("Work(%s) authors = %v, want first %q", tt.doi, w.Authors, tt.firstAuthor)
		}
		if tt.abstractHas == "" && w.Abstract != "" || !strings.Contains(w.Abstract, tt.abstractHas) || strings.Contains(w.Abstract, "<jats:") {
			t.Errorf("Work(%s) abstract = %q, want plain text containing %q", tt.doi, w.Abstract, tt.abstractHas)
		}
		if w.Status != tt.status || w.NoticeDOI != tt.notice || w.StatusDate != tt.date {
			t.Errorf("Work(%s) status = %q %q %q, want %q %q %q", tt.doi, w.Status, w.NoticeDOI, w.StatusDate, tt.status, tt.notice, tt.date)
		}
	}
	if _, err := c.Work(ctx, "10.5555/no.such.work"); !errors.Is(err, enrich.ErrUnknownWork) {
		t.Errorf("unknown DOI: %v, want ErrUnknownWork", err)
	}
	if _, err := c.Work(ctx, "not a doi"); !errors.Is(err, enrich.ErrUnknownWork) {
		t.Errorf("malformed DOI: %v, want ErrUnknownWork", err)
	}
	reqs := srv.Requests()
	if ua := reqs[0].Header.Get("User-Agent"); !strings.Contains(ua, "mailto:ops@journal.example") || !strings.HasPrefix(ua, "ChatPaper/") {
		t.Errorf("User-Agent = %q, want ChatPaper/… with mailto", ua)
	}
	if p := reqs[0].URL.Path; p != "/works/10.1016/j.pediatrneurol.2015.06.002" {
		t.Errorf("path = %q", p)
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	srv := crossreftest.New(t)
	c, _ := newClient(t, srv, crossref.Options{})
	ref := "Hazawa M, Tomiyama K, Saotome-Nakamura A, et al. Radiation increases the cellular uptake of exosomes through CD29/CD81 complex formation. Biochem Biophys Res Commun. 2014; 446: 1165-71."
	cs, err := c.Search(t.Context(), ref, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 || len(cs) > 3 || cs[0].DOI != "10.5555/chatpaper.demo.049" || cs[0].Score <= 0 || cs[0].Families[0] != "Hazawa" || cs[0].Year != 2014 {
		t.Fatalf("Search = %+v, want demo.049 first with a score", cs)
	}
	q := srv.Requests()[0].URL.Query()
	if q.Get("rows") != "3" || !strings.HasPrefix(q.Get("query.bibliographic"), "Hazawa M") {
		t.Errorf("query = %v", q)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	const doi = "10.5555/chatpaper.demo.049"
	t.Run("429 honours Retry-After", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.Script(crossreftest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"}, crossreftest.Fault{Status: 503})
		c, sl := newClient(t, srv, crossref.Options{Backoff: time.Second})
		if _, err := c.Work(t.Context(), doi); err != nil {
			t.Fatal(err)
		}
		if len(sl.waits) != 2 || sl.waits[0] != 7*time.Second || sl.waits[1] < time.Second || sl.waits[1] > 2*time.Second {
			t.Errorf("waits = %v, want 7s (Retry-After) then 1-2s (back-off)", sl.waits)
		}
		if n := srv.Count("/works/" + doi); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("gives up after Retries", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.SetFault(&crossreftest.Fault{Status: 502})
		c, sl := newClient(t, srv, crossref.Options{Retries: 2})
		_, err := c.Work(t.Context(), doi)
		if !errors.Is(err, enrich.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if n := srv.Count("/works/" + doi); n != 3 || len(sl.waits) != 2 {
			t.Errorf("%d requests and waits %v, want 3 requests and 2 waits", n, sl.waits)
		}
	})
	t.Run("a long Retry-After fails now, for a retry later", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.SetFault(&crossreftest.Fault{Status: 429, RetryAfter: "3600"})
		c, sl := newClient(t, srv, crossref.Options{MaxWait: time.Minute})
		if _, err := c.Work(t.Context(), doi); !errors.Is(err, enrich.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if len(sl.waits) != 0 {
			t.Errorf("waited %v", sl.waits)
		}
	})
	t.Run("down", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.SetFault(crossreftest.Down)
		c, _ := newClient(t, srv, crossref.Options{Retries: 1})
		if _, err := c.Search(t.Context(), "anything at all", 5); !errors.Is(err, enrich.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.SetFault(&crossreftest.Fault{Delay: 10 * time.Second})
		c, _ := newClient(t, srv, crossref.Options{Timeout: 50 * time.Millisecond, Retries: -1})
		start := time.Now()
		if _, err := c.Work(t.Context(), doi); !errors.Is(err, enrich.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %s, the timeout is 50ms", el)
		}
	})
	t.Run("a 4xx is not retried", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.Script(crossreftest.Fault{Status: 400})
		c, sl := newClient(t, srv, crossref.Options{})
		if _, err := c.Work(t.Context(), doi); err == nil || errors.Is(err, enrich.ErrUnknownWork) {
			t.Fatalf("err = %v, want a plain error", err)
		}
		if len(sl.waits) != 0 {
			t.Errorf("waited %v", sl.waits)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		srv := crossreftest.New(t)
		srv.SetFault(&crossreftest.Fault{Status: 503})
		ctx, cancel := context.WithCancel(t.Context())
		c, _ := newClient(t, srv, crossref.Options{Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }})
		if _, err := c.Work(ctx, doi); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestConcurrencyBounded(t *testing.T) {
	t.Parallel()
	srv := crossreftest.New(t)
	srv.SetFault(&crossreftest.Fault{Delay: 20 * time.Millisecond, Status: 0})
	c, _ := newClient(t, srv, crossref.Options{Concurrency: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Work(t.Context(), "10.5555/chatpaper.demo.010"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := srv.MaxInFlight(); m > 2 {
		t.Errorf("%d requests in flight at once, want at most 2", m)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "api.crossref.org", "ftp://x"} {
		if _, err := crossref.New(crossref.Options{BaseURL: u}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}
