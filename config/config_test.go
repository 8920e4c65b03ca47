package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Addr, "127.0.0.1:8080"; got != want {
		t.Errorf("Addr = %q, want %q", got, want)
	}
	if got, want := c.DataDir, "./data"; got != want {
		t.Errorf("DataDir = %q, want %q", got, want)
	}
	if got, want := c.ShutdownTimeout, 10*time.Second; got != want {
		t.Errorf("ShutdownTimeout = %v, want %v", got, want)
	}
	if got, want := c.QuestionRetentionDays, 180; got != want {
		t.Errorf("QuestionRetentionDays = %d, want %d", got, want)
	}
	if c, err := Load(env(map[string]string{"CHATPAPER_QUESTION_RETENTION_DAYS": "0"})); err != nil || c.QuestionRetentionDays != 0 {
		t.Errorf("retention 0 (record nothing): %d, %v", c.QuestionRetentionDays, err)
	}
}

func TestLoadEnv(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"CHATPAPER_ADDR": ":9000", "CHATPAPER_DATA": "/d", "CHATPAPER_EMBED_DIM": "512", "CHATPAPER_SHUTDOWN_TIMEOUT": "3s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.DataDir != "/d" || c.EmbedDim != 512 || c.ShutdownTimeout != 3*time.Second {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad dim", map[string]string{"CHATPAPER_EMBED_DIM": "x"}, "CHATPAPER_EMBED_DIM"},
		{"dim out of range", map[string]string{"CHATPAPER_EMBED_DIM": "3"}, "CHATPAPER_EMBED_DIM"},
		{"bad duration", map[string]string{"CHATPAPER_SHUTDOWN_TIMEOUT": "soon"}, "CHATPAPER_SHUTDOWN_TIMEOUT"},
		{"bad level", map[string]string{"CHATPAPER_LOG_LEVEL": "loud"}, "CHATPAPER_LOG_LEVEL"},
		{"retention not a number", map[string]string{"CHATPAPER_QUESTION_RETENTION_DAYS": "90d"}, "CHATPAPER_QUESTION_RETENTION_DAYS"},
		{"negative retention", map[string]string{"CHATPAPER_QUESTION_RETENTION_DAYS": "-1"}, "CHATPAPER_QUESTION_RETENTION_DAYS"},
		{"llm base url not http", map[string]string{"CHATPAPER_LLM_BASE_URL": "localhost:11434"}, "CHATPAPER_LLM_BASE_URL"},
		{"embed model without endpoint", map[string]string{"CHATPAPER_EMBED_MODEL": "text-embedding-3-small"}, "CHATPAPER_EMBED_MODEL"},
		{"embed batch zero", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_EMBED_BATCH": "0"}, "CHATPAPER_EMBED_BATCH"},
		{"bad llm timeout", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_TIMEOUT": "long"}, "CHATPAPER_LLM_TIMEOUT"},
		{"bad llm backoff", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_BACKOFF": "0s"}, "CHATPAPER_LLM_BACKOFF"},
		{"first token over timeout", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_TIMEOUT": "5s", "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT": "10s"}, "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT"},
		{"max tokens too small", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_MAX_TOKENS": "3"}, "CHATPAPER_LLM_MAX_TOKENS"},
		{"summary max tokens not a number", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_SUMMARY_MAX_TOKENS": "lots"}, "CHATPAPER_SUMMARY_MAX_TOKENS"},
		{"negative concurrency", map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_CONCURRENCY": "-1"}, "CHATPAPER_LLM_CONCURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestLoadLLM(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.Enabled() {
		t.Errorf("model mode enabled with no CHATPAPER_LLM_BASE_URL: %+v", c.LLM)
	}
	if c.LLM.MaxTokens != 1024 || c.LLM.SummaryMaxTokens != 600 || c.LLM.Concurrency != 4 {
		t.Errorf("length caps and concurrency defaults = %d, %d, %d", c.LLM.MaxTokens, c.LLM.SummaryMaxTokens, c.LLM.Concurrency)
	}
	c, err = Load(env(map[string]string{"CHATPAPER_LLM_BASE_URL": "http://x/v1", "CHATPAPER_LLM_MAX_TOKENS": "0",
		"CHATPAPER_SUMMARY_MAX_TOKENS": "300", "CHATPAPER_LLM_CONCURRENCY": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.MaxTokens != 0 || c.LLM.SummaryMaxTokens != 300 || c.LLM.Concurrency != 1 {
		t.Errorf("length caps and concurrency = %d, %d, %d", c.LLM.MaxTokens, c.LLM.SummaryMaxTokens, c.LLM.Concurrency)
	}
	c, err = Load(env(map[string]string{
		"CHATPAPER_LLM_BASE_URL": "http://localhost:11434/v1", "OPENAI_API_KEY": "sk-fallback",
		"CHATPAPER_LLM_MODEL": "qwen2.5:7b", "CHATPAPER_EMBED_MODEL": "bge-m3", "CHATPAPER_EMBED_BATCH": "16",
		"CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT": "2s", "CHATPAPER_LLM_BACKOFF": "50ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.LLM.Enabled() || c.LLM.APIKey != "sk-fallback" || c.LLM.Model != "qwen2.5:7b" || c.LLM.EmbedModel != "bge-m3" ||
		c.LLM.EmbedBatch != 16 || c.LLM.FirstTokenTimeout != 2*time.Second || c.LLM.Timeout != 120*time.Second || c.LLM.Backoff != 50*time.Millisecond {
		t.Errorf("llm config = %+v", c.LLM)
	}
	c, err = Load(env(map[string]string{"CHATPAPER_LLM_BASE_URL": "https://api.openai.com/v1", "OPENAI_API_KEY": "sk-a", "CHATPAPER_LLM_API_KEY": "sk-b"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.LLM.APIKey, "sk-b"; got != want {
		t.Errorf("APIKey = %q, want %q (CHATPAPER_LLM_API_KEY wins over OPENAI_API_KEY)", got, want)
	}
}

func TestLoadRerank(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"CHATPAPER_RERANK_URL": "http://127.0.0.1:8081/rerank", "CHATPAPER_RERANK_API": "cohere",
		"CHATPAPER_RERANK_MODEL": "bge-reranker-v2-m3", "CHATPAPER_RERANK_TIMEOUT": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RerankURL != "http://127.0.0.1:8081/rerank" || c.RerankAPI != "cohere" || c.RerankModel != "bge-reranker-v2-m3" || c.RerankTimeout != 2*time.Second {
		t.Errorf("config = %+v", c)
	}
	for _, bad := range []map[string]string{{"CHATPAPER_RERANK_API": "grpc"}, {"CHATPAPER_RERANK_TIMEOUT": "-1s"}, {"CHATPAPER_RERANK_TIMEOUT": "soon"}} {
		if _, err := Load(env(bad)); err == nil {
			t.Errorf("Load(%v) succeeded, want an error", bad)
		}
	}
}

func TestLoadScaleSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "" || c.CachePapers != 1000 || c.CacheMB != 512 || c.CacheRevalidate != 2*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	c, err = Load(env(map[string]string{
		"CHATPAPER_DATABASE_URL": "postgres://u@h/db", "CHATPAPER_CACHE_PAPERS": "50",
		"CHATPAPER_CACHE_MB": "64", "CHATPAPER_CACHE_REVALIDATE": "500ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u@h/db" || c.CachePapers != 50 || c.CacheMB != 64 || c.CacheRevalidate != 500*time.Millisecond {
		t.Errorf("config = %+v", c)
	}
	for _, bad := range []map[string]string{
		{"CHATPAPER_CACHE_PAPERS": "0"}, {"CHATPAPER_CACHE_MB": "-1"},
		{"CHATPAPER_CACHE_PAPERS": "many"}, {"CHATPAPER_CACHE_REVALIDATE": "often"},
	} {
		if _, err := Load(env(bad)); err == nil {
			t.Errorf("Load(%v) succeeded, want an error", bad)
		}
	}
}

func TestLoadSecurity(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.AskRate != 30 || c.MaxSocketsPerIP != 20 || len(c.AdminKeys) != 0 || len(c.AllowedOrigins) != 0 {
		t.Errorf("defaults = %+v", c)
	}
	c, err = Load(env(map[string]string{
		"CHATPAPER_ADMIN_KEYS":         " a1, a2 ,",
		"CHATPAPER_SITE_KEYS":          "s1",
		"CHATPAPER_ALLOWED_ORIGINS":    "https://Journal.example.org, http://127.0.0.1:8081/",
		"CHATPAPER_ASK_RATE":           "0",
		"CHATPAPER_MAX_SOCKETS_PER_IP": "3",
		"CHATPAPER_TRUSTED_PROXIES":    "10.0.0.0/8, 192.168.1.7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(c.AdminKeys, "|"), "a1|a2"; got != want {
		t.Errorf("AdminKeys = %q, want %q", got, want)
	}
	if got, want := strings.Join(c.AllowedOrigins, "|"), "https://journal.example.org|http://127.0.0.1:8081"; got != want {
		t.Errorf("AllowedOrigins = %q, want %q", got, want)
	}
	if c.AskRate != 0 || c.MaxSocketsPerIP != 3 || len(c.SiteKeys) != 1 {
		t.Errorf("config = %+v", c)
	}
	if got, want := fmt.Sprint(c.TrustedProxies), "[10.0.0.0/8 192.168.1.7/32]"; got != want {
		t.Errorf("TrustedProxies = %s, want %s", got, want)
	}
}

func TestMaxReferencesMatchesPaper(t *testing.T) {
	if maxReferences != paper.MaxReferences {
		t.Errorf("config allows %d references, paper.MaxReferences is %d", maxReferences, paper.MaxReferences)
	}
}

func TestHardeningSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReadHeaderTimeout != 10*time.Second || c.IdleTimeout != 60*time.Second || c.BodyTimeout != 60*time.Second ||
		c.MaxConns != 4096 || c.MaxConnsPerIP != 256 || c.MaxReferences != 5000 || c.MaxPaperBytes != 2<<20 ||
		c.MaxBodyPassages != 2000 || c.KeylessAdmin || len(c.AdminHosts) != 0 {
		t.Errorf("defaults = %+v", c)
	}
	c, err = Load(env(map[string]string{
		"CHATPAPER_READ_HEADER_TIMEOUT": "2s", "CHATPAPER_IDLE_TIMEOUT": "3s", "CHATPAPER_BODY_TIMEOUT": "4s",
		"CHATPAPER_MAX_CONNS": "100", "CHATPAPER_MAX_CONNS_PER_IP": "0", "CHATPAPER_MAX_REFERENCES": "10",
		"CHATPAPER_MAX_PAPER_BYTES": "5000", "CHATPAPER_MAX_BODY_PASSAGES": "7",
		"CHATPAPER_KEYLESS_ADMIN": "true", "CHATPAPER_ADMIN_HOSTS": "cp.internal, x.test",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReadHeaderTimeout != 2*time.Second || c.IdleTimeout != 3*time.Second || c.BodyTimeout != 4*time.Second ||
		c.MaxConns != 100 || c.MaxConnsPerIP != 0 || c.MaxReferences != 10 || c.MaxPaperBytes != 5000 ||
		c.MaxBodyPassages != 7 || !c.KeylessAdmin || strings.Join(c.AdminHosts, "|") != "cp.internal|x.test" {
		t.Errorf("parsed = %+v", c)
	}
	for name, e := range map[string]map[string]string{
		"CHATPAPER_IDLE_TIMEOUT":      {"CHATPAPER_IDLE_TIMEOUT": "0s"},
		"CHATPAPER_MAX_CONNS":         {"CHATPAPER_MAX_CONNS": "-1"},
		"CHATPAPER_MAX_REFERENCES":    {"CHATPAPER_MAX_REFERENCES": "50001"},
		"CHATPAPER_MAX_PAPER_BYTES":   {"CHATPAPER_MAX_PAPER_BYTES": "10"},
		"CHATPAPER_MAX_BODY_PASSAGES": {"CHATPAPER_MAX_BODY_PASSAGES": "0"},
		"CHATPAPER_KEYLESS_ADMIN":     {"CHATPAPER_KEYLESS_ADMIN": "maybe"},
		"needs CHATPAPER_ADMIN_KEYS":  {"CHATPAPER_TRUSTED_PROXIES": "10.0.0.1"},
		"loopback listen address":     {"CHATPAPER_KEYLESS_ADMIN": "1", "CHATPAPER_ADDR": "0.0.0.0:8080"},
	} {
		if _, err := Load(env(e)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want it to name %s", e, err, name)
		}
	}
}

func TestLoadCrossref(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Crossref.Enabled() || c.Crossref.Timeout != 10*time.Second || c.Crossref.Concurrency != 2 || c.Crossref.Retries != 3 || c.Crossref.MaxAge != 720*time.Hour {
		t.Errorf("defaults = %+v, want off with 10s, 2, 3, 720h", c.Crossref)
	}
	c, err = Load(env(map[string]string{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_MAILTO": "ops@journal.example",
		"CHATPAPER_CROSSREF_TIMEOUT": "3s", "CHATPAPER_CROSSREF_CONCURRENCY": "4", "CHATPAPER_CROSSREF_RETRIES": "0", "CHATPAPER_CROSSREF_MAX_AGE": "24h", "CHATPAPER_CROSSREF_BACKOFF": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	want := CrossrefConfig{URL: "https://api.crossref.org", Mailto: "ops@journal.example", Timeout: 3 * time.Second, Concurrency: 4, Retries: 0, MaxAge: 24 * time.Hour, Backoff: 5 * time.Second}
	if c.Crossref != want || !c.Crossref.Enabled() {
		t.Errorf("Crossref = %+v, want %+v", c.Crossref, want)
	}
	for _, bad := range []map[string]string{
		{"CHATPAPER_CROSSREF_URL": "api.crossref.org"},
		{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_MAILTO": "not an address"},
		{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_CONCURRENCY": "0"},
		{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_RETRIES": "11"},
		{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_TIMEOUT": "0s"},
		{"CHATPAPER_CROSSREF_MAX_AGE": "forever"},
		{"CHATPAPER_CROSSREF_URL": "https://api.crossref.org", "CHATPAPER_CROSSREF_BACKOFF": "0s"},
	} {
		if _, err := Load(env(bad)); err == nil {
			t.Errorf("Load(%v) succeeded, want an error", bad)
		}
	}
}
