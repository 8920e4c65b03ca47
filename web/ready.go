package web

import (
	"context"
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

// handleReady runs every check concurrently. It answers 200 when all
// pass and 503 otherwise, naming each check's state; failure details go
// to the log, not the response.
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
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				state := "ok"
				if err := checks[n].Check(ctx); err != nil {
					state = "failed"
					log.Warn("readiness check failed", "check", n, "err", err)
				}
				mu.Lock()
				results[n] = state
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
		return writeJSON(c, status, map[string]any{"status": word, "checks": results})
	}
}
