// Package chat is model mode: it answers a question with a generative
// model, grounded in what package rag retrieves from one loaded paper.
// Per answer it acquires the paper once and passes that version down
// through every step (condense a follow-up with the session's turns,
// rewrite into the paper's language, retrieve, generate, fall back to
// the extractive answer), so one answer never mixes two versions.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// Sessions is where chat sessions are kept (package store).
type Sessions interface {
	Session(ctx context.Context, id string) (*store.Session, error)
	PutSession(ctx context.Context, s *store.Session) error
}

// Options configure a Generator. Every field is explicit: package
// config holds the defaults.
type Options struct {
	// MaxTurns is how many earlier turns a session keeps (> 0).
	MaxTurns int
	// HistoryRunes bounds the kept turns' questions and answers
	// together, in characters (> 0), so a long conversation cannot
	// crowd the paper out of the prompt.
	HistoryRunes int
	// Log receives warnings; nil discards them.
	Log *slog.Logger
}

// Generator answers with a generative model (model mode), grounded in
// what rag retrieves. Every citation it passes on is a reference that
// was in the model's context; when the model cannot be reached before
// its first token it falls back to the extractive answer. It is safe
// for concurrent use.
type Generator struct {
	papers    rag.Acquirer
	retriever *rag.Retriever
	fallback  *rag.Extractive
	model     rag.ChatModel
	sessions  Sessions
	log       *slog.Logger
	opts      Options
}

var _ rag.Answerer = (*Generator)(nil)

// New returns a model-mode answerer over papers: r retrieves, fallback
// answers when the model cannot, m writes the answers, sessions keeps
// the conversations.
func New(papers rag.Acquirer, r *rag.Retriever, fallback *rag.Extractive, m rag.ChatModel, sessions Sessions, o Options) (*Generator, error) {
	if o.MaxTurns <= 0 || o.HistoryRunes <= 0 {
		return nil, fmt.Errorf("chat: MaxTurns and HistoryRunes must be positive: %+v", o)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Generator{papers: papers, retriever: r, fallback: fallback, model: m, sessions: sessions, log: o.Log, opts: o}, nil
}

// NewSessionID returns a new random session id.
func NewSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// ValidSessionID reports whether id can name a session: the same form
// as a paper id.
func ValidSessionID(id string) bool { return paper.ValidID(id) }

// paperLang is the language the paper's searchable text is in: its
// abstract, or its title when it has none.
func paperLang(p *paper.Paper) string {
	if p.Abstract != "" {
		return rag.LangOf(p.Abstract)
	}
	if p.AbstractZh != "" {
		return paper.LangZH
	}
	return rag.LangOf(p.Title)
}

// Ask answers q with the model, streaming through emit. The answer is in
// q's language. Steps: a follow-up is condensed with the session's
// earlier turns into a standalone question; a question in another
// language than the paper's is rewritten into search queries in the
// paper's language; the retrieval of all queries is merged; with nothing
// relevant the model is not called and the answer is Answerable false;
// otherwise the model answers from the numbered context and citations
// outside it are removed as they stream (reported in DroppedCitations).
//
// If the model fails before anything was streamed (refusals after
// retries, no first token in time), the extractive answer is given
// instead, with Mode "extractive". If the stream breaks after text was
// streamed, Ask returns the partial answer and an error wrapping
// ErrUpstream.
//
// The paper is acquired once and every step reads that version, even if
// the paper is replaced while the answer streams.
func (g *Generator) Ask(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
	q, err := rag.NormalizeQuestion(q)
	if err != nil {
		return nil, err
	}
	if q.SessionID != "" && !ValidSessionID(q.SessionID) {
		return nil, fmt.Errorf("%w: session_id %q must be 1-128 letters, digits, '.', '_' or '-'", rag.ErrInvalidQuestion, q.SessionID)
	}
	lp, err := g.papers.Acquire(ctx, q.PaperID)
	if err != nil {
		return nil, err
	}
	defer lp.Release()
	p := lp.Paper()
	sess := g.session(ctx, q)

	modelUp := true
	standalone := q.Text
	if len(sess.Turns) > 0 {
		s, err := g.condense(ctx, p, sess.Turns, q.Text)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			g.log.Warn("condensing follow-up failed; using the question as asked", "paper", p.ID, "err", err)
			modelUp = false
		default:
			standalone = s
		}
	}
	queries := []string{standalone}
	if pl := paperLang(p); modelUp && rag.LangOf(standalone) != pl {
		rw, err := g.rewrite(ctx, p, pl, standalone)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			g.log.Warn("rewriting the query failed; searching with the question as asked", "paper", p.ID, "err", err)
			modelUp = false
		default:
			// The paper-language queries first: they are what the
			// extractive fallback searches with.
			queries = append(rw, standalone)
		}
	}

	var ans *rag.Answer
	if modelUp {
		// The model answers the standalone question: the follow-up as
		// asked ("what drove it?") means nothing without the history.
		sq := q
		sq.Text = standalone
		ans, err = g.generate(ctx, lp, sq, queries, emit)
		if err != nil && ans == nil && errors.Is(err, rag.ErrUpstream) && ctx.Err() == nil {
			g.log.Warn("model failed before its first token; answering extractively", "paper", p.ID, "err", err)
			err = nil
		}
		if err != nil {
			return ans, err
		}
	}
	if ans == nil {
		fq, err := rag.NormalizeQuestion(rag.Question{PaperID: q.PaperID, Text: queries[0], Lang: q.Lang})
		if err != nil {
			return nil, err
		}
		if ans, err = g.fallback.AskLoaded(ctx, lp, fq, emit); err != nil {
			return nil, err
		}
	}
	ans.SessionID = q.SessionID
	g.remember(ctx, sess, q, standalone, ans)
	return ans, nil
}

// generate retrieves for queries and streams the model's answer. It
// returns (nil, err wrapping ErrUpstream) when the model failed before
// anything was emitted, so the caller can fall back.
func (g *Generator) generate(ctx context.Context, lp *library.Loaded, q rag.Question, queries []string, emit rag.Emit) (*rag.Answer, error) {
	p := lp.Paper()
	r, err := g.retrieveAll(ctx, lp, queries)
	if err != nil {
		return nil, err
	}
	ans := &rag.Answer{Mode: rag.ModeLLM, Lang: q.Lang, Sources: r.Sources, Citations: []rag.Citation{}}
	if ans.Sources == nil {
		ans.Sources = []rag.Source{}
	}
	if len(r.Relevant) == 0 {
		// Nothing relevant: the model would only be tempted to make
		// something up. Say so, as the extractive path does (and is).
		ans.Mode = rag.ModeExtractive
		return g.unanswerable(ans, q.Lang, p.Body != nil, emit)
	}
	data := prompts.ModelAnswerData{Lang: q.Lang, Title: p.Title, Question: q.Text}
	allowed := make(map[int]bool)
	for _, s := range r.Sources {
		switch s.Kind {
		case rag.SourceReference:
			data.Refs = append(data.Refs, prompts.ContextRef{N: s.N, Text: s.Text})
			allowed[s.N] = true
		case rag.SourceBody, rag.SourceCaption:
			// A passage that cites [n] makes [n] citable: the model
			// sees the number with the passage.
			data.Body = append(data.Body, prompts.ContextPassage{Section: s.Section, Text: s.Text, Cites: s.Cites})
			for _, n := range s.Cites {
				allowed[n] = true
			}
		default:
			data.Abstract = append(data.Abstract, s.Text)
		}
	}
	pr, err := prompts.ModelAnswer(data)
	if err != nil {
		return nil, err
	}
	out := &answerStream{filter: rag.NewCiteFilter(allowed, emit)}
	err = g.model.StreamChat(ctx, []rag.ChatMessage{{Role: rag.RoleSystem, Content: pr.System}, {Role: rag.RoleUser, Content: pr.User}}, out.write)
	if err == nil {
		err = out.end()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !out.emitted() {
			return nil, err
		}
		// Text reached the reader: end with what was received, and say
		// it is incomplete.
		_ = out.filter.End()
		g.fill(ans, p, out)
		return ans, fmt.Errorf("answer of %q broke off: %w", p.ID, err)
	}
	if out.notCovered {
		return g.unanswerable(ans, q.Lang, p.Body != nil, emit)
	}
	g.fill(ans, p, out)
	ans.Answerable = true
	return ans, nil
}

func (g *Generator) fill(ans *rag.Answer, p *paper.Paper, out *answerStream) {
	ans.Answer = out.filter.Text()
	for _, n := range out.filter.Kept() {
		if ref, ok := p.Reference(n); ok {
			ans.Citations = append(ans.Citations, rag.Citation{N: ref.N, Text: ref.Text, DOI: ref.DOI})
		}
	}
	ans.DroppedCitations = out.filter.Dropped()
}

func (g *Generator) unanswerable(ans *rag.Answer, lang string, fullText bool, emit rag.Emit) (*rag.Answer, error) {
	text, err := prompts.ExtractiveAnswer(lang, prompts.AnswerData{FullText: fullText})
	if err != nil {
		return nil, err
	}
	ans.Answer, ans.Answerable = text, false
	if err := rag.EmitPieces(text, emit); err != nil {
		return nil, err
	}
	return ans, nil
}

// answerStream holds back the start of a reply while it may still be
// the "not covered" marker, then passes it through the citation filter.
type answerStream struct {
	filter     *rag.CiteFilter
	held       strings.Builder
	holding    bool
	started    bool
	notCovered bool
}

func (a *answerStream) write(d string) error {
	if !a.started {
		a.started, a.holding = true, true
	}
	if !a.holding {
		if a.notCovered {
			return nil
		}
		return a.filter.Write(d)
	}
	a.held.WriteString(d)
	t := strings.TrimSpace(a.held.String())
	switch {
	case strings.HasPrefix(t, prompts.NotCovered):
		a.holding, a.notCovered = false, true
		return nil
	case strings.HasPrefix(prompts.NotCovered, t):
		return nil // still undecided
	}
	a.holding = false
	return a.filter.Write(strings.TrimLeft(a.held.String(), " \n\t"))
}

func (a *answerStream) end() error {
	if !a.started {
		a.notCovered = true // an empty reply says nothing the reader can use
		return nil
	}
	if a.holding {
		a.holding = false
		t := strings.TrimSpace(a.held.String())
		if t == "" || strings.HasPrefix(prompts.NotCovered, t) {
			// An empty reply or a cut-off marker: nothing to say.
			a.notCovered = true
			return nil
		}
		if err := a.filter.Write(t); err != nil {
			return err
		}
	}
	if a.notCovered {
		return nil
	}
	return a.filter.End()
}

func (a *answerStream) emitted() bool { return a.filter.Text() != "" }

// retrieveAll retrieves for each query and merges the results: a source
// keeps its best score and is relevant if any query found it relevant.
func (g *Generator) retrieveAll(ctx context.Context, lp *library.Loaded, queries []string) (*rag.Retrieved, error) {
	type merged struct {
		src      rag.Source
		relevant bool
	}
	byKey := make(map[string]*merged)
	var order []string
	for _, text := range queries {
		r, err := g.retriever.Retrieve(ctx, lp, text)
		if err != nil {
			return nil, err
		}
		for i, s := range r.Sources {
			key := fmt.Sprintf("%s|%d|%s", s.Kind, s.N, s.Text)
			m, ok := byKey[key]
			if !ok {
				m = &merged{src: s}
				byKey[key] = m
				order = append(order, key)
			}
			m.src.Score = max(m.src.Score, s.Score)
			if slices.Contains(r.Relevant, i) {
				m.relevant = true
			}
		}
	}
	all := make([]*merged, len(order))
	for i, k := range order {
		all[i] = byKey[k]
	}
	// Relevant sources first, then by score: the context is capped, and
	// what the relevance gate passed must be in it.
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].relevant != all[b].relevant {
			return all[a].relevant
		}
		return all[a].src.Score > all[b].src.Score
	})
	if len(all) > rag.MaxSources {
		all = all[:rag.MaxSources]
	}
	out := &rag.Retrieved{}
	for i, m := range all {
		out.Sources = append(out.Sources, m.src)
		if m.relevant {
			out.Relevant = append(out.Relevant, i)
		}
	}
	return out, nil
}

// maxQueries bounds the search queries taken from a rewrite.
const maxQueries = 3

func (g *Generator) rewrite(ctx context.Context, p *paper.Paper, lang, question string) ([]string, error) {
	pr, err := prompts.Rewrite(prompts.RewriteData{Lang: lang, Title: p.Title, Question: question})
	if err != nil {
		return nil, err
	}
	reply, err := rag.Complete(ctx, g.model, pr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "-*•0123456789.) "))
		line = strings.Trim(line, `"“”`)
		if line == "" || utf8.RuneCountInString(line) > rag.MaxQuestionRunes {
			continue
		}
		out = append(out, line)
		if len(out) == maxQueries {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: rewrite returned no query", rag.ErrUpstream)
	}
	return out, nil
}

func (g *Generator) condense(ctx context.Context, p *paper.Paper, turns []store.Turn, question string) (string, error) {
	d := prompts.CondenseData{Title: p.Title, Question: question}
	for _, t := range turns {
		d.Turns = append(d.Turns, prompts.Turn{Question: t.Question, Answer: t.Answer})
	}
	pr, err := prompts.Condense(d)
	if err != nil {
		return "", err
	}
	reply, err := rag.Complete(ctx, g.model, pr)
	if err != nil {
		return "", err
	}
	reply = strings.Trim(strings.TrimSpace(strings.SplitN(reply, "\n", 2)[0]), `"“”`)
	if reply == "" || utf8.RuneCountInString(reply) > rag.MaxQuestionRunes {
		return "", fmt.Errorf("%w: condensation returned %d characters", rag.ErrUpstream, utf8.RuneCountInString(reply))
	}
	return reply, nil
}

// session returns q's session, or a new empty one. A session of another
// paper is not continued: its history would mislead condensation.
func (g *Generator) session(ctx context.Context, q rag.Question) *store.Session {
	fresh := &store.Session{ID: q.SessionID, PaperID: q.PaperID}
	if q.SessionID == "" {
		return fresh
	}
	s, err := g.sessions.Session(ctx, q.SessionID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			g.log.Warn("loading session failed; starting afresh", "session", q.SessionID, "err", err)
		}
		return fresh
	}
	if s.PaperID != q.PaperID {
		return fresh
	}
	return s
}

// remember appends the turn to its session and stores it, keeping the
// last MaxTurns turns within HistoryRunes. A failure to store is logged:
// the reader has the answer, only the next follow-up loses context.
func (g *Generator) remember(ctx context.Context, s *store.Session, q rag.Question, standalone string, ans *rag.Answer) {
	if q.SessionID == "" {
		return
	}
	cited := make([]int, len(ans.Citations))
	for i, c := range ans.Citations {
		cited[i] = c.N
	}
	// The standalone question is kept: it makes the next condensation
	// independent of turns that have since been trimmed away.
	s.Turns = append(s.Turns, store.Turn{Question: standalone, Answer: ans.Answer, Lang: q.Lang, Cited: cited})
	s.Turns = trimTurns(s.Turns, g.opts.MaxTurns, g.opts.HistoryRunes)
	s.Updated = time.Now().UTC()
	if err := g.sessions.PutSession(context.WithoutCancel(ctx), s); err != nil {
		g.log.Warn("storing session failed", "session", s.ID, "err", err)
	}
}

func trimTurns(turns []store.Turn, maxTurns, maxRunes int) []store.Turn {
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	total := 0
	for i := len(turns) - 1; i >= 0; i-- {
		total += utf8.RuneCountInString(turns[i].Question) + utf8.RuneCountInString(turns[i].Answer)
		if total > maxRunes && i < len(turns)-1 {
			return slices.Clone(turns[i+1:])
		}
	}
	return slices.Clone(turns)
}
