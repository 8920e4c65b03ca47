package rag

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
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/tokenize"
)

// GeneratorStore is what model mode keeps: chat sessions and cached
// model summaries, generated once across replicas.
type GeneratorStore interface {
	Summary(ctx context.Context, key store.SummaryKey) (*paper.Summary, error)
	PutSummary(ctx context.Context, key store.SummaryKey, s *paper.Summary) error
	Session(ctx context.Context, id string) (*store.Session, error)
	PutSession(ctx context.Context, s *store.Session) error
	WithSummaryLock(ctx context.Context, key store.SummaryKey, fn func(ctx context.Context) error) error
}

// GeneratorOptions tune model mode. Zero fields take the defaults noted.
type GeneratorOptions struct {
	// MaxTurns is how many earlier turns a session keeps (default 6).
	MaxTurns int
	// HistoryRunes bounds the kept turns' questions and answers
	// together, in characters (default 6000, about 2000 tokens), so a
	// long conversation cannot crowd the paper out of the prompt.
	HistoryRunes int
	// SummaryCooldown is how long after a failed summary generation the
	// extractive summary is served without asking the model again
	// (default 1m).
	SummaryCooldown time.Duration
}

// Generator answers and summarises with a generative model (model
// mode), grounded in what Engine retrieves. Every citation it passes on
// is a reference that was in the model's context; when the model cannot
// be reached before its first token it falls back to Engine's extractive
// answer. It is safe for concurrent use.
type Generator struct {
	engine *Engine
	model  ChatModel
	store  GeneratorStore
	log    *slog.Logger
	opts   GeneratorOptions

	mu     sync.Mutex
	failed map[store.SummaryKey]time.Time
}

var (
	_ Answerer   = (*Generator)(nil)
	_ Summarizer = (*Generator)(nil)
)

// NewGenerator returns a model-mode answerer over e's papers. A nil
// logger discards logs.
func NewGenerator(e *Engine, m ChatModel, st GeneratorStore, log *slog.Logger, o GeneratorOptions) *Generator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.MaxTurns <= 0 {
		o.MaxTurns = 6
	}
	if o.HistoryRunes <= 0 {
		o.HistoryRunes = 6000
	}
	if o.SummaryCooldown <= 0 {
		o.SummaryCooldown = time.Minute
	}
	return &Generator{engine: e, model: m, store: st, log: log, opts: o, failed: make(map[store.SummaryKey]time.Time)}
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

// langOf returns the reader language a text is written in.
func langOf(text string) string {
	if tokenize.Lang(text) == "zh" {
		return paper.LangZH
	}
	return paper.LangEN
}

// paperLang is the language the paper's searchable text is in: its
// abstract, or its title when it has none.
func paperLang(p *paper.Paper) string {
	if p.Abstract != "" {
		return langOf(p.Abstract)
	}
	if p.AbstractZh != "" {
		return paper.LangZH
	}
	return langOf(p.Title)
}

// Ask answers q with the model, streaming through emit. The answer is in
// q's language. Steps: a follow-up is condensed with the session's
// earlier turns into a standalone question; a reader intent (summary,
// conclusions, metadata, reference N) is answered from the paper's
// structure (intent); any other question is rewritten into one to three
// search queries in the paper's language and vocabulary; the retrieval
// of all queries is merged; when it is below the calibrated floor (empty
// or clearly irrelevant) the model is not called and the answer is
// Answerable false; otherwise the model judges the numbered context,
// answering from it (citations outside it are removed as they stream and
// reported in DroppedCitations) or replying NOT_COVERED, which becomes
// the refusal, with no citation.
//
// If the model fails before anything was streamed (refusals after
// retries, no first token in time), the extractive answer is given
// instead, with Mode "extractive". If the stream breaks after text was
// streamed, Ask returns the partial answer and an error wrapping
// ErrUpstream.
func (g *Generator) Ask(ctx context.Context, q Question, emit Emit) (*Answer, error) {
	q, err := normalizeQuestion(q)
	if err != nil {
		return nil, err
	}
	if q.SessionID != "" && !ValidSessionID(q.SessionID) {
		return nil, fmt.Errorf("%w: session_id %q must be 1-128 letters, digits, '.', '_' or '-'", ErrInvalidQuestion, q.SessionID)
	}
	p, err := g.engine.Paper(ctx, q.PaperID)
	if err != nil {
		return nil, err
	}
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
	var ans *Answer
	if in := RecognizeIntent(standalone); in.Kind != IntentNone {
		sq := q
		sq.Text = standalone
		ans, err = g.intent(ctx, p, sq, in, modelUp, emit)
		if err != nil {
			return ans, err
		}
		if ans != nil {
			ans.SessionID = q.SessionID
			g.remember(ctx, sess, q, standalone, ans)
			return ans, nil
		}
	}
	queries := []string{standalone}
	if modelUp {
		// Every question is rewritten into the paper's vocabulary (and
		// language): readers paraphrase what papers name exactly.
		rw, err := g.rewrite(ctx, p, paperLang(p), standalone)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			g.log.Warn("rewriting the query failed; searching with the question as asked", "paper", p.ID, "err", err)
			modelUp = false
		case langOf(standalone) != paperLang(p):
			// The paper-language queries first: they are what the
			// extractive fallback searches with.
			queries = append(rw, standalone)
		default:
			queries = append(queries, rw...)
		}
	}

	if modelUp {
		// The model answers the standalone question: the follow-up as
		// asked ("what drove it?") means nothing without the history.
		sq := q
		sq.Text = standalone
		ans, err = g.generate(ctx, p, sq, queries, emit)
		if err != nil && ans == nil && errors.Is(err, ErrUpstream) && ctx.Err() == nil {
			g.log.Warn("model failed before its first token; answering extractively", "paper", p.ID, "err", err)
			err = nil
		}
		if err != nil {
			return ans, err
		}
	}
	if ans == nil {
		ans, err = g.engine.Ask(ctx, Question{PaperID: q.PaperID, Text: queries[0], Lang: q.Lang}, emit)
		if err != nil {
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
func (g *Generator) generate(ctx context.Context, p *paper.Paper, q Question, queries []string, emit Emit) (*Answer, error) {
	r, err := g.retrieveAll(ctx, p.ID, queries)
	if err != nil {
		return nil, err
	}
	return g.generateFrom(ctx, p, q, r, emit)
}

// generateFrom streams the model's answer from the sources of r. The
// model judges them itself: only retrieval below the decision's floor
// (empty or clearly irrelevant) is refused without asking it.
func (g *Generator) generateFrom(ctx context.Context, p *paper.Paper, q Question, r *Retrieved, emit Emit) (*Answer, error) {
	ans := &Answer{Mode: ModeLLM, Lang: q.Lang, Sources: r.Sources, Citations: []Citation{}}
	if ans.Sources == nil {
		ans.Sources = []Source{}
	}
	if !r.Plausible || len(r.Sources) == 0 {
		// Nothing plausible: the model would only be tempted to make
		// something up. Say so, as the extractive path does (and is).
		ans.Mode = ModeExtractive
		return g.unanswerable(ans, p, r, q.Lang, emit)
	}
	data := prompts.ModelAnswerData{Lang: q.Lang, Title: p.Title, Question: q.Text}
	allowed := make(map[int]bool)
	for _, s := range r.Sources {
		if s.Kind == SourceReference {
			data.Refs = append(data.Refs, prompts.ContextRef{N: s.N, Text: s.Text})
			allowed[s.N] = true
		} else {
			data.Abstract = append(data.Abstract, s.Text)
		}
	}
	pr, err := prompts.ModelAnswer(data)
	if err != nil {
		return nil, err
	}
	out := &answerStream{filter: newCiteFilter(allowed, emit)}
	err = g.model.StreamChat(ctx, []ChatMessage{{RoleSystem, pr.System}, {RoleUser, pr.User}}, out.write)
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
		_ = out.filter.end()
		g.fill(ans, p, out)
		return ans, fmt.Errorf("answer of %q broke off: %w", p.ID, err)
	}
	if out.notCovered {
		return g.unanswerable(ans, p, r, q.Lang, emit)
	}
	g.fill(ans, p, out)
	ans.Answerable = true
	return ans, nil
}

func (g *Generator) fill(ans *Answer, p *paper.Paper, out *answerStream) {
	ans.Answer = out.filter.out.String()
	for _, n := range out.filter.kept {
		if ref, ok := p.Reference(n); ok {
			ans.Citations = append(ans.Citations, Citation{N: ref.N, Text: ref.Text, DOI: ref.DOI})
		}
	}
	ans.DroppedCitations = out.filter.dropped
}

// unanswerable makes ans the refusal, listing r's closest sources as
// near misses; it cites nothing.
func (g *Generator) unanswerable(ans *Answer, p *paper.Paper, r *Retrieved, lang string, emit Emit) (*Answer, error) {
	var d prompts.AnswerData
	ans.Closest, d.Closest = closest(p, r, lang)
	text, err := prompts.ExtractiveAnswer(lang, d)
	if err != nil {
		return nil, err
	}
	ans.Answer, ans.Answerable, ans.Citations = text, false, []Citation{}
	if emit != nil {
		for _, d := range Pieces(text) {
			if err := emit(d); err != nil {
				return nil, err
			}
		}
	}
	return ans, nil
}

// answerStream holds back the start of a reply while it may still be
// the "not covered" marker, then passes it through the citation filter.
type answerStream struct {
	filter     *citeFilter
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
		return a.filter.write(d)
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
	return a.filter.write(strings.TrimLeft(a.held.String(), " \n\t"))
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
		if err := a.filter.write(t); err != nil {
			return err
		}
	}
	if a.notCovered {
		return nil
	}
	return a.filter.end()
}

func (a *answerStream) emitted() bool { return a.filter.out.Len() > 0 }

// retrieveAll retrieves for each query and merges the results: a source
// keeps its best score and is relevant if any query found it relevant.
func (g *Generator) retrieveAll(ctx context.Context, paperID string, queries []string) (*Retrieved, error) {
	type merged struct {
		src      Source
		relevant bool
		lexical  bool
	}
	byKey := make(map[string]*merged)
	var order []string
	out := &Retrieved{}
	for _, text := range queries {
		_, r, err := g.engine.Retrieve(ctx, paperID, text)
		if err != nil {
			return nil, err
		}
		if r.Prob >= out.Prob {
			out.Prob, out.Features = r.Prob, r.Features
		}
		out.Plausible = out.Plausible || r.Plausible
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
			if i < len(r.ranks) && r.ranks[i].lexical {
				m.lexical = true
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
	if len(all) > MaxSources {
		all = all[:MaxSources]
	}
	for i, m := range all {
		out.Sources = append(out.Sources, m.src)
		out.ranks = append(out.ranks, ranked{lexical: m.lexical, score: m.src.Score})
		if m.relevant {
			out.Relevant = append(out.Relevant, i)
		}
	}
	return out, nil
}

// complete runs a short non-streamed task (rewrite, condense, summary)
// and returns the model's whole reply.
func (g *Generator) complete(ctx context.Context, pr prompts.Prompt) (string, error) {
	var b strings.Builder
	err := g.model.StreamChat(ctx, []ChatMessage{{RoleSystem, pr.System}, {RoleUser, pr.User}}, func(d string) error {
		if b.Len() > 16<<10 {
			return fmt.Errorf("%w: reply longer than 16 KiB", ErrUpstream)
		}
		b.WriteString(d)
		return nil
	})
	return strings.TrimSpace(b.String()), err
}

// maxQueries bounds the search queries taken from a rewrite.
const maxQueries = 3

func (g *Generator) rewrite(ctx context.Context, p *paper.Paper, lang, question string) ([]string, error) {
	pr, err := prompts.Rewrite(prompts.RewriteData{Lang: lang, Title: p.Title, Question: question})
	if err != nil {
		return nil, err
	}
	reply, err := g.complete(ctx, pr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "-*•0123456789.) "))
		line = strings.Trim(line, `"“”`)
		if line == "" || utf8.RuneCountInString(line) > MaxQuestionRunes {
			continue
		}
		out = append(out, line)
		if len(out) == maxQueries {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: rewrite returned no query", ErrUpstream)
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
	reply, err := g.complete(ctx, pr)
	if err != nil {
		return "", err
	}
	reply = strings.Trim(strings.TrimSpace(strings.SplitN(reply, "\n", 2)[0]), `"“”`)
	if reply == "" || utf8.RuneCountInString(reply) > MaxQuestionRunes {
		return "", fmt.Errorf("%w: condensation returned %d characters", ErrUpstream, utf8.RuneCountInString(reply))
	}
	return reply, nil
}

// session returns q's session, or a new empty one. A session of another
// paper is not continued: its history would mislead condensation.
func (g *Generator) session(ctx context.Context, q Question) *store.Session {
	fresh := &store.Session{ID: q.SessionID, PaperID: q.PaperID}
	if q.SessionID == "" {
		return fresh
	}
	s, err := g.store.Session(ctx, q.SessionID)
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
func (g *Generator) remember(ctx context.Context, s *store.Session, q Question, standalone string, ans *Answer) {
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
	if err := g.store.PutSession(context.WithoutCancel(ctx), s); err != nil {
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

// intent answers a reader intent in model mode. Metadata, and a
// reference the paper lacks, are answered exactly from the record; the
// summary is the summary box's (the model's when one is configured); the
// conclusions and a reference are judged by the model from that part of
// the paper alone. It returns nil when the paper has no part answering
// the intent, and the extractive intent answer when the model fails
// before its first token.
func (g *Generator) intent(ctx context.Context, p *paper.Paper, q Question, in Intent, modelUp bool, emit Emit) (*Answer, error) {
	ext := intentAnswer(p, q, in)
	if ext == nil {
		return nil, nil
	}
	emitAll := func(a *Answer) (*Answer, error) {
		if emit != nil {
			for _, d := range Pieces(a.Answer) {
				if err := emit(d); err != nil {
					return nil, err
				}
			}
		}
		return a, nil
	}
	switch {
	case !modelUp || !ext.Answerable || in.Kind == IntentMetadata:
		return emitAll(ext)
	case in.Kind == IntentSummary:
		s, err := g.Summary(ctx, p.ID, q.Lang)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return emitAll(ext)
		}
		if s.Source == "llm" {
			ext.Mode = ModeLLM
			ext.Answer = s.Summary
		}
		return emitAll(ext)
	}
	r := &Retrieved{Sources: ext.Sources, Plausible: true, Prob: 1}
	for i := range ext.Sources {
		r.Relevant = append(r.Relevant, i)
		r.ranks = append(r.ranks, ranked{lexical: true, score: 1})
	}
	ans, err := g.generateFrom(ctx, p, q, r, emit)
	if err != nil && ans == nil && errors.Is(err, ErrUpstream) && ctx.Err() == nil {
		g.log.Warn("model failed before its first token; answering the intent extractively", "paper", p.ID, "err", err)
		return emitAll(ext)
	}
	return ans, err
}
