package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter is a token bucket per client IP: perMinute tokens, refilled
// evenly over a minute. A nil *ipLimiter allows everything.
type ipLimiter struct {
	perMinute int
	now       func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newIPLimiter returns a limiter of perMinute events per IP, or nil (no
// limit) when perMinute is 0.
func newIPLimiter(perMinute int, now func() time.Time) *ipLimiter {
	if perMinute <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &ipLimiter{perMinute: perMinute, now: now, buckets: map[string]*bucket{}}
}

// allow takes one token for ip. When none is left it takes nothing and
// returns how long until one is.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	// A bucket idle for a minute is full again, the same as a new one:
	// dropping it loses nothing and bounds the map by the clients of the
	// last minute.
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)}
		l.buckets[ip] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
