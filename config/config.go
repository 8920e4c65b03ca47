// Package config reads ChatPaper's settings from the environment in one
// place. Nothing else in the program reads environment variables.
package config

import (
	"fmt"
	"strconv"
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
}

// Load reads the configuration: defaults first, then the environment
// through getenv, then validation. Errors name the offending variable.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		EmbedDim:        1024,
		ShutdownTimeout: 10 * time.Second,
		LogLevel:        "info",
	}
	str(getenv, "CHATPAPER_ADDR", &c.Addr)
	str(getenv, "CHATPAPER_DATA", &c.DataDir)
	str(getenv, "CHATPAPER_LOG_LEVEL", &c.LogLevel)
	if err := integer(getenv, "CHATPAPER_EMBED_DIM", &c.EmbedDim); err != nil {
		return c, err
	}
	if err := duration(getenv, "CHATPAPER_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout); err != nil {
		return c, err
	}
	return c, c.Validate()
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
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: CHATPAPER_LOG_LEVEL %q must be debug, info, warn or error", c.LogLevel)
	}
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
