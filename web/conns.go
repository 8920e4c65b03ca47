package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/metrics"
)

// ConnLimits bound the server's connections. Zero durations take the
// defaults of DefaultConnLimits; zero caps mean no cap.
type ConnLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request.
	IdleTimeout time.Duration
	// BodyTimeout bounds reading a request's body, counted from the end
	// of its headers; websockets are exempt (they keep their own ping
	// deadlines).
	BodyTimeout time.Duration
	// MaxConns bounds the open connections, websockets included.
	MaxConns int
	// MaxConnsPerIP bounds one client address's open connections (IPv6
	// clients by their /64, which one host usually has whole).
	MaxConnsPerIP int
	// Proxies are exempt from MaxConnsPerIP (not from MaxConns): a
	// reverse proxy carries many readers' connections.
	Proxies []netip.Prefix
}

// DefaultConnLimits are the limits' defaults (package config has the
// settings' defaults; these fill in zero fields).
var DefaultConnLimits = ConnLimits{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, BodyTimeout: 60 * time.Second}

func (l ConnLimits) withDefaults() ConnLimits {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = DefaultConnLimits.ReadHeaderTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultConnLimits.IdleTimeout
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = DefaultConnLimits.BodyTimeout
	}
	return l
}

// Over a cap, a connection is still accepted, up to these many more per
// client and in all, to answer one request: /healthz, or a 503 saying
// why. Past those it is closed at once.
const (
	overflowPerIP = 4
	overflowTotal = MaxOverflowConns
)

// MaxOverflowConns is how many over-cap connections may be open at once,
// besides MaxConns.
const MaxOverflowConns = 256

// NewHTTPServer returns the server for h with l's timeouts. Serve it on
// a listener from LimitListener so the caps apply.
func NewHTTPServer(h http.Handler, l ConnLimits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if lc, ok := c.(*limitedConn); ok {
				return context.WithValue(ctx, connKey{}, lc)
			}
			return ctx
		},
	}
}

type connKey struct{}

func connOf(r *http.Request) *limitedConn {
	lc, _ := r.Context().Value(connKey{}).(*limitedConn)
	return lc
}

// LimitListener applies l's caps to the connections ln accepts. A
// connection over a cap may make one request, within ReadHeaderTimeout
// for reading and writing alike: /healthz is answered, anything else gets
// 503 too_many_connections; then it is closed.
func LimitListener(ln net.Listener, l ConnLimits, m *metrics.Metrics) net.Listener {
	l = l.withDefaults()
	return &limitListener{Listener: ln, lim: l, m: m, byIP: map[string]int{}, overByIP: map[string]int{}}
}

type limitListener struct {
	net.Listener
	lim ConnLimits
	m   *metrics.Metrics

	mu       sync.Mutex
	open     int
	byIP     map[string]int
	over     int
	overByIP map[string]int
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, proxy := ll.client(c.RemoteAddr())
		ll.mu.Lock()
		switch {
		case (ll.lim.MaxConns <= 0 || ll.open < ll.lim.MaxConns) && (proxy || ll.lim.MaxConnsPerIP <= 0 || ll.byIP[ip] < ll.lim.MaxConnsPerIP):
			ll.open++
			ll.byIP[ip]++
			ll.mu.Unlock()
			return &limitedConn{Conn: c, release: func() { ll.release(ip, false) }}, nil
		case ll.over < overflowTotal && ll.overByIP[ip] < overflowPerIP:
			ll.over++
			ll.overByIP[ip]++
			ll.mu.Unlock()
			ll.m.RateLimited("connections")
			hard := time.Now().Add(ll.lim.ReadHeaderTimeout)
			_ = c.SetDeadline(hard)
			return &limitedConn{Conn: c, over: true, hard: hard, release: func() { ll.release(ip, true) }}, nil
		}
		ll.mu.Unlock()
		ll.m.RateLimited("connections")
		c.Close()
	}
}

// client returns the key a peer is counted under, and whether it is a
// configured proxy.
func (ll *limitListener) client(addr net.Addr) (key string, proxy bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String(), false
	}
	a := ap.Addr().Unmap()
	for _, p := range ll.lim.Proxies {
		if p.Contains(a) {
			proxy = true
		}
	}
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String(), proxy
	}
	return a.String(), proxy
}

func (ll *limitListener) release(ip string, over bool) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	count, n := &ll.open, ll.byIP
	if over {
		count, n = &ll.over, ll.overByIP
	}
	*count--
	if n[ip]--; n[ip] <= 0 {
		delete(n, ip)
	}
}

// limitedConn is a counted connection; closing it (by the server, or by
// a websocket after a hijack) frees its place once.
type limitedConn struct {
	net.Conn
	over    bool
	hard    time.Time // an over-cap connection's deadline, which nothing extends
	linger  atomic.Bool
	once    sync.Once
	release func()

	// wmu orders writes with Cork and Uncork; corked holds the writes
	// made while corked, nil when not corked.
	wmu    sync.Mutex
	corked *bytes.Buffer
}

// maxCorked bounds what a corked connection holds before writing it out.
const maxCorked = 64 << 10

// corkBufs lends corked connections their buffers, only while corked.
var corkBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Cork holds the connection's writes until Uncork, which makes them one
// write: the websocket writer corks while more frames wait in its queue,
// so the frames an answer queues back to back cost one system call, not
// one each. Writes beyond maxCorked go out at once, in order.
func (c *limitedConn) Cork() {
	c.wmu.Lock()
	if c.corked == nil {
		c.corked = corkBufs.Get().(*bytes.Buffer)
		c.corked.Reset()
	}
	c.wmu.Unlock()
}

// Uncork writes what was held since Cork and ends the holding. It is
// safe from any goroutine, and does nothing on a connection not corked.
func (c *limitedConn) Uncork() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.corked == nil {
		return nil
	}
	err := c.flushLocked()
	if c.corked.Cap() <= maxCorked {
		corkBufs.Put(c.corked)
	}
	c.corked = nil
	return err
}

func (c *limitedConn) flushLocked() error {
	if c.corked.Len() == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.corked.Bytes())
	c.corked.Reset()
	return err
}

func (c *limitedConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.corked == nil {
		return c.Conn.Write(p)
	}
	if c.corked.Len()+len(p) > maxCorked {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxCorked {
			return c.Conn.Write(p)
		}
	}
	return c.corked.Write(p)
}

// lingerTime bounds how long what a client still sends is read and
// thrown away after an error response, before the connection is closed
// (see Close).
const lingerTime = 500 * time.Millisecond

// Close closes the connection. After an error response to a request
// whose body was not read (see closeOnError), it first sends FIN and
// discards what the client still sends for at most lingerTime, in the
// background: closing with unread data would make the kernel reset the
// connection, and the client could lose the response; a client still
// writing after that is cut off.
func (c *limitedConn) Close() error {
	if c.linger.Load() {
		if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
			go func() {
				_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
				_, _ = io.Copy(io.Discard, c.Conn)
				c.Conn.Close()
				c.once.Do(c.release)
			}()
			return nil
		}
	}
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection, as the server does before
// closing after some errors of its own.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *limitedConn) clamp(t time.Time) time.Time {
	if c.over && (t.IsZero() || t.After(c.hard)) {
		return c.hard
	}
	return t
}

func (c *limitedConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *limitedConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}
func (c *limitedConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// connGuard is the first middleware: it answers requests on over-cap
// connections, and gives every other request with a body, websockets
// aside, BodyTimeout to send it.
func connGuard(l ConnLimits) echo.MiddlewareFunc {
	l = l.withDefaults()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if lc := connOf(r); lc != nil && lc.over {
				c.Response().Header().Set(echo.HeaderConnection, "close")
				if r.URL.Path == "/healthz" {
					return next(c)
				}
				c.Response().Header().Set(echo.HeaderRetryAfter, "1")
				return &apiError{status: http.StatusServiceUnavailable, code: CodeTooManyConnections,
					msg: "too many open connections (CHATPAPER_MAX_CONNS, CHATPAPER_MAX_CONNS_PER_IP): close some and retry", retryAfter: 1}
			}
			if r.ContentLength != 0 && !websocket.IsWebSocketUpgrade(r) {
				rc := http.NewResponseController(c.Response().Writer)
				if err := rc.SetReadDeadline(time.Now().Add(l.BodyTimeout)); err == nil {
					r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
				}
			}
			return next(c)
		}
	}
}

// deadlineBody lifts the body deadline once the body has been read to
// its end: the server then watches the idle connection for the client
// going away, and a deadline passing there would cancel a long answer.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// closeOnError makes the server close the connection after an error
// response to a request whose body it may not have read, rather than
// read (and wait for) the rest of a body nobody will use.
func closeOnError(c echo.Context, status int) {
	r := c.Request()
	if status < 400 || r.ContentLength == 0 || websocket.IsWebSocketUpgrade(r) {
		return
	}
	// Only on a counted connection, which lingers before it closes. The
	// passed deadline makes the server's own attempt to read the rest of
	// the body fail at once instead of waiting for a slow client.
	if lc := connOf(r); lc != nil {
		c.Response().Header().Set(echo.HeaderConnection, "close")
		lc.linger.Store(true)
		_ = lc.SetReadDeadline(time.Now())
	}
}
