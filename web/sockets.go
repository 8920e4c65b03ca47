package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/metrics"
)

// Sockets tracks the open websockets. http.Server.Shutdown does not
// know hijacked connections, so the program calls Sockets.Shutdown
// alongside it to tell every socket "going away" and let answers in
// flight finish. It also enforces the open-sockets-per-IP limit.
type Sockets struct {
	maxPerIP int
	metrics  *metrics.Metrics

	mu      sync.Mutex
	closing bool
	all     map[*wsSession]struct{}
	perIP   map[string]int
	done    chan struct{} // closed when closing and all is empty
}

// NewSockets returns a registry allowing maxPerIP open sockets per
// client IP (0 = no limit) and counting them in m (which may be nil).
func NewSockets(maxPerIP int, m *metrics.Metrics) *Sockets {
	return &Sockets{maxPerIP: maxPerIP, metrics: m, all: map[*wsSession]struct{}{}, perIP: map[string]int{}, done: make(chan struct{})}
}

var (
	errShuttingDown = errors.New("server is shutting down")
	errTooManyConns = errors.New("too many open sockets")
)

// reserve claims a socket slot for ip before the upgrade.
func (ss *Sockets) reserve(ip string) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closing {
		return &apiError{status: http.StatusServiceUnavailable, code: CodeShuttingDown, msg: "server is shutting down; reconnect shortly"}
	}
	if ss.maxPerIP > 0 && ss.perIP[ip] >= ss.maxPerIP {
		ss.metrics.RateLimited("sockets")
		return &apiError{status: http.StatusTooManyRequests, code: CodeTooManySockets,
			msg: fmt.Sprintf("at most %d websockets may be open from one address", ss.maxPerIP), retryAfter: 5}
	}
	ss.perIP[ip]++
	return nil
}

// unreserve gives back a slot whose upgrade failed.
func (ss *Sockets) unreserve(ip string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.release(ip)
}

func (ss *Sockets) release(ip string) {
	if ss.perIP[ip]--; ss.perIP[ip] <= 0 {
		delete(ss.perIP, ip)
	}
}

// add registers an upgraded session; it reports false when shutdown
// began meanwhile, and the caller then closes the socket at once.
func (ss *Sockets) add(s *wsSession) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closing {
		ss.release(s.ip)
		return false
	}
	ss.all[s] = struct{}{}
	ss.metrics.SocketOpened()
	return true
}

func (ss *Sockets) remove(s *wsSession) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := ss.all[s]; !ok {
		return
	}
	delete(ss.all, s)
	ss.release(s.ip)
	ss.metrics.SocketClosed()
	if ss.closing && len(ss.all) == 0 {
		close(ss.done)
	}
}

// Open reports how many sockets are open.
func (ss *Sockets) Open() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.all)
}

// Shutdown refuses new sockets and new questions, lets the answers in
// flight finish, then closes every socket with 1001 "going away". Answers
// still running shortly before ctx's deadline are cancelled and end with
// an error frame of code "shutting_down", so the reader learns why.
// Shutdown returns when every session has ended or ctx is done.
func (ss *Sockets) Shutdown(ctx context.Context) error {
	ss.mu.Lock()
	if !ss.closing {
		ss.closing = true
		if len(ss.all) == 0 {
			close(ss.done)
		}
	}
	list := make([]*wsSession, 0, len(ss.all))
	for s := range ss.all {
		list = append(list, s)
	}
	ss.mu.Unlock()

	// Keep some of the deadline for the error and close frames.
	drainCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		margin := time.Until(dl) / 5
		if margin > time.Second {
			margin = time.Second
		}
		var cancel context.CancelFunc
		drainCtx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel()
	}
	for _, s := range list {
		go s.goAway(drainCtx)
	}
	select {
	case <-ss.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// goAway drains one session: no new questions, answers in flight finish
// (or are cancelled when ctx ends), then a 1001 close.
func (s *wsSession) goAway(ctx context.Context) {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	// No ask can start now (startAsk checks draining under mu), so
	// waiting on wg cannot race with wg.Add.
	idle := make(chan struct{})
	go func() { s.wg.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		s.mu.Lock()
		for _, cancel := range s.asks {
			cancel(errShuttingDown)
		}
		s.mu.Unlock()
		<-idle
	}
	// The close goes through the writer, after every frame queued before
	// it, so the reader sees the answers' last frames first.
	_ = s.emit(context.Background(), outFrame{closeCode: websocket.CloseGoingAway, closeText: "going away"})
}
