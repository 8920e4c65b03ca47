// Package web serves ChatPaper over HTTP: the REST API, the streaming
// websocket and the embedded chat page, on Echo v4.
package web

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// Papers is what the server needs to list, show, ingest and delete
// papers.
type Papers interface {
	Papers(ctx context.Context) ([]store.PaperInfo, error)
	Paper(ctx context.Context, id string) (*paper.Paper, error)
	Ingest(ctx context.Context, p *paper.Paper) error
	Delete(ctx context.Context, id string) error
}

// Summarizer writes the summary box of a paper in one language
// (package summary).
type Summarizer interface {
	Summary(ctx context.Context, paperID, lang string) (*paper.Summary, error)
}

// Suggester writes the suggested questions of a paper in one language
// (package summary).
type Suggester interface {
	Suggestions(ctx context.Context, paperID, lang string) (*paper.Suggestions, error)
}

// Searcher finds papers by what their title and abstract discuss
// (library.Library).
type Searcher interface {
	SearchPapers(ctx context.Context, r library.SearchRequest) (*library.SearchResult, error)
}

// Deps are the server's dependencies.
type Deps struct {
	Papers     Papers
	Answerer   rag.Answerer
	Summarizer Summarizer
	// Searcher serves GET /api/v1/search; nil leaves the route out.
	Searcher Searcher
	// Suggester serves a paper's suggested questions; nil leaves the
	// route out.
	Suggester Suggester
	// Questions records answered questions and readers' feedback for
	// the questions report; nil records nothing.
	Questions store.QuestionLog
	// Now is the clock of the questions log; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// WS tunes the websocket; zero values take defaults. Its
	// CheckOrigin, Sockets, AskLimit and Metrics are filled from the
	// fields below when nil.
	WS WSOptions
	// Hashes, when set, lets batch ingest skip papers stored unchanged.
	Hashes store.Store
	// Security is the access policy: keys, origins, rate limits.
	Security Security
	// Metrics records request, ask and socket metrics and serves
	// /metrics; nil records nothing and /metrics answers 404.
	Metrics *metrics.Metrics
	// Ready are the dependencies /readyz checks, by name ("store",
	// "model"); none means /readyz only says the server is up.
	Ready map[string]Checker
	// SSEHeartbeat is how often ask?stream=1 sends a comment while it
	// has nothing else to send (default 15s).
	SSEHeartbeat time.Duration
	// Conns are the connection limits; the handler applies the body
	// timeout and answers over-cap connections (see LimitListener).
	Conns ConnLimits
}

// MaxBodyBytes bounds request bodies; a paper with a long reference list
// is well under 1 MiB of JSON.
const MaxBodyBytes = "4M"

// New returns the HTTP handler serving every ChatPaper route.
func New(d Deps) *echo.Echo {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.SSEHeartbeat <= 0 {
		d.SSEHeartbeat = defaultSSEHeartbeat
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Log, d.Metrics)
	e.IPExtractor = ipExtractor(d.Security.TrustedProxies)
	origins := newOriginPolicy(d.Security.AllowedOrigins)
	if d.WS.CheckOrigin == nil {
		d.WS.CheckOrigin = origins.allow
	}
	if d.WS.Metrics == nil {
		d.WS.Metrics = d.Metrics
	}
	if d.WS.Sockets == nil {
		d.WS.Sockets = NewSockets(d.Security.MaxSocketsPerIP, d.Metrics)
	}
	asks := newIPLimiter(d.Security.AskRate, d.Security.Now)
	if d.WS.AskLimit == nil && asks != nil {
		d.WS.AskLimit = asks.allow
	}
	e.Use(connGuard(d.Conns))
	e.Use(middleware.RequestID())
	e.Use(requestLogger(d.Log))
	// Metrics outside Recover, so a panic is counted as the 500 it becomes.
	e.Use(observeHTTP(d.Metrics))
	e.Use(middleware.Recover())
	e.Use(securityHeaders())
	e.Use(cors(origins))
	// The batch route sets its own, larger limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBodyBytes, Skipper: isBatch}))
	if d.Now == nil {
		d.Now = time.Now
	}
	routes(e, d, origins, guards{
		admin:  requireAdmin(d.Security),
		reader: requireSiteKey(d.Security),
		ask:    limitAsks(asks, d.Metrics),
		page:   pageHeaders(),
	})
	return e
}

// guards are the per-route middlewares routes applies.
type guards struct {
	admin, reader, ask, page echo.MiddlewareFunc
}

// requestLogger logs one structured line per request with its id.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("uri", redactKey(c.Request().URL)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID),
				slog.String("ip", c.RealIP()))
			return nil
		},
	})
}

// redactKey returns the request URI with a ?key= value (a site key on a
// websocket URL) replaced, so keys do not collect in logs.
func redactKey(u *url.URL) string {
	q := u.Query()
	if !q.Has("key") {
		return u.RequestURI()
	}
	q.Set("key", "REDACTED")
	c := *u
	c.RawQuery = q.Encode()
	return c.RequestURI()
}
