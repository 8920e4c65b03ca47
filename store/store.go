// Package store defines how ChatPaper persists papers, their embedded
// chunks and generated summaries. Implementations live in subpackages
// (store/sqlite is the embedded default).
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/chatpaper/chatpaper/paper"
)

// ErrNotFound is returned (possibly wrapped) when a paper or summary does
// not exist.
var ErrNotFound = errors.New("not found")

// EmbeddedChunk is a chunk with the vector it was indexed with and its
// terms in the lexical index's stored form (opaque to the store; nil
// when not computed, e.g. for chunks stored before the form existed).
type EmbeddedChunk struct {
	paper.Chunk
	Vector []float32
	Terms  []byte
}

// PaperInfo is the listing form of a paper.
type PaperInfo struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Journal    string `json:"journal"`
	Year       int    `json:"year"`
	DOI        string `json:"doi"`
	References int    `json:"references"`
	// Hash is the paper's ContentHash, for callers that keep their own
	// index of the catalogue in step with the store.
	Hash string `json:"-"`
}

// PaperAbstract is what a catalogue index holds of a paper: its titles
// and abstracts in both languages, what a hit shows, and its content hash.
type PaperAbstract struct {
	ID, Title, TitleZh, Abstract, AbstractZh, Journal, DOI, Hash string
	Year                                                         int
	// Terms is the paper's catalogue document in the index's stored
	// form, as last given to PutCatalogueTerms for the paper's current
	// content (Hash), or nil when none was. When Terms is set, Abstract
	// and AbstractZh are not read and are empty: the terms stand for
	// them.
	Terms []byte
}

// CatalogueTerms is a paper's catalogue document in a catalogue index's
// stored form (opaque to the store), made from the paper's content of
// ContentHash Hash.
type CatalogueTerms struct {
	ID, Hash string
	Terms    []byte
}

// SummaryKey identifies a cached summary. Model and PromptVersion are
// empty for extractive summaries.
type SummaryKey struct {
	PaperID       string
	Lang          string
	Model         string
	PromptVersion string
}

// Store persists papers. All methods are safe for concurrent use.
type Store interface {
	// PutPaper stores p with its chunks, replacing any paper with the
	// same id (and dropping that paper's cached summaries) in one
	// transaction. Embedder names the embedder that made the vectors so
	// a later start with another embedder can tell they are stale.
	// When PutPaper returns nil the paper is durable.
	PutPaper(ctx context.Context, p *paper.Paper, embedder string, chunks []EmbeddedChunk) error
	// Paper returns the paper with the given id or ErrNotFound.
	Paper(ctx context.Context, id string) (*paper.Paper, error)
	// PaperHash returns the ContentHash recorded when the paper was
	// stored, or ErrNotFound: one cheap lookup that tells whether a
	// paper changed (cache revalidation, bulk ingest skipping unchanged
	// papers).
	PaperHash(ctx context.Context, id string) (string, error)
	// HasPapers reports whether any paper is stored, without listing
	// them (start-up decides on the demo paper with it).
	HasPapers(ctx context.Context) (bool, error)
	// Papers lists all papers ordered by id, with their content hashes.
	Papers(ctx context.Context) ([]PaperInfo, error)
	// Abstracts lists every paper's PaperAbstract ordered by id, read
	// without decoding whole papers (references and bodies stay in the
	// database), so a catalogue index builds from one query.
	Abstracts(ctx context.Context) ([]PaperAbstract, error)
	// PutCatalogueTerms keeps each entry's terms with its paper, for
	// Abstracts to return while the paper's content hash is still the
	// entry's Hash. An entry whose paper is gone or now has another hash
	// is skipped (the paper changed since the terms were made), not an
	// error. The terms are derived data: losing them loses nothing a
	// caller cannot recompute.
	PutCatalogueTerms(ctx context.Context, terms []CatalogueTerms) error
	// Chunks returns the paper's chunks in stored order and the name of
	// the embedder that made their vectors, or ErrNotFound.
	Chunks(ctx context.Context, paperID string) (chunks []EmbeddedChunk, embedder string, err error)
	// DeletePaper removes a paper, its chunks and summaries, or returns
	// ErrNotFound.
	DeletePaper(ctx context.Context, id string) error
	// Summary returns a cached summary or ErrNotFound.
	Summary(ctx context.Context, key SummaryKey) (*paper.Summary, error)
	// PutSummary caches a summary under key.
	PutSummary(ctx context.Context, key SummaryKey, s *paper.Summary) error
	// Session returns a chat session or ErrNotFound.
	Session(ctx context.Context, id string) (*Session, error)
	// PutSession creates or replaces a chat session, keeping its last
	// MaxSessionTurns turns. It returns ErrNotFound when the session's
	// paper does not exist. Sessions are deleted with their paper.
	PutSession(ctx context.Context, s *Session) error
	// AppendTurn adds t at the end of session id about paperID in one
	// atomic step, so concurrent appends to one session (two tabs, a
	// retry while an answer still streams), from any process sharing the
	// store, all land. A missing session is created; a session of another
	// paper starts over for paperID. Only the last maxTurns turns are
	// kept (at most MaxSessionTurns; 0 or less means MaxSessionTurns). It
	// returns ErrNotFound when the paper does not exist.
	AppendTurn(ctx context.Context, id, paperID string, t Turn, maxTurns int) error
	// WithSummaryLock runs fn while holding an exclusive lock on key,
	// shared by every process using the same store, so a summary is
	// generated once: a second caller waits, then finds the summary
	// cached. It returns fn's error, or ctx's if ctx ends while waiting.
	WithSummaryLock(ctx context.Context, key SummaryKey, fn func(ctx context.Context) error) error
	// Enrichments keeps the works references cite.
	Enrichments
	// QuestionLog keeps readers' questions and feedback.
	QuestionLog
	// Ping reports whether the store is usable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// ContentHash returns the lower-case hex SHA-256 of p's canonical JSON
// form: p encoded with encoding/json, with a nil reference list encoded as
// an empty one. Papers that encode equally hash equally, so a caller can
// tell that a re-submitted paper is unchanged. The hash covers the paper
// only, not its chunks, vectors or embedder. p must not be nil.
func ContentHash(p *paper.Paper) string {
	q := *p
	if q.References == nil {
		q.References = []paper.Reference{}
	}
	h := sha256.New()
	// Encoding a paper.Paper cannot fail: it holds only strings, ints and
	// slices of them, and writes to a hash never fail.
	_ = json.NewEncoder(h).Encode(&q)
	return hex.EncodeToString(h.Sum(nil))
}

// MaxSessionTurns bounds the turns a stored session keeps.
const MaxSessionTurns = 100

// KeptTurns returns how many turns a session keeps when asked to keep
// maxTurns: MaxSessionTurns unless maxTurns is positive and smaller.
func KeptTurns(maxTurns int) int {
	if maxTurns <= 0 || maxTurns > MaxSessionTurns {
		return MaxSessionTurns
	}
	return maxTurns
}

// Turn is one question and its answer in a chat session.
type Turn struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Lang     string `json:"lang"`
	// Cited are the reference numbers the answer cited.
	Cited []int `json:"cited,omitempty"`
}

// Session is a reader's conversation about one paper, kept so that
// follow-up questions can be understood and a reconnecting reader (on
// any replica) continues where they left off.
type Session struct {
	ID      string    `json:"id"`
	PaperID string    `json:"paper_id"`
	Turns   []Turn    `json:"turns"`
	Updated time.Time `json:"updated"`
}
