package web

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"time"

	"log/slog"

	"github.com/labstack/echo/v4"
)

// Checker is one dependency /readyz checks: the store, the model
// endpoint. Check returns nil when the dependency can serve.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context) error

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context) error { return f(ctx) }

// readyTimeout bounds each check, so a hung model endpoint makes the
// server unready rather than hanging the probe.
const readyTimeout = 3 * time.Second

// publicError is an error whose message is safe to show to whoever
// probes /readyz: it names no address, key or path.
type publicError interface{ Public() string }

// handleReady runs every check concurrently. It answers 200 when all
// pass and 503 otherwise, naming each check's state; failure details go
// to the log, not the response, except for errors with a public message
// (a model the endpoint does not serve), which "errors" carries.
func handleReady(checks map[string]Checker, log *slog.Logger) echo.HandlerFunc {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		results := make(map[string]string, len(names))
		public := make(map[string]string)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				state, msg := "ok", ""
				if err := checks[n].Check(ctx); err != nil {
					state = "failed"
					log.Warn("readiness check failed", "check", n, "err", err)
					var pe publicError
					if errors.As(err, &pe) {
						msg = pe.Public()
					}
				}
				mu.Lock()
				results[n] = state
				if msg != "" {
					public[n] = msg
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		status, word := http.StatusOK, "ready"
		for _, s := range results {
			if s != "ok" {
				status, word = http.StatusServiceUnavailable, "unavailable"
			}
		}
		body := map[string]any{"status": word, "checks": results}
		if len(public) > 0 {
			body["errors"] = public
		}
		return writeJSON(c, status, body)
	}
}
