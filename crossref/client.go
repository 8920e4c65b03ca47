// Package crossref is the adapter over Crossref's REST API
// (api.crossref.org or a mirror of it): one work by DOI and a
// bibliographic search, with a polite User-Agent, bounded concurrency,
// per-request timeouts and retries with back-off on 429 and 5xx that
// honour Retry-After. It implements enrich.Registry. The parser of a
// Crossref record submitted as a paper is paper/crossref; this package
// only reads what enrichment needs.
package crossref

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
)

var _ enrich.Registry = (*Client)(nil)

// Options configure a Client. Zero fields take the defaults shown.
type Options struct {
	// BaseURL is the API root, e.g. https://api.crossref.org (required).
	BaseURL string
	// Mailto is the contact address put in the User-Agent, which puts
	// the requests in Crossref's "polite" pool.
	Mailto string
	// Timeout bounds one HTTP request (default 10s).
	Timeout time.Duration
	// Retries is how often a request answered 429 or 5xx, or failing in
	// transport, is retried (default 3; negative means none).
	Retries int
	// Backoff is the first retry's delay, doubled each time with jitter
	// (default 1s); a Retry-After header replaces it.
	Backoff time.Duration
	// MaxWait caps one wait, Retry-After included (default 30s): a longer
	// wait fails the request, to be retried later by the caller.
	MaxWait time.Duration
	// Concurrency bounds requests in flight (default 2).
	Concurrency int
	// MaxBody bounds a response body (default 4 MiB).
	MaxBody int64
	// HTTP is the client used (default a new http.Client).
	HTTP *http.Client
	// Now is the clock for Fetched times (default time.Now).
	Now func() time.Time
	// Sleep waits d or until ctx ends (default a timer); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to Crossref. It is safe for concurrent use.
type Client struct {
	o   Options
	ua  string
	sem chan struct{}
}

// Version goes into the User-Agent.
const Version = "1.0"

// New checks the options and returns a client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("crossref: base URL %q must be an http(s) URL such as https://api.crossref.org", o.BaseURL)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 3
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 30 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 4 << 20
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	ua := "ChatPaper/" + Version + " (https://github.com/chatpaper/chatpaper"
	if m := strings.TrimSpace(o.Mailto); m != "" {
		ua += "; mailto:" + m
	}
	ua += ")"
	return &Client{o: o, ua: ua, sem: make(chan struct{}, o.Concurrency)}, nil
}

// UserAgent is the User-Agent header the client sends.
func (c *Client) UserAgent() string { return c.ua }

// Work fetches the record of the work with the given DOI. An unknown DOI
// is an error matching enrich.ErrUnknownWork; an error matching
// enrich.ErrUnavailable means the registry could not answer now
// (down, slow, rate-limited) and the call can be retried later.
func (c *Client) Work(ctx context.Context, doi string) (*paper.CitedWork, error) {
	d := paper.NormalizeDOI(doi)
	if d == "" {
		return nil, fmt.Errorf("crossref: work %q: %w", doi, enrich.ErrUnknownWork)
	}
	// Escape each part of the DOI: suffixes may hold '?', '#' or '%';
	// the slashes stay, as Crossref's own links write them.
	parts := strings.Split(d, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	body, err := c.get(ctx, c.o.BaseURL+"/works/"+strings.Join(parts, "/"))
	if err != nil {
		return nil, fmt.Errorf("crossref: work %s: %w", d, err)
	}
	w, err := decodeWork(body, c.o.Now())
	if err != nil {
		return nil, fmt.Errorf("crossref: work %s: %w: %w", d, enrich.ErrUnavailable, err)
	}
	return w, nil
}

// Search runs a bibliographic query (the reference's text) and returns
// up to rows candidates, best first, with Crossref's relevance scores.
func (c *Client) Search(ctx context.Context, bibliographic string, rows int) ([]enrich.Candidate, error) {
	q := strings.Join(strings.Fields(bibliographic), " ")
	if q == "" {
		return nil, nil
	}
	if len(q) > 1000 {
		q = q[:1000]
	}
	rows = min(max(rows, 1), 20)
	v := url.Values{}
	v.Set("query.bibliographic", q)
	v.Set("rows", strconv.Itoa(rows))
	v.Set("select", "DOI,title,subtitle,author,issued,published-print,published-online,container-title,score")
	body, err := c.get(ctx, c.o.BaseURL+"/works?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("crossref: search: %w", err)
	}
	cs, err := decodeList(body)
	if err != nil {
		return nil, fmt.Errorf("crossref: search: %w: %w", enrich.ErrUnavailable, err)
	}
	return cs, nil
}

// statusError is a response the client did not accept.
type statusError struct {
	code       int
	retryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	return true // transport errors and timeouts
}

func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	var last error
	for attempt := 0; ; attempt++ {
		body, err := c.once(ctx, u)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusNotFound {
			return nil, enrich.ErrUnknownWork
		}
		if !retryable(err) {
			return nil, err
		}
		last = err
		if attempt >= c.o.Retries {
			break
		}
		wait := c.o.Backoff << attempt
		wait = wait/2 + rand.N(wait/2+1) // jitter so clients do not retry in step
		if errors.As(err, &se) && se.retryAfter > 0 {
			wait = se.retryAfter
		}
		if wait > c.o.MaxWait {
			return nil, fmt.Errorf("%w: %w (asked to wait %s)", enrich.ErrUnavailable, err, wait)
		}
		if err := c.o.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: %w after %d attempts", enrich.ErrUnavailable, last, c.o.Retries+1)
}

func (c *Client) once(ctx context.Context, u string) ([]byte, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // only to reuse the connection
		return nil, &statusError{code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.o.Now())}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.o.MaxBody {
		return nil, fmt.Errorf("response larger than %d bytes", c.o.MaxBody)
	}
	return body, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
