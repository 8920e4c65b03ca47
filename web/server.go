// Package web serves ChatPaper over HTTP: the REST API, the streaming
// websocket and the embedded chat page, on Echo v4.
package web

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/chatpaper/chatpaper/ingest"
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

// Deps are the server's dependencies.
type Deps struct {
	Papers     Papers
	Answerer   rag.Answerer
	Summarizer rag.Summarizer
	// Searcher serves GET /api/v1/search; nil leaves the route out.
	Searcher rag.PaperSearcher
	Log      *slog.Logger
	// WS tunes the websocket; zero values take defaults.
	WS WSOptions
	// Hashes, when set, lets batch ingest skip papers stored unchanged.
	Hashes ingest.Hasher
}

// MaxBodyBytes bounds request bodies; a paper with a long reference list
// is well under 1 MiB of JSON.
const MaxBodyBytes = "4M"

// New returns the HTTP handler serving every ChatPaper route.
func New(d Deps) *echo.Echo {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.JSONSerializer = jsonSerializer{}
	e.Use(middleware.RequestID())
	e.Use(requestLogger(d.Log))
	e.Use(middleware.Recover())
	// The batch route sets its own, larger limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBodyBytes, Skipper: isBatch}))
	routes(e, d)
	return e
}

// requestLogger logs one structured line per request with its id.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}
