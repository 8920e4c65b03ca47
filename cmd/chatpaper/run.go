package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/dict"
	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/summary"
	"github.com/chatpaper/chatpaper/web"
)

// run is the whole program: it parses args, builds the dependencies and
// runs one command until it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = rest[0], rest[1:]
	}
	switch {
	case cmd == "help":
		return runHelp(ctx, cfg, rest, stdout)
	case len(args) == 2 && wantsHelp(args[1:]):
		// "chatpaper --help": every command, not only serve's flags.
		return runHelp(ctx, cfg, nil, stdout)
	case wantsHelp(rest):
		return runHelp(ctx, cfg, []string{cmd}, stdout)
	}
	for _, c := range commands() {
		if c.name == cmd && c.run != nil {
			return c.run(ctx, cfg, rest, stdout, stderr)
		}
	}
	fmt.Fprint(stderr, overview())
	return fmt.Errorf("unknown command %q: run \"chatpaper help\" for the commands", cmd)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// app is the set of dependencies every command shares.
type app struct {
	library *library.Library
	// answerer, summarizer and papers are extractive over the library,
	// or model mode over it (see modelMode).
	answerer   rag.Answerer
	summarizer summary.Summarizer
	suggester  summary.Suggester
	papers     web.Papers
	warmer     *summary.Warmer // nil unless model mode
	// store is the library's store (bulk ingest skips papers stored
	// unchanged; /readyz pings it; its questions log feeds the report).
	store store.Store
	// llm is the model endpoint client; nil unless model mode.
	llm *llm.Client
	// enricher is nil unless CHATPAPER_CROSSREF_URL is set; enriched
	// reindexes a paper whose enrichment changed; demoIngested says
	// openApp just stored the demo paper (so serve enriches it).
	enricher     *enrich.Enricher
	enriched     func(ctx context.Context, paperID string)
	demoIngested bool
	close        func() error
}

// openApp opens the store (PostgreSQL when cfg.DatabaseURL is set, else
// SQLite in cfg.DataDir) and wires the stack, loading no paper: papers
// load on first use, so start-up time does not grow with the catalogue.
// With withDemo, an empty store gets the bundled demo paper.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, withDemo bool) (*app, error) {
	// Load the Chinese dictionary now rather than on the first Chinese
	// question, which would otherwise wait the tens of milliseconds it takes.
	if err := dict.Load(); err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := wire(cfg, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	// An enriched paper is reindexed so answers draw on its cited works.
	a.enriched = func(ctx context.Context, id string) {
		if err := a.library.Reindex(ctx, id); err != nil && ctx.Err() == nil {
			log.Warn("reindex after enrichment failed; the paper is served without it until reloaded", "paper", id, "err", err)
		}
	}
	if a.enricher, err = newEnricher(cfg, st, log, a.enriched); err != nil {
		st.Close()
		return nil, err
	}
	a.close = func() error {
		// Background work stops before the store it writes to.
		if a.warmer != nil {
			a.warmer.Close()
		}
		if a.enricher != nil {
			a.enricher.Close()
		}
		return st.Close()
	}
	if withDemo {
		has, err := st.HasPapers(ctx)
		if err != nil {
			a.close()
			return nil, err
		}
		if !has {
			switch err := a.papers.Ingest(ctx, paper.Demo()); {
			case errors.Is(err, rag.ErrUpstream):
				// The embedding endpoint is down: serve anyway, it is
				// used once it is up; the demo comes with the next start.
				log.Warn("demo paper not ingested: the embedding endpoint failed", "err", err)
			case err != nil:
				a.close()
				return nil, fmt.Errorf("ingest demo paper: %w", err)
			default:
				a.demoIngested = true
				log.Info("ingested the demo paper", "paper", paper.DemoID)
			}
		}
	}
	return a, nil
}

func runServe(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env CHATPAPER_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	fs.BoolVar(&cfg.KeylessAdmin, "keyless-admin", cfg.KeylessAdmin,
		"serve admin endpoints without a key to clients on this machine; needs a loopback --addr (env CHATPAPER_KEYLESS_ADMIN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if cfg.MemoryOverheadMB > 0 && !cfg.GoMemLimitSet {
		limit := int64(cfg.CacheMB+cfg.MemoryOverheadMB) << 20
		debug.SetMemoryLimit(limit)
		log.Info("soft memory limit", "mib", limit>>20)
	}
	adminKeys, keyNote, err := adminAccess(cfg, log)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.close()

	conns := connLimits(cfg, log)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	// Sockets drains the websockets at shutdown; life ends them for good
	// once the drain is over or out of time.
	m := metrics.New()
	ready := map[string]web.Checker{"store": web.CheckerFunc(a.store.Ping)}
	if a.llm != nil {
		a.llm.CountTokens(m)
		ready["model"] = a.llm
		// Say at once when the endpoint cannot serve (down, key refused,
		// model not pulled), not only when /readyz is probed. Answers
		// fall back to extractive meanwhile; nothing needs a restart.
		checked := make(chan struct{})
		defer func() { <-checked }()
		go func() {
			defer close(checked)
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := a.llm.Check(cctx); err != nil && ctx.Err() == nil {
				log.Warn("model endpoint not ready; answers are extractive until it is", "err", err)
			}
		}()
	}
	sockets := web.NewSockets(cfg.MaxSocketsPerIP, m)
	life, endLife := context.WithCancel(context.Background())
	defer endLife()
	var questions store.QuestionLog
	if cfg.QuestionRetentionDays > 0 {
		questions = a.store
		stopPrune := pruneQuestions(ctx, a.store, time.Duration(cfg.QuestionRetentionDays)*24*time.Hour, log)
		defer stopPrune()
	}
	papers := a.papers
	if a.enricher != nil {
		a.enricher.Start()
		papers = enrichingPapers{a.papers, a.enricher}
		if a.demoIngested {
			a.enricher.Enqueue(paper.DemoID)
		}
	}
	handler := web.New(web.Deps{
		Papers: papers, Answerer: a.answerer, Summarizer: a.summarizer, Suggester: a.suggester, Searcher: a.library, Log: log,
		Questions: questions,
		WS:        web.WSOptions{Sessions: a.warmer != nil, Lifetime: life, Sockets: sockets, FramesPerSecond: float64(cfg.WSFramesPerSecond)},
		Hashes:    a.store,
		Metrics:   m,
		Security: web.Security{
			AdminKeys: adminKeys, AdminHosts: cfg.AdminHosts, SiteKeys: cfg.SiteKeys, AllowedOrigins: cfg.AllowedOrigins,
			AskRate: cfg.AskRate, MaxSocketsPerIP: cfg.MaxSocketsPerIP, TrustedProxies: cfg.TrustedProxies,
		},
		Ready: ready,
		Conns: conns,
	})
	srv := web.NewHTTPServer(handler, conns)
	ln = web.LimitListener(ln, conns, m)
	// Tests and scripts read this line to learn the port of :0.
	fmt.Fprintf(stdout, "chatpaper: serving on http://%s\n", ln.Addr())
	if keyNote != "" {
		fmt.Fprintln(stdout, "chatpaper: "+keyNote)
	}
	log.Info("serving", "addr", ln.Addr().String(), "data", cfg.DataDir)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Shutdown does not see hijacked connections: the websockets are
	// drained (answers finish, then 1001 going away) alongside it.
	drained := make(chan error, 1)
	go func() { drained <- sockets.Shutdown(sctx) }()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-drained; err != nil {
		log.Warn("websockets still open at the shutdown deadline", "open", sockets.Open())
	}
	endLife()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// fdReserve is the open files kept for the store, the model endpoint and
// logs when the connection cap is lowered to fit the open-file limit.
const fdReserve = 128

// connLimits returns the connection limits from cfg, after raising the
// open-file limit as far as allowed; a connection cap the limit cannot
// hold is lowered to fit, so that /healthz and the store keep working
// when every connection is taken.
func connLimits(cfg config.Config, log *slog.Logger) web.ConnLimits {
	l := web.ConnLimits{
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, IdleTimeout: cfg.IdleTimeout, BodyTimeout: cfg.BodyTimeout,
		MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, Proxies: cfg.TrustedProxies,
	}
	nofile, err := raiseOpenFiles()
	if err != nil {
		log.Warn("could not raise the open-file limit", "limit", nofile, "err", err)
	}
	if nofile == 0 {
		return l
	}
	// Over-cap connections still take files while they are answered.
	fit := int(min(nofile, 1<<30)) - fdReserve - web.MaxOverflowConns
	if fit < 16 {
		fit = 16
	}
	if l.MaxConns == 0 || l.MaxConns > fit {
		log.Warn("connection cap lowered to fit the open-file limit", "max_conns", fit, "configured", l.MaxConns, "nofile", nofile)
		l.MaxConns = fit
	}
	log.Debug("connection limits", "max_conns", l.MaxConns, "max_conns_per_ip", l.MaxConnsPerIP, "nofile", nofile)
	return l
}

// adminAccess returns the admin keys serve requires and a line telling
// the operator where the key is: the configured keys; none with
// KeylessAdmin (admin endpoints then serve this machine's clients only);
// otherwise the key in the data folder, generated on first start.
func adminAccess(cfg config.Config, log *slog.Logger) (keys []string, note string, err error) {
	switch {
	case len(cfg.AdminKeys) > 0:
		return cfg.AdminKeys, "", nil
	case cfg.KeylessAdmin:
		log.Warn("admin endpoints need no key: clients on this machine may ingest and delete papers")
		return nil, "admin endpoints need no key (keyless admin, loopback clients only)", nil
	}
	key, path, created, err := loadAdminKey(cfg.DataDir)
	if err != nil {
		return nil, "", err
	}
	what := "admin key in "
	if created {
		what = "generated an admin key in "
	}
	log.Info("admin key", "path", path, "generated", created)
	return []string{key}, what + path + " (send it as Authorization: Bearer KEY)", nil
}

func runAsk(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ask", stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	pid := fs.String("paper", paper.DemoID, "paper id")
	lang := fs.String("lang", "", "answer language, en_US or zh_CN (default: the question's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr), true)
	if err != nil {
		return err
	}
	defer a.close()
	if err := checkPaper(ctx, a.papers, cfg, *pid); err != nil {
		return err
	}
	ans, err := a.answerer.Ask(ctx, rag.Question{PaperID: *pid, Text: q, Lang: *lang}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, ans.Answer)
	if len(ans.Citations) > 0 {
		fmt.Fprintln(stdout)
		for _, c := range ans.Citations {
			fmt.Fprintf(stdout, "[%d] %s\n", c.N, c.Text)
		}
	}
	if !ans.Answerable {
		fmt.Fprintln(stdout, "(not answerable from this paper)")
	}
	return nil
}

func runEval(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	qa := fs.String("qa", "", "QA set in JSONL form")
	pid := fs.String("paper", "", "ask every question on this paper (default: each item's paper)")
	beir := fs.String("beir", "", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) for a corpus retrieval run")
	pairs := fs.String("pairs", "", "folder of *_zh.txt/*_en.txt parallel documents for bilingual pair ranking")
	calibrate := fs.String("calibrate", "", "folder with pubmedqa/ and beir-scifact/ to fit the answerability decision on (its train split) and score it")
	calTable := fs.String("calibrate-table", "", "with --calibrate: also write the measured feature table (CSV) here")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	bodies := fs.String("bodies", "on", "QA with the papers' full text (on), with abstract and references only (off), or both in one run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *bodies {
	case "on", "off", "both":
	default:
		return fmt.Errorf("eval: -bodies %q must be on, off or both", *bodies)
	}
	if *qa == "" && *beir == "" && *pairs == "" && *calibrate == "" {
		return errors.New("eval: give at least one of --qa FILE, --beir FOLDER, --pairs FOLDER, --calibrate FOLDER")
	}
	var out struct {
		QA *eval.Report `json:"qa,omitempty"`
		// QANoBody is the QA set run with bodies switched off.
		QANoBody    *eval.Report          `json:"qa_no_body,omitempty"`
		BEIR        *eval.RetrievalReport `json:"beir,omitempty"`
		Pairs       *eval.PairReport      `json:"pairs,omitempty"`
		Calibration *eval.Calibration     `json:"calibration,omitempty"`
	}
	if *calibrate != "" {
		pairs, err := eval.LoadCalibration(*calibrate)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		emb := embed.NewLocal(0)
		rows, err := eval.MeasureCalibration(ctx, pairs, emb)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if *calTable != "" {
			if err := writeCalTable(*calTable, rows); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
		out.Calibration = eval.Calibrate(rows, emb.Name())
	}
	if *qa != "" {
		f, err := os.Open(*qa)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		items, err := eval.LoadQA(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		a, err := openApp(ctx, cfg, newLogger(cfg, stderr), true)
		if err != nil {
			return err
		}
		defer a.close()
		if *pid != "" {
			if err := checkPaper(ctx, a.papers, cfg, *pid); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
		if *bodies != "off" {
			if out.QA, err = eval.RunQA(ctx, a.answerer, items, *pid); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
		if *bodies != "on" {
			if out.QANoBody, err = runQANoBody(ctx, cfg, a, items, *pid); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
	}
	if *beir != "" {
		b, err := eval.LoadBEIR(*beir)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		out.BEIR = eval.RunBEIR(b, filepath.Base(filepath.Clean(*beir)), eval.BEIRConfigs())
	}
	if *pairs != "" {
		ps, err := eval.LoadPairs(*pairs)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		out.Pairs = eval.RunPairs(ps, eval.PairConfigs())
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if out.Calibration != nil {
		fmt.Fprintln(stdout, "answerability calibration", *calibrate)
		if err := out.Calibration.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if out.QA != nil {
		fmt.Fprintln(stdout, "QA set", *qa)
		if err := out.QA.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if out.QANoBody != nil {
		fmt.Fprintln(stdout, "QA set", *qa, "with bodies switched off (abstract and references only)")
		if err := out.QANoBody.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if out.BEIR != nil {
		if err := out.BEIR.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if out.Pairs != nil {
		fmt.Fprintln(stdout, "bilingual pairs", *pairs)
		if err := out.Pairs.WriteTable(stdout); err != nil {
			return err
		}
	}
	return nil
}

func writeCalTable(path string, rows []eval.CalRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := eval.WriteCalRows(f, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
