package web

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/rag"
)

// countedAnswerer records every answer's latency by its Mode (or
// "error", or "disconnected" when the reader went away first) and
// transport, and the citations the model had dropped. It
// wraps the Answerer rather than living in the handlers, so any handler
// or transport added later is measured the same way.
type countedAnswerer struct {
	next      rag.Answerer
	m         *metrics.Metrics
	transport string
}

var _ rag.Answerer = countedAnswerer{}

func (a countedAnswerer) Ask(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
	start := time.Now()
	ans, err := a.next.Ask(ctx, q, emit)
	mode, dropped := "error", 0
	switch {
	case err == nil && ans != nil:
		mode, dropped = ans.Mode, len(ans.DroppedCitations)
	case err != nil && ctx.Err() != nil:
		mode = "disconnected"
	}
	a.m.ObserveAsk(mode, a.transport, time.Since(start), dropped)
	return ans, err
}

// observeHTTP records each request's latency by route template.
func observeHTTP(m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			status := c.Response().Status
			switch {
			case clientGone(c, err):
				status = StatusClientClosedRequest
			case err != nil:
				// The error handler has not written yet: use the status it
				// will write.
				status, _ = classify(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			m.ObserveHTTP(route, c.Request().Method, status, time.Since(start))
			return err
		}
	}
}
