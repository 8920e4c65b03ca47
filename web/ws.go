package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/rag"
)

// WSOptions tunes the websocket. Zero fields take the defaults below.
type WSOptions struct {
	// WriteWait bounds one frame write.
	WriteWait time.Duration
	// PongWait is how long the server waits for any frame or pong
	// before it deems the connection dead.
	PongWait time.Duration
	// PingPeriod is how often the server pings; it must be below
	// PongWait.
	PingPeriod time.Duration
	// MaxMessage is the largest client frame answered with an error
	// frame; the connection stays usable.
	MaxMessage int64
	// HardLimit is the read limit: a larger frame closes the connection
	// with 1009 (message too big), as gorilla cannot resynchronise.
	HardLimit int64
	// MaxInFlight bounds concurrent answers on one connection.
	MaxInFlight int
	// CheckOrigin decides which origins may connect; nil allows only
	// same-origin pages and clients that send no Origin.
	CheckOrigin func(r *http.Request) bool
	// Sessions turns on chat sessions (model mode): each connection
	// resumes the session named by ?session_id= or starts a new one,
	// announces it in a "session" frame, and asks without a session_id
	// belong to it.
	Sessions bool
	// Lifetime, when set, ends every connection when it is done: the
	// server passes a context that ends once Sockets.Shutdown has had
	// its chance to drain them.
	Lifetime context.Context
	// FramesPerSecond bounds the frames one connection may send per
	// second (bursts of twice that); extra frames get an error frame.
	FramesPerSecond float64
	// Sockets tracks open sockets for shutdown and the per-IP limit;
	// nil means a private registry with no limit.
	Sockets *Sockets
	// AskLimit, when set, is consulted for each ask frame with the
	// client IP; it returns false and the wait when over the rate.
	AskLimit func(ip string) (bool, time.Duration)
	// Metrics counts refused frames; nil records nothing.
	Metrics *metrics.Metrics
}

func (o WSOptions) withDefaults() WSOptions {
	if o.WriteWait <= 0 {
		o.WriteWait = 10 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 60 * time.Second
	}
	if o.PingPeriod <= 0 || o.PingPeriod >= o.PongWait {
		o.PingPeriod = o.PongWait * 9 / 10
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = 16 << 10
	}
	if o.HardLimit < o.MaxMessage {
		o.HardLimit = 1 << 20
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4
	}
	if o.FramesPerSecond <= 0 {
		o.FramesPerSecond = 10
	}
	if o.Sockets == nil {
		o.Sockets = NewSockets(0, o.Metrics)
	}
	return o
}

// inFrame is any frame a client sends.
type inFrame struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Question  string `json:"question"`
	Lang      string `json:"lang"`
	SessionID string `json:"session_id"`
}

// outFrame is any frame the server sends; unused fields are omitted.
type outFrame struct {
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
	Stage string `json:"stage,omitempty"`
	// Citations is set on citations frames only, and always an array
	// there: "citations":[] when the answer cites nothing.
	Citations        *[]rag.Citation `json:"citations,omitempty"`
	Answer           *string         `json:"answer,omitempty"`
	Answerable       *bool           `json:"answerable,omitempty"`
	Truncated        *bool           `json:"truncated,omitempty"`
	Mode             string          `json:"mode,omitempty"`
	Sources          []rag.Source    `json:"sources,omitempty"`
	DroppedCitations []int           `json:"dropped_citations,omitempty"`
	Notice           string          `json:"notice,omitempty"`
	Closest          []rag.Source    `json:"closest,omitempty"`
	Code             string          `json:"code,omitempty"`
	Message          string          `json:"message,omitempty"`
	SessionID        string          `json:"session_id,omitempty"`
	RetryAfter       int             `json:"retry_after,omitempty"`
	QuestionID       string          `json:"question_id,omitempty"`

	// closeCode, when set, makes the writer send a close frame with
	// closeText and stop; such a frame carries nothing else.
	closeCode int
	closeText string
}

func errorFrame(id, code, msg string) outFrame {
	return outFrame{Type: FrameError, ID: id, Code: code, Message: msg}
}

func handleWS(ps Papers, a rag.Answerer, rec questionRecorder, log *slog.Logger, opts WSOptions) echo.HandlerFunc {
	opts = opts.withDefaults()
	// A read buffer size of 0 reuses the HTTP server's 4 KiB reader, and
	// the pool lends a write buffer only while a frame is written, so an
	// idle socket holds neither of its own.
	up := websocket.Upgrader{WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{}, CheckOrigin: opts.CheckOrigin}
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		// Refuse unknown papers before upgrading, so the client gets a
		// plain 404 rather than a socket that can only say "not found".
		if _, err := ps.Paper(c.Request().Context(), id); err != nil {
			return err
		}
		ip := c.RealIP()
		if err := opts.Sockets.reserve(ip); err != nil {
			if ae, ok := err.(*apiError); ok && ae.retryAfter > 0 {
				c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(ae.retryAfter))
			}
			return err
		}
		conn, err := up.Upgrade(c.Response(), c.Request(), nil)
		if err != nil {
			opts.Sockets.unreserve(ip)
			// Upgrade has already written the HTTP error response.
			log.Debug("websocket upgrade failed", "err", err)
			return nil
		}
		s := &wsSession{
			conn: conn, paperID: id, answerer: a, rec: rec, log: log, opts: opts, ip: ip,
			frames: rate.NewLimiter(rate.Limit(opts.FramesPerSecond), int(2*opts.FramesPerSecond)+1),
			send:   make(chan *outFrame, 64), closed: make(chan struct{}), asks: make(map[string]context.CancelCauseFunc),
		}
		if !opts.Sockets.add(s) {
			s.closeWith(websocket.CloseGoingAway, "going away")
			conn.Close()
			return nil
		}
		if opts.Sessions {
			s.sessionID = c.QueryParam("session_id")
			if !chat.ValidSessionID(s.sessionID) {
				s.sessionID = chat.NewSessionID()
			}
			// Queued before serve starts reading, so it is the first frame.
			s.send <- &outFrame{Type: FrameSession, SessionID: s.sessionID}
		}
		// The connection outlives the request context (keeping its
		// values) until the server shuts down: http.Server.Shutdown does
		// not wait for hijacked connections, so Lifetime's end closes the
		// socket and cancels its answers and their model requests.
		ctx, cancel := context.WithCancel(context.WithoutCancel(c.Request().Context()))
		// The session runs on goroutines of its own and the handler
		// returns: the HTTP server is done with a hijacked connection, and
		// an idle socket then keeps neither the handler's deep stack
		// (router, middleware) nor the request and Echo context.
		go func() {
			defer opts.Sockets.remove(s)
			defer cancel()
			if opts.Lifetime != nil {
				defer context.AfterFunc(opts.Lifetime, cancel)()
			}
			s.serve(ctx)
		}()
		return nil
	}
}

// wsSession is one websocket connection. The reading goroutine (serve)
// dispatches frames; each answer runs in its own goroutine; exactly one
// goroutine (writeLoop) writes to the connection, as gorilla requires.
type wsSession struct {
	conn     *websocket.Conn
	paperID  string
	answerer rag.Answerer
	rec      questionRecorder
	log      *slog.Logger
	opts     WSOptions
	ip       string
	frames   *rate.Limiter
	send     chan *outFrame // by pointer: an idle socket's queue is 64 words
	writeBy  time.Time      // the write deadline set; the writer's own
	// closed is closed when the writer has stopped; frames can no longer
	// be delivered.
	closed chan struct{}

	// sessionID is the connection's chat session; empty unless
	// WSOptions.Sessions.
	sessionID string

	mu   sync.Mutex
	asks map[string]context.CancelCauseFunc
	// draining is set at shutdown: no new answers start.
	draining bool
	wg       sync.WaitGroup
}

func (s *wsSession) serve(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		s.writeLoop(ctx)
		close(s.closed)
		cancel()       // a failed write ends the session too…
		s.conn.Close() // …and unblocks the reader
	}()

	s.readLoop(ctx)
	cancel()    // a closed socket cancels every answer in flight
	s.wg.Wait() // no goroutine of this session is left behind
	<-s.closed
}

func (s *wsSession) readLoop(ctx context.Context) {
	s.conn.SetReadLimit(s.opts.HardLimit)
	s.conn.SetReadDeadline(time.Now().Add(s.opts.PongWait))
	s.conn.SetPongHandler(func(string) error {
		return s.conn.SetReadDeadline(time.Now().Add(s.opts.PongWait))
	})
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				s.closeWith(websocket.CloseMessageTooBig, fmt.Sprintf("frame larger than %d bytes", s.opts.HardLimit))
				s.drain()
			}
			return
		}
		s.conn.SetReadDeadline(time.Now().Add(s.opts.PongWait))
		if ctx.Err() != nil {
			return
		}
		if !s.frames.Allow() {
			s.opts.Metrics.RateLimited("frames")
			f := errorFrame("", CodeRateLimited, fmt.Sprintf("more than %g frames per second; frame ignored", s.opts.FramesPerSecond))
			f.RetryAfter = 1
			s.emit(ctx, f)
			continue
		}
		if typ != websocket.TextMessage {
			s.emit(ctx, errorFrame("", CodeBadFrame, "frames must be JSON text messages"))
			continue
		}
		if int64(len(data)) > s.opts.MaxMessage {
			s.emit(ctx, errorFrame("", CodeTooLarge, fmt.Sprintf("frame of %d bytes exceeds the limit of %d bytes", len(data), s.opts.MaxMessage)))
			continue
		}
		// RFC 6455 requires text frames to be UTF-8; JSON decoding would
		// silently turn invalid bytes into U+FFFD.
		if !utf8.Valid(data) {
			s.emit(ctx, errorFrame("", CodeBadFrame, "text frames must be valid UTF-8"))
			continue
		}
		f, err := decodeFrame(data)
		if err != nil {
			s.emit(ctx, errorFrame("", CodeMalformedJSON, "frame is not valid JSON: "+err.Error()))
			continue
		}
		s.dispatch(ctx, f)
	}
}

// closeWith sends a close frame. It is called only after the writer may
// still be running, so it uses WriteControl, which gorilla allows
// concurrently with other writes.
func (s *wsSession) closeWith(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.opts.WriteWait))
	// Called from any goroutine: a close frame must not wait in a batch
	// the writer holds (nothing may follow it anyway).
	if c, ok := s.conn.NetConn().(corker); ok {
		_ = c.Uncork()
	}
}

// drain discards what the peer is still sending, for a bounded time and
// size, before the connection is closed. Closing a socket with unread
// data makes the kernel send a reset, which can destroy the close frame
// before the peer reads it; draining lets the peer see why it was cut off.
func (s *wsSession) drain() {
	nc := s.conn.NetConn()
	_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, 4*s.opts.HardLimit))
}

// MaxFrameID bounds a client frame's "id", which every frame about it
// echoes.
const MaxFrameID = 128

func (s *wsSession) dispatch(ctx context.Context, f inFrame) {
	if len(f.ID) > MaxFrameID {
		s.emit(ctx, errorFrame("", CodeBadFrame, fmt.Sprintf(`"id" of %d bytes is longer than %d bytes`, len(f.ID), MaxFrameID)))
		return
	}
	switch f.Type {
	case FrameAsk:
		s.startAsk(ctx, f)
	case FrameCancel:
		s.mu.Lock()
		cancel, ok := s.asks[f.ID]
		s.mu.Unlock()
		if !ok {
			s.emit(ctx, errorFrame(f.ID, CodeUnknownID, fmt.Sprintf("no answer with id %q is in progress", f.ID)))
			return
		}
		cancel(nil)
	case "":
		s.emit(ctx, errorFrame(f.ID, CodeBadFrame, `frame has no "type"`))
	default:
		s.emit(ctx, errorFrame(f.ID, CodeUnknownType, fmt.Sprintf("unknown frame type %q: expected ask or cancel", f.Type)))
	}
}

func (s *wsSession) startAsk(ctx context.Context, f inFrame) {
	if f.ID == "" {
		s.emit(ctx, errorFrame("", CodeBadFrame, `ask frame needs an "id"`))
		return
	}
	if s.opts.AskLimit != nil {
		if ok, wait := s.opts.AskLimit(s.ip); !ok {
			s.opts.Metrics.RateLimited("ask")
			fr := errorFrame(f.ID, CodeRateLimited, fmt.Sprintf("too many questions from this address: try again in %d s", retryAfterSeconds(wait)))
			fr.RetryAfter = retryAfterSeconds(wait)
			s.emit(ctx, fr)
			return
		}
	}
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		s.emit(ctx, errorFrame(f.ID, CodeShuttingDown, "server is shutting down; ask again after reconnecting"))
		return
	}
	if _, dup := s.asks[f.ID]; dup {
		s.mu.Unlock()
		s.emit(ctx, errorFrame(f.ID, CodeDuplicateID, fmt.Sprintf("an answer with id %q is already in progress", f.ID)))
		return
	}
	if len(s.asks) >= s.opts.MaxInFlight {
		s.mu.Unlock()
		s.emit(ctx, errorFrame(f.ID, CodeBusy, fmt.Sprintf("at most %d answers may be in progress on one connection", s.opts.MaxInFlight)))
		return
	}
	actx, cancel := context.WithCancelCause(ctx)
	s.asks[f.ID] = cancel
	s.wg.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.asks, f.ID)
			s.mu.Unlock()
			cancel(nil)
		}()
		growStack(len(f.ID))
		s.answer(actx, f)
	}()
}

// askStackBytes is about the stack an extractive answer reaches
// (retrieval, then the answer's templates, which recurse through
// reflection).
const askStackBytes = 24 << 10

// growStack grows a new goroutine's stack to hold an answer in one step,
// while it is nearly empty and cheap to copy. Grown as the answer
// deepens, it is copied several times with every frame on it adjusted,
// which had cost about a tenth of an answer's CPU.
//
// The pad is indexed by the argument, so the compiler keeps all of it.
//
//go:noinline
func growStack(i int) byte {
	var pad [askStackBytes]byte
	pad[i%len(pad)] = 1
	return pad[(i+1)%len(pad)]
}

func (s *wsSession) answer(ctx context.Context, f inFrame) {
	sid := f.SessionID
	if sid == "" {
		sid = s.sessionID
	}
	q := rag.Question{PaperID: s.paperID, Text: f.Question, Lang: f.Lang, SessionID: sid}
	// Stages are news, not part of the answer: one the writer cannot
	// take at once is dropped rather than waited for.
	pctx := rag.WithProgress(ctx, func(stage string) {
		select {
		case s.send <- &outFrame{Type: FrameStatus, ID: f.ID, Stage: stage}:
		default:
		}
	})
	ans, err := s.answerer.Ask(pctx, q, func(d string) error {
		return s.emit(ctx, outFrame{Type: FrameDelta, ID: f.ID, Text: d})
	})
	if err != nil {
		switch {
		case errors.Is(context.Cause(ctx), errShuttingDown):
			s.emit(context.Background(), errorFrame(f.ID, CodeShuttingDown, "server is shutting down; answer stopped, ask again shortly"))
		case ctx.Err() != nil:
			// Cancelled by the reader or a closed socket: tell the
			// reader if it is still there.
			s.emit(context.Background(), errorFrame(f.ID, CodeCancelled, "answer cancelled"))
		default:
			status, e := classify(err)
			if status >= 500 {
				s.log.Error("websocket ask failed", "paper", s.paperID, "err", err)
			}
			s.emit(ctx, errorFrame(f.ID, e.Code, e.Message))
		}
		return
	}
	// Citations always go out, even empty, so clients can rely on the
	// delta…citations…done sequence.
	cits := nonNilCitations(ans.Citations)
	s.emit(ctx, outFrame{Type: FrameCitations, ID: f.ID, Citations: &cits})
	s.emit(ctx, outFrame{
		Type: FrameDone, ID: f.ID, Answer: &ans.Answer, Answerable: &ans.Answerable, Truncated: &ans.Truncated, Mode: ans.Mode,
		Sources: ans.Sources, DroppedCitations: ans.DroppedCitations, Closest: ans.Closest, Notice: ans.Notice, QuestionID: s.rec.record(ctx, q, ans),
	})
}

func nonNilCitations(c []rag.Citation) []rag.Citation {
	if len(c) == 0 {
		return []rag.Citation{}
	}
	return c
}

// errClosed reports a frame that could not be sent because the
// connection is gone.
var errClosed = errors.New("websocket closed")

// emit queues a frame for the writer. It fails once ctx is done or the
// writer has stopped, so a slow or vanished reader cannot block an
// answer forever.
func (s *wsSession) emit(ctx context.Context, f outFrame) error {
	p := framePool.Get().(*outFrame)
	*p = f
	select {
	case s.send <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errClosed
	}
}

// framePool recycles the frames emit queues: the writer returns each
// once written, so an answer's dozen frames cost no garbage.
var framePool = sync.Pool{New: func() any { return new(outFrame) }}

func (s *wsSession) writeLoop(ctx context.Context) {
	ping := time.NewTicker(s.opts.PingPeriod)
	defer ping.Stop()
	for {
		select {
		case f := <-s.send:
			if err := s.writeQueued(f); err != nil {
				return
			}
		case <-ping.C:
			s.extendWriteDeadline()
			if err := s.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-ctx.Done():
			// Flush what answers queued before the end (a final error
			// frame, say), then stop.
			for {
				select {
				case f := <-s.send:
					if s.write(f) != nil {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// corker is a connection that can hold writes and send them as one
// (limitedConn).
type corker interface {
	Cork()
	Uncork() error
}

// maxBatch bounds the frames written under one cork.
const maxBatch = 64

// writeQueued writes f and, when more frames are already queued, those
// too (up to maxBatch), corking the connection meanwhile so they leave
// in one write. No frame waits for one not yet queued: the batch is what
// the queue holds now.
func (s *wsSession) writeQueued(f *outFrame) error {
	c, ok := s.conn.NetConn().(corker)
	if !ok || len(s.send) == 0 || f.closeCode != 0 {
		return s.write(f)
	}
	c.Cork()
	err := s.write(f)
	for n := 1; err == nil && n < maxBatch; n++ {
		select {
		case f = <-s.send:
			err = s.write(f)
		default:
			n = maxBatch
		}
	}
	if uerr := c.Uncork(); err == nil {
		err = uerr
	}
	return err
}

// extendWriteDeadline gives the next write between 3/4 of WriteWait and
// WriteWait to finish. Setting a deadline re-arms a runtime timer, so it
// is moved only once a quarter of WriteWait has gone by, not for each of
// an answer's frames. Only the writer goroutine calls it.
func (s *wsSession) extendWriteDeadline() {
	now := time.Now()
	if s.writeBy.Sub(now) >= s.opts.WriteWait*3/4 {
		return
	}
	s.writeBy = now.Add(s.opts.WriteWait)
	s.conn.SetWriteDeadline(s.writeBy)
}

func (s *wsSession) write(f *outFrame) error {
	defer func() {
		*f = outFrame{} // drop what it points to
		framePool.Put(f)
	}()
	if f.closeCode != 0 {
		s.closeWith(f.closeCode, f.closeText)
		return errClosed // the writer stops; the session ends
	}
	s.extendWriteDeadline()
	// Encoded first, the frame goes out by gorilla's WriteMessage, which
	// needs no message writer of its own; an encoding error sends
	// nothing.
	b := frameBufs.Get().(*bytes.Buffer)
	defer putFrameBuf(b)
	b.Reset()
	if err := encodeJSON(b, f, ""); err != nil {
		return err
	}
	return s.conn.WriteMessage(websocket.TextMessage, b.Bytes())
}

// frameBufs lends the buffers frames are encoded into.
var frameBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putFrameBuf returns b to the pool unless a large frame grew it: a few
// large answers must not pin large buffers.
func putFrameBuf(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		frameBufs.Put(b)
	}
}
