// Package config reads ChatPaper's settings from the environment in one
// place. Nothing else in the program reads environment variables.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting ChatPaper takes from the environment. Flags
// given on the command line override the matching fields.
type Config struct {
	// Addr is the listen address (CHATPAPER_ADDR, default 127.0.0.1:8080).
	Addr string
	// DataDir holds the embedded store (CHATPAPER_DATA, default ./data).
	DataDir string
	// EmbedDim is the local embedder's dimension (CHATPAPER_EMBED_DIM,
	// default 1024).
	EmbedDim int
	// ShutdownTimeout bounds graceful shutdown (CHATPAPER_SHUTDOWN_TIMEOUT,
	// default 10s).
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error (CHATPAPER_LOG_LEVEL,
	// default info).
	LogLevel string
	// RerankURL, when set, is a reranking endpoint retrieval reorders
	// its best passages with (CHATPAPER_RERANK_URL, e.g.
	// http://127.0.0.1:8081/rerank; default none).
	RerankURL string
	// RerankAPI is the endpoint's form, tei or cohere
	// (CHATPAPER_RERANK_API, default tei).
	RerankAPI string
	// RerankModel is sent to cohere-form endpoints
	// (CHATPAPER_RERANK_MODEL).
	RerankModel string
	// RerankTimeout bounds one rerank call (CHATPAPER_RERANK_TIMEOUT,
	// default 5s); on timeout the fused ranking is used.
	RerankTimeout time.Duration
	// DatabaseURL, when set, selects the PostgreSQL store instead of the
	// embedded one (CHATPAPER_DATABASE_URL, a postgres:// URL or
	// key=value connection string).
	DatabaseURL string
	// CachePapers bounds how many papers stay loaded in memory
	// (CHATPAPER_CACHE_PAPERS, default 1000).
	CachePapers int
	// CacheMB bounds the approximate memory of loaded papers in MiB
	// (CHATPAPER_CACHE_MB, default 512).
	CacheMB int
	// CacheRevalidate is how long a loaded paper is used before the store
	// is asked whether it changed (CHATPAPER_CACHE_REVALIDATE, default
	// 2s): the staleness bound across replicas. 0 or negative never
	// checks.
	CacheRevalidate time.Duration
	// MemoryOverheadMB is the heap the server may use besides the cache,
	// in MiB (CHATPAPER_MEMORY_OVERHEAD_MB, default 192): serve sets the
	// Go runtime's soft memory limit to CacheMB plus this, so the
	// collector's headroom does not double the cache's footprint. The
	// catalogue search index, the dictionary and answers in flight live
	// in it. 0 sets no limit; so does a GOMEMLIMIT in the environment,
	// which the runtime applies itself.
	MemoryOverheadMB int
	// GoMemLimitSet reports whether GOMEMLIMIT was set.
	GoMemLimitSet bool

	// MaxReferences bounds one paper's references at ingest
	// (CHATPAPER_MAX_REFERENCES, default 5000, at most 50000).
	MaxReferences int
	// MaxPaperBytes bounds one paper's text, all fields together, at
	// ingest (CHATPAPER_MAX_PAPER_BYTES, default 2097152, 2 MiB).
	MaxPaperBytes int
	// MaxBodyPassages bounds one paper's body passages at ingest
	// (CHATPAPER_MAX_BODY_PASSAGES, default 2000).
	MaxBodyPassages int

	// LLM configures model mode; see LLMConfig.
	LLM LLMConfig
	// Chat configures model mode's sessions and summaries; see
	// ChatConfig.
	Chat ChatConfig

	// Crossref configures reference enrichment; see CrossrefConfig.
	Crossref CrossrefConfig

	// AdminKeys are the API keys that may ingest and delete papers
	// (CHATPAPER_ADMIN_KEYS, comma-separated). With none, serve uses the
	// key in the data folder's admin.key, generating it on first start,
	// unless KeylessAdmin is set.
	AdminKeys []string
	// KeylessAdmin, with no AdminKeys, serves the admin endpoints without
	// a key to clients on this machine only, for development
	// (CHATPAPER_KEYLESS_ADMIN=1 or serve --keyless-admin; default off).
	// It needs a loopback listen address.
	KeylessAdmin bool
	// AdminHosts are host names, besides loopback names, that keyless
	// admin requests may be addressed to (CHATPAPER_ADMIN_HOSTS,
	// comma-separated; default none).
	AdminHosts []string
	// SiteKeys, when set, are required on the reader endpoints
	// (CHATPAPER_SITE_KEYS, comma-separated; default none: open).
	SiteKeys []string
	// AllowedOrigins are the web origins (scheme://host[:port]) whose
	// pages may call the API and open the websocket, besides the
	// server's own (CHATPAPER_ALLOWED_ORIGINS, comma-separated; "*"
	// allows any; default none: same-origin only).
	AllowedOrigins []string
	// AskRate is how many questions one client IP may ask per minute over
	// REST and websocket together (CHATPAPER_ASK_RATE, default 30; 0 turns
	// the limit off).
	AskRate int
	// MaxSocketsPerIP bounds the open websockets of one client IP
	// (CHATPAPER_MAX_SOCKETS_PER_IP, default 20; 0 = no limit).
	MaxSocketsPerIP int
	// WSFramesPerSecond bounds the frames one websocket may send per
	// second, bursts of twice that allowed (CHATPAPER_WS_FRAMES_PER_SECOND,
	// default 10); frames beyond it get a rate_limited error frame.
	WSFramesPerSecond int
	// ReadHeaderTimeout bounds reading a request's headers
	// (CHATPAPER_READ_HEADER_TIMEOUT, default 10s).
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request (CHATPAPER_IDLE_TIMEOUT, default 60s).
	IdleTimeout time.Duration
	// BodyTimeout bounds reading a request body, websockets aside
	// (CHATPAPER_BODY_TIMEOUT, default 60s).
	BodyTimeout time.Duration
	// MaxConns bounds the open connections, websockets included
	// (CHATPAPER_MAX_CONNS, default 4096; 0 = no limit). Serve lowers it
	// to fit the open-file limit.
	MaxConns int
	// MaxConnsPerIP bounds one client address's open connections
	// (CHATPAPER_MAX_CONNS_PER_IP, default 256; 0 = no limit).
	MaxConnsPerIP int
	// TrustedProxies are the networks (CIDRs or addresses) whose
	// X-Forwarded-For header is believed (CHATPAPER_TRUSTED_PROXIES,
	// comma-separated; default none: the client is the peer address).
	TrustedProxies []netip.Prefix

	// QuestionRetentionDays is how many days the questions report keeps
	// each asked question (CHATPAPER_QUESTION_RETENTION_DAYS, default
	// 180; 0 records no questions at all). Reader IPs are never kept.
	QuestionRetentionDays int
}

// LLMConfig is the OpenAI-compatible endpoint behind model mode. With
// BaseURL empty ChatPaper works offline: local embedder, extractive
// answers and summaries.
type LLMConfig struct {
	// BaseURL is the endpoint, ending in /v1 or the provider's
	// equivalent (CHATPAPER_LLM_BASE_URL, default empty: model mode off).
	BaseURL string
	// APIKey is sent as a bearer token (CHATPAPER_LLM_API_KEY, falling
	// back to OPENAI_API_KEY). Local servers such as Ollama need none.
	APIKey string
	// Model names the chat model (CHATPAPER_LLM_MODEL, default
	// gpt-4o-mini).
	Model string
	// EmbedModel names the embedding model (CHATPAPER_EMBED_MODEL,
	// default empty: the local embedder).
	EmbedModel string
	// EmbedBatch is the most texts sent in one embeddings request
	// (CHATPAPER_EMBED_BATCH, default 10, DashScope's limit).
	EmbedBatch int
	// Timeout bounds one whole model request (CHATPAPER_LLM_TIMEOUT,
	// default 120s).
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait for an answer's first token,
	// retries included; past it the reader gets the extractive answer
	// (CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT, default 15s).
	FirstTokenTimeout time.Duration
	// Retries is how many times a request refused with 429 or 5xx is
	// retried before its first token (CHATPAPER_LLM_RETRIES, default 2).
	Retries int
	// MaxTokens caps an answer's length in tokens
	// (CHATPAPER_LLM_MAX_TOKENS, default 1024; 0 leaves it to the
	// endpoint). An answer cut there is marked truncated.
	MaxTokens int
	// SummaryMaxTokens caps a model summary's length in tokens
	// (CHATPAPER_SUMMARY_MAX_TOKENS, default 600), so summaries made in
	// the background hold the model only briefly.
	SummaryMaxTokens int
	// Concurrency bounds the chat requests sent to the endpoint at once
	// (CHATPAPER_LLM_CONCURRENCY, default 4; 0 = no bound). Set it to
	// the server's parallel slots (Ollama's OLLAMA_NUM_PARALLEL,
	// llama.cpp's --parallel): readers' requests then go first and
	// background summaries give way to them.
	Concurrency int
	// Backoff is the first retry's delay, doubled each retry with
	// jitter (CHATPAPER_LLM_BACKOFF, default 500ms).
	Backoff time.Duration
	// Temperature of chat completions (default 0.2: answers should
	// stick to the context).
	Temperature float32
}

// ChatConfig tunes model mode beyond the endpoint. It is not read from
// the environment; its defaults are the one place these values live.
type ChatConfig struct {
	// MaxTurns is how many earlier turns a session keeps (default 6).
	MaxTurns int
	// HistoryRunes bounds the kept turns' questions and answers
	// together, in characters (default 6000, about 2000 tokens).
	HistoryRunes int
	// SummaryCooldown is how long after a failed model summary the
	// extractive one is served without asking again (default 1m).
	SummaryCooldown time.Duration
	// WarmWorkers, WarmQueue, WarmAttempts and WarmBackoff bound the
	// background summary warmer: concurrent generations (default 2),
	// waiting papers (default 64), tries per paper (default 4) and the
	// first retry's delay, doubled after each (default 30s).
	WarmWorkers  int
	WarmQueue    int
	WarmAttempts int
	WarmBackoff  time.Duration
}

// CrossrefConfig is the registry that references are enriched from.
// With URL empty enrichment is off, as it must be offline.
type CrossrefConfig struct {
	// URL is the API root (CHATPAPER_CROSSREF_URL, e.g.
	// https://api.crossref.org or a mirror; default empty: off).
	URL string
	// Mailto is the contact address sent in the User-Agent, which
	// Crossref asks of polite clients (CHATPAPER_CROSSREF_MAILTO).
	Mailto string
	// Timeout bounds one request (CHATPAPER_CROSSREF_TIMEOUT, default 10s).
	Timeout time.Duration
	// Concurrency bounds requests in flight per process
	// (CHATPAPER_CROSSREF_CONCURRENCY, default 2).
	Concurrency int
	// Retries is how often a request answered 429 or 5xx is retried
	// (CHATPAPER_CROSSREF_RETRIES, default 3); the paper is tried again
	// later after that.
	Retries int
	// MaxAge is how long a fetched work is trusted before it is fetched
	// again, to learn of later retractions (CHATPAPER_CROSSREF_MAX_AGE,
	// default 720h).
	MaxAge time.Duration
	// Backoff is how long a paper whose enrichment the registry could
	// not serve waits before it is tried again, doubled each time, six
	// tries in all (CHATPAPER_CROSSREF_BACKOFF, default 1m).
	Backoff time.Duration
}

// Enabled reports whether enrichment is configured.
func (c CrossrefConfig) Enabled() bool { return c.URL != "" }

// Enabled reports whether model mode is configured.
func (l LLMConfig) Enabled() bool { return l.BaseURL != "" }

// Defaults returns the configuration with every default and nothing
// read from the environment.
func Defaults() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./data",
		EmbedDim:          1024,
		ShutdownTimeout:   10 * time.Second,
		LogLevel:          "info",
		CachePapers:       1000,
		CacheMB:           512,
		CacheRevalidate:   2 * time.Second,
		MemoryOverheadMB:  192,
		WSFramesPerSecond: 10,
		MaxReferences:     5000,
		MaxPaperBytes:     2 << 20,
		MaxBodyPassages:   2000,
		LLM: LLMConfig{
			Model:             "gpt-4o-mini",
			EmbedBatch:        10,
			Timeout:           120 * time.Second,
			FirstTokenTimeout: 15 * time.Second,
			Retries:           2,
			MaxTokens:         1024,
			SummaryMaxTokens:  600,
			Concurrency:       4,
			Backoff:           500 * time.Millisecond,
			Temperature:       0.2,
		},
		Chat: ChatConfig{
			MaxTurns: 6, HistoryRunes: 6000, SummaryCooldown: time.Minute,
			WarmWorkers: 2, WarmQueue: 64, WarmAttempts: 4, WarmBackoff: 30 * time.Second,
		},
		Crossref: CrossrefConfig{
			Timeout:     10 * time.Second,
			Concurrency: 2,
			Retries:     3,
			MaxAge:      720 * time.Hour,
			Backoff:     time.Minute,
		},
		RerankAPI:         "tei",
		RerankTimeout:     5 * time.Second,
		AskRate:           30,
		MaxSocketsPerIP:   20,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		BodyTimeout:       60 * time.Second,
		MaxConns:          4096,
		MaxConnsPerIP:     256,

		QuestionRetentionDays: 180,
	}
}

// Load reads the configuration: defaults first, then the environment
// through getenv, then validation. Errors name the offending variable.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	str(getenv, "CHATPAPER_ADDR", &c.Addr)
	str(getenv, "CHATPAPER_DATA", &c.DataDir)
	str(getenv, "CHATPAPER_LOG_LEVEL", &c.LogLevel)
	str(getenv, "CHATPAPER_RERANK_URL", &c.RerankURL)
	str(getenv, "CHATPAPER_RERANK_API", &c.RerankAPI)
	str(getenv, "CHATPAPER_RERANK_MODEL", &c.RerankModel)
	if err := duration(getenv, "CHATPAPER_RERANK_TIMEOUT", &c.RerankTimeout); err != nil {
		return c, err
	}
	str(getenv, "CHATPAPER_DATABASE_URL", &c.DatabaseURL)
	if err := integer(getenv, "CHATPAPER_CACHE_PAPERS", &c.CachePapers); err != nil {
		return c, err
	}
	if err := integer(getenv, "CHATPAPER_CACHE_MB", &c.CacheMB); err != nil {
		return c, err
	}
	if err := duration(getenv, "CHATPAPER_CACHE_REVALIDATE", &c.CacheRevalidate); err != nil {
		return c, err
	}
	if err := integer(getenv, "CHATPAPER_MEMORY_OVERHEAD_MB", &c.MemoryOverheadMB); err != nil {
		return c, err
	}
	c.GoMemLimitSet = getenv("GOMEMLIMIT") != ""
	for key, dst := range map[string]*int{
		"CHATPAPER_MAX_REFERENCES": &c.MaxReferences, "CHATPAPER_MAX_PAPER_BYTES": &c.MaxPaperBytes, "CHATPAPER_MAX_BODY_PASSAGES": &c.MaxBodyPassages,
	} {
		if err := integer(getenv, key, dst); err != nil {
			return c, err
		}
	}
	if err := integer(getenv, "CHATPAPER_EMBED_DIM", &c.EmbedDim); err != nil {
		return c, err
	}
	if err := integer(getenv, "CHATPAPER_QUESTION_RETENTION_DAYS", &c.QuestionRetentionDays); err != nil {
		return c, err
	}
	if err := duration(getenv, "CHATPAPER_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout); err != nil {
		return c, err
	}
	if err := loadLLM(getenv, &c.LLM); err != nil {
		return c, err
	}
	if err := c.loadSecurity(getenv); err != nil {
		return c, err
	}
	if err := loadCrossref(getenv, &c.Crossref); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func loadLLM(getenv func(string) string, l *LLMConfig) error {
	str(getenv, "CHATPAPER_LLM_BASE_URL", &l.BaseURL)
	str(getenv, "OPENAI_API_KEY", &l.APIKey)
	str(getenv, "CHATPAPER_LLM_API_KEY", &l.APIKey)
	str(getenv, "CHATPAPER_LLM_MODEL", &l.Model)
	str(getenv, "CHATPAPER_EMBED_MODEL", &l.EmbedModel)
	if err := integer(getenv, "CHATPAPER_EMBED_BATCH", &l.EmbedBatch); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_LLM_RETRIES", &l.Retries); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_LLM_MAX_TOKENS", &l.MaxTokens); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_SUMMARY_MAX_TOKENS", &l.SummaryMaxTokens); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_LLM_CONCURRENCY", &l.Concurrency); err != nil {
		return err
	}
	if err := duration(getenv, "CHATPAPER_LLM_TIMEOUT", &l.Timeout); err != nil {
		return err
	}
	if err := duration(getenv, "CHATPAPER_LLM_BACKOFF", &l.Backoff); err != nil {
		return err
	}
	return duration(getenv, "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT", &l.FirstTokenTimeout)
}

func loadCrossref(getenv func(string) string, x *CrossrefConfig) error {
	str(getenv, "CHATPAPER_CROSSREF_URL", &x.URL)
	str(getenv, "CHATPAPER_CROSSREF_MAILTO", &x.Mailto)
	if err := duration(getenv, "CHATPAPER_CROSSREF_TIMEOUT", &x.Timeout); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_CROSSREF_CONCURRENCY", &x.Concurrency); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_CROSSREF_RETRIES", &x.Retries); err != nil {
		return err
	}
	if err := duration(getenv, "CHATPAPER_CROSSREF_BACKOFF", &x.Backoff); err != nil {
		return err
	}
	return duration(getenv, "CHATPAPER_CROSSREF_MAX_AGE", &x.MaxAge)
}

func (x CrossrefConfig) validate() error {
	if x.URL == "" {
		return nil
	}
	u, err := url.Parse(x.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_URL %q must be an http(s) URL such as https://api.crossref.org", x.URL)
	}
	if m := x.Mailto; m != "" && (!strings.Contains(m, "@") || strings.ContainsAny(m, " ;()\r\n")) {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_MAILTO %q must be an e-mail address", m)
	}
	if x.Timeout <= 0 {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_TIMEOUT must be positive")
	}
	if x.Concurrency < 1 || x.Concurrency > 16 {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_CONCURRENCY %d must be between 1 and 16", x.Concurrency)
	}
	if x.Retries < 0 || x.Retries > 10 {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_RETRIES %d must be between 0 and 10", x.Retries)
	}
	if x.MaxAge <= 0 {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_MAX_AGE must be positive")
	}
	if x.Backoff <= 0 {
		return fmt.Errorf("config: CHATPAPER_CROSSREF_BACKOFF must be positive")
	}
	return nil
}

// Validate checks the settings for values the program cannot run with.
func (c Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("config: listen address is empty")
	}
	if c.DataDir == "" {
		return fmt.Errorf("config: data folder is empty")
	}
	if c.EmbedDim < 64 || c.EmbedDim > 65536 {
		return fmt.Errorf("config: CHATPAPER_EMBED_DIM %d must be between 64 and 65536", c.EmbedDim)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("config: CHATPAPER_SHUTDOWN_TIMEOUT must be positive")
	}
	if c.QuestionRetentionDays < 0 || c.QuestionRetentionDays > 36500 {
		return fmt.Errorf("config: CHATPAPER_QUESTION_RETENTION_DAYS %d must be between 0 (record nothing) and 36500", c.QuestionRetentionDays)
	}
	if c.CachePapers < 1 {
		return fmt.Errorf("config: CHATPAPER_CACHE_PAPERS %d must be at least 1", c.CachePapers)
	}
	if c.MemoryOverheadMB < 0 {
		return fmt.Errorf("config: CHATPAPER_MEMORY_OVERHEAD_MB %d must not be negative", c.MemoryOverheadMB)
	}
	if c.WSFramesPerSecond < 1 {
		return fmt.Errorf("config: CHATPAPER_WS_FRAMES_PER_SECOND %d must be at least 1", c.WSFramesPerSecond)
	}
	if c.CacheMB < 1 {
		return fmt.Errorf("config: CHATPAPER_CACHE_MB %d must be at least 1", c.CacheMB)
	}
	if c.MaxReferences < 1 || c.MaxReferences > maxReferences {
		return fmt.Errorf("config: CHATPAPER_MAX_REFERENCES %d must be between 1 and %d", c.MaxReferences, maxReferences)
	}
	if c.MaxPaperBytes < 1024 {
		return fmt.Errorf("config: CHATPAPER_MAX_PAPER_BYTES %d must be at least 1024", c.MaxPaperBytes)
	}
	if c.MaxBodyPassages < 1 {
		return fmt.Errorf("config: CHATPAPER_MAX_BODY_PASSAGES %d must be at least 1", c.MaxBodyPassages)
	}
	if err := c.LLM.validate(); err != nil {
		return err
	}
	if err := c.Crossref.validate(); err != nil {
		return err
	}
	if c.RerankAPI != "tei" && c.RerankAPI != "cohere" {
		return fmt.Errorf("config: CHATPAPER_RERANK_API %q must be tei or cohere", c.RerankAPI)
	}
	if c.RerankTimeout <= 0 {
		return fmt.Errorf("config: CHATPAPER_RERANK_TIMEOUT must be positive")
	}
	if c.AskRate < 0 {
		return fmt.Errorf("config: CHATPAPER_ASK_RATE %d must be 0 (off) or positive", c.AskRate)
	}
	if c.MaxSocketsPerIP < 0 {
		return fmt.Errorf("config: CHATPAPER_MAX_SOCKETS_PER_IP %d must be 0 (no limit) or positive", c.MaxSocketsPerIP)
	}
	for key, d := range map[string]time.Duration{
		"CHATPAPER_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout, "CHATPAPER_IDLE_TIMEOUT": c.IdleTimeout, "CHATPAPER_BODY_TIMEOUT": c.BodyTimeout,
	} {
		if d <= 0 {
			return fmt.Errorf("config: %s must be positive", key)
		}
	}
	if c.MaxConns < 0 || c.MaxConnsPerIP < 0 {
		return fmt.Errorf("config: CHATPAPER_MAX_CONNS and CHATPAPER_MAX_CONNS_PER_IP must be 0 (no limit) or positive")
	}
	if len(c.TrustedProxies) > 0 && len(c.AdminKeys) == 0 {
		return fmt.Errorf("config: CHATPAPER_TRUSTED_PROXIES needs CHATPAPER_ADMIN_KEYS: behind a proxy every reader's request may look local, so admin requests must carry a key")
	}
	if c.KeylessAdmin {
		if len(c.AdminKeys) > 0 {
			return fmt.Errorf("config: CHATPAPER_KEYLESS_ADMIN and CHATPAPER_ADMIN_KEYS exclude each other")
		}
		if !LoopbackAddr(c.Addr) {
			return fmt.Errorf("config: CHATPAPER_KEYLESS_ADMIN needs a loopback listen address such as 127.0.0.1:8080, not %q", c.Addr)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: CHATPAPER_LOG_LEVEL %q must be debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// maxReferences is paper.MaxReferences (config imports no domain
// package); a test keeps the two equal.
const maxReferences = 50_000

// LoopbackAddr reports whether a listen address host:port binds to a
// loopback interface only.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func boolean(getenv func(string) string, key string, dst *bool) error {
	v := getenv(key)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("config: %s=%q must be true or false (1 or 0)", key, v)
	}
	*dst = b
	return nil
}

func str(getenv func(string) string, key string, dst *string) {
	if v := getenv(key); v != "" {
		*dst = v
	}
}

func integer(getenv func(string) string, key string, dst *int) error {
	v := getenv(key)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("config: %s=%q is not an integer", key, v)
	}
	*dst = n
	return nil
}

func duration(getenv func(string) string, key string, dst *time.Duration) error {
	v := getenv(key)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("config: %s=%q is not a duration like 10s", key, v)
	}
	*dst = d
	return nil
}

func (l LLMConfig) validate() error {
	if l.BaseURL == "" {
		if l.EmbedModel != "" {
			return fmt.Errorf("config: CHATPAPER_EMBED_MODEL needs CHATPAPER_LLM_BASE_URL")
		}
		return nil
	}
	u, err := url.Parse(l.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: CHATPAPER_LLM_BASE_URL %q must be an http(s) URL such as https://api.openai.com/v1", l.BaseURL)
	}
	if l.Model == "" {
		return fmt.Errorf("config: CHATPAPER_LLM_MODEL is empty")
	}
	if l.EmbedBatch < 1 || l.EmbedBatch > 2048 {
		return fmt.Errorf("config: CHATPAPER_EMBED_BATCH %d must be between 1 and 2048", l.EmbedBatch)
	}
	if l.Timeout <= 0 {
		return fmt.Errorf("config: CHATPAPER_LLM_TIMEOUT must be positive")
	}
	if l.FirstTokenTimeout <= 0 || l.FirstTokenTimeout > l.Timeout {
		return fmt.Errorf("config: CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT must be positive and at most CHATPAPER_LLM_TIMEOUT")
	}
	if l.Retries < 0 || l.Retries > 10 {
		return fmt.Errorf("config: CHATPAPER_LLM_RETRIES %d must be between 0 and 10", l.Retries)
	}
	// Below 16 tokens no answer or summary fits.
	if l.MaxTokens != 0 && (l.MaxTokens < 16 || l.MaxTokens > 1<<20) {
		return fmt.Errorf("config: CHATPAPER_LLM_MAX_TOKENS %d must be 0 (no cap) or between 16 and 1048576", l.MaxTokens)
	}
	if l.SummaryMaxTokens != 0 && (l.SummaryMaxTokens < 16 || l.SummaryMaxTokens > 1<<20) {
		return fmt.Errorf("config: CHATPAPER_SUMMARY_MAX_TOKENS %d must be 0 (no cap) or between 16 and 1048576", l.SummaryMaxTokens)
	}
	if l.Concurrency < 0 || l.Concurrency > 4096 {
		return fmt.Errorf("config: CHATPAPER_LLM_CONCURRENCY %d must be 0 (no bound) or between 1 and 4096", l.Concurrency)
	}
	if l.Backoff <= 0 {
		return fmt.Errorf("config: CHATPAPER_LLM_BACKOFF must be positive")
	}
	return nil
}

// loadSecurity reads the keys, origins, limits and proxies.
func (c *Config) loadSecurity(getenv func(string) string) error {
	c.AdminKeys = list(getenv("CHATPAPER_ADMIN_KEYS"))
	c.SiteKeys = list(getenv("CHATPAPER_SITE_KEYS"))
	c.AdminHosts = list(getenv("CHATPAPER_ADMIN_HOSTS"))
	if err := boolean(getenv, "CHATPAPER_KEYLESS_ADMIN", &c.KeylessAdmin); err != nil {
		return err
	}
	for _, o := range list(getenv("CHATPAPER_ALLOWED_ORIGINS")) {
		if o == "*" {
			c.AllowedOrigins = append(c.AllowedOrigins, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("config: CHATPAPER_ALLOWED_ORIGINS entry %q must be an origin like https://journal.example.org", o)
		}
		c.AllowedOrigins = append(c.AllowedOrigins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	if err := integer(getenv, "CHATPAPER_ASK_RATE", &c.AskRate); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_MAX_SOCKETS_PER_IP", &c.MaxSocketsPerIP); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_WS_FRAMES_PER_SECOND", &c.WSFramesPerSecond); err != nil {
		return err
	}
	for key, dst := range map[string]*time.Duration{
		"CHATPAPER_READ_HEADER_TIMEOUT": &c.ReadHeaderTimeout, "CHATPAPER_IDLE_TIMEOUT": &c.IdleTimeout, "CHATPAPER_BODY_TIMEOUT": &c.BodyTimeout,
	} {
		if err := duration(getenv, key, dst); err != nil {
			return err
		}
	}
	if err := integer(getenv, "CHATPAPER_MAX_CONNS", &c.MaxConns); err != nil {
		return err
	}
	if err := integer(getenv, "CHATPAPER_MAX_CONNS_PER_IP", &c.MaxConnsPerIP); err != nil {
		return err
	}
	for _, s := range list(getenv("CHATPAPER_TRUSTED_PROXIES")) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return fmt.Errorf("config: CHATPAPER_TRUSTED_PROXIES entry %q is not a CIDR or an IP address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	return nil
}

// list splits a comma-separated value, dropping blanks.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
