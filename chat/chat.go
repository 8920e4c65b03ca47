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
	AppendTurn(ctx context.Context, id, paperID string, t store.Turn, maxTurns int) error
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
	// MaxTokens caps an answer's length in tokens; 0 leaves it to the
	// endpoint. An answer cut there is marked Truncated.
	MaxTokens int
	// Log receives warnings; nil discards them.
	Log *slog.Logger
	// Summarize gives the summary box (the model's, in model mode) that
	// answers "What is this paper about?"; nil answers it extractively.
	Summarize rag.Summarize
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
// earlier turns into a standalone question; a reader intent (summary,
// conclusions, metadata, reference N) is answered from the paper's
// structure (intent); any other question is rewritten into one to three
// search queries in the paper's language and vocabulary; the retrieval
// of all queries is merged; when it is below the calibrated floor (empty
// or clearly irrelevant) the model is not called and the answer is
// Answerable false; otherwise the model judges the numbered context,
// answering from it (citations outside it are removed as they stream
// and reported in DroppedCitations) or replying NOT_COVERED, which
// becomes the refusal, with no citation.
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
	rag.ReportStage(ctx, rag.StageSearching)
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
		rag.ReportStage(ctx, rag.StageCondensing)
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
	var ans *rag.Answer
	if in := rag.RecognizeIntent(standalone); in.Kind != rag.IntentNone {
		sq := q
		sq.Text = standalone
		ans, err = g.intent(ctx, lp, sq, in, modelUp, emit)
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
		pl := paperLang(p)
		rag.ReportStage(ctx, rag.StageRewriting)
		rw, err := g.rewrite(ctx, p, pl, standalone)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			g.log.Warn("rewriting the query failed; searching with the question as asked", "paper", p.ID, "err", err)
			modelUp = false
		case rag.LangOf(standalone) != pl:
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
	rag.ReportStage(ctx, rag.StageSearching)
	r, err := g.retrieveAll(ctx, lp, queries)
	if err != nil {
		return nil, err
	}
	return g.generateFrom(ctx, lp, q, r, emit)
}

// generateFrom streams the model's answer from the sources of r. The
// model judges them itself: only retrieval below the decision's floor
// (empty or clearly irrelevant) is refused without asking it.
func (g *Generator) generateFrom(ctx context.Context, lp *library.Loaded, q rag.Question, r *rag.Retrieved, emit rag.Emit) (*rag.Answer, error) {
	p := lp.Paper()
	ans := &rag.Answer{Mode: rag.ModeLLM, Lang: q.Lang, Sources: r.Sources, Citations: []rag.Citation{}}
	if ans.Sources == nil {
		ans.Sources = []rag.Source{}
	}
	if !r.Plausible || len(r.Sources) == 0 {
		// Nothing plausible: the model would only be tempted to make
		// something up. Say so, as the extractive path does (and is).
		ans.Mode = rag.ModeExtractive
		return g.unanswerable(ans, lp, r, q.Lang, emit)
	}
	data := prompts.ModelAnswerData{Lang: q.Lang, Title: p.Title, Question: q.Text}
	data.Refs, data.Abstract = rag.ContextOf(p, r.Sources)
	allowed := make(map[int]bool)
	for _, c := range data.Refs {
		allowed[c.N] = true
	}
	for _, s := range r.Sources {
		if s.Kind == rag.SourceBody || s.Kind == rag.SourceCaption {
			// A passage that cites [n] makes [n] citable: the model
			// sees the number with the passage.
			data.Body = append(data.Body, prompts.ContextPassage{Section: s.Section, Text: s.Text, Cites: s.Cites})
			for _, n := range s.Cites {
				allowed[n] = true
			}
		}
	}
	pr, err := prompts.ModelAnswer(data)
	if err != nil {
		return nil, err
	}
	out := &answerStream{filter: rag.NewCiteFilter(allowed, emit)}
	rag.ReportStage(ctx, rag.StageWriting)
	res, err := g.model.StreamChat(ctx, rag.ChatRequest{Messages: []rag.ChatMessage{{Role: rag.RoleSystem, Content: pr.System}, {Role: rag.RoleUser, Content: pr.User}}, MaxTokens: g.opts.MaxTokens}, out.write)
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
		return g.unanswerable(ans, lp, r, q.Lang, emit)
	}
	g.fill(ans, p, out)
	ans.Answerable = true
	ans.Truncated = res.Truncated
	return ans, nil
}

func (g *Generator) fill(ans *rag.Answer, p *paper.Paper, out *answerStream) {
	ans.Answer = out.filter.Text()
	for _, n := range out.filter.Kept() {
		if ref, ok := p.Reference(n); ok {
			ans.Citations = append(ans.Citations, rag.CitationOf(ref))
		}
	}
	ans.DroppedCitations = out.filter.Dropped()
	ans.Notice = rag.Notice(ans.Lang, ans.Citations)
}

// unanswerable makes ans the refusal, listing r's closest sources as
// near misses; it cites nothing.
func (g *Generator) unanswerable(ans *rag.Answer, lp *library.Loaded, r *rag.Retrieved, lang string, emit rag.Emit) (*rag.Answer, error) {
	d := prompts.AnswerData{FullText: lp.Paper().Body != nil}
	ans.Closest, d.Closest = rag.Closest(lp, r, lang)
	text, err := prompts.ExtractiveAnswer(lang, d)
	if err != nil {
		return nil, err
	}
	ans.Answer, ans.Answerable, ans.Citations = text, false, []rag.Citation{}
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
		lexical  bool
	}
	byKey := make(map[string]*merged)
	var order []string
	out := &rag.Retrieved{}
	for _, text := range queries {
		r, err := g.retriever.Retrieve(ctx, lp, text)
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
			if r.Lexical(i) {
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
	if len(all) > rag.MaxSources {
		all = all[:rag.MaxSources]
	}
	for _, m := range all {
		out.Append(m.src, m.relevant, m.lexical)
	}
	return out, nil
}

// taskMaxTokens caps the reply to a rewrite (three queries) or a
// condensation (one question), far above what either needs: it stops a
// model that rambles from holding the endpoint.
const taskMaxTokens = 256

// maxQueries bounds the search queries taken from a rewrite.
const maxQueries = 3

func (g *Generator) rewrite(ctx context.Context, p *paper.Paper, lang, question string) ([]string, error) {
	pr, err := prompts.Rewrite(prompts.RewriteData{Lang: lang, Title: p.Title, Question: question})
	if err != nil {
		return nil, err
	}
	reply, _, err := rag.Complete(ctx, g.model, pr, rag.ChatRequest{MaxTokens: taskMaxTokens})
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
	reply, _, err := rag.Complete(ctx, g.model, pr, rag.ChatRequest{MaxTokens: taskMaxTokens})
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
	s.Turns = trimTurns(s.Turns, g.opts.MaxTurns, g.opts.HistoryRunes)
	return s
}

// remember appends the turn to its session in the store, in one atomic
// step, so a concurrent ask on the same session (another tab, a retry)
// cannot overwrite it; the store keeps the last MaxTurns turns and
// session trims them to HistoryRunes when they are read. A failure to
// store is logged: the reader has the answer, only the next follow-up
// loses context.
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
	turn := store.Turn{Question: standalone, Answer: ans.Answer, Lang: q.Lang, Cited: cited}
	if err := g.sessions.AppendTurn(context.WithoutCancel(ctx), s.ID, q.PaperID, turn, g.opts.MaxTurns); err != nil {
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
// summary is the summary box's (the model's when Options.Summarize is
// set; without it the question goes through retrieval); the
// conclusions and a reference are judged by the model from
// that part of the paper alone. It returns nil when the paper has no
// part answering the intent, and the extractive intent answer when the
// model fails before its first token.
func (g *Generator) intent(ctx context.Context, lp *library.Loaded, q rag.Question, in rag.Intent, modelUp bool, emit rag.Emit) (*rag.Answer, error) {
	p := lp.Paper()
	var sum *paper.Summary
	if in.Kind == rag.IntentSummary && g.opts.Summarize != nil {
		s, err := g.opts.Summarize(ctx, p.ID, q.Lang)
		if err != nil {
			return nil, err
		}
		sum = s
	}
	ext := rag.IntentAnswer(p, q, in, sum)
	if ext == nil {
		return nil, nil
	}
	if sum != nil && sum.Source == "llm" {
		ext.Mode = rag.ModeLLM
	}
	if !modelUp || !ext.Answerable || in.Kind == rag.IntentMetadata || in.Kind == rag.IntentSummary {
		return emitted(ext, emit)
	}
	r := &rag.Retrieved{Plausible: true, Prob: 1}
	for _, s := range ext.Sources {
		r.Append(s, true, true)
	}
	ans, err := g.generateFrom(ctx, lp, q, r, emit)
	if err != nil && ans == nil && errors.Is(err, rag.ErrUpstream) && ctx.Err() == nil {
		g.log.Warn("model failed before its first token; answering the intent extractively", "paper", p.ID, "err", err)
		return emitted(ext, emit)
	}
	return ans, err
}

func emitted(a *rag.Answer, emit rag.Emit) (*rag.Answer, error) {
	if err := rag.EmitPieces(a.Answer, emit); err != nil {
		return nil, err
	}
	return a, nil
}
