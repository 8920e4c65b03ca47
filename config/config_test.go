package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
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
}

func TestLoadEnv(t *testing.T) {
	c, err := Load(env(map[string]string{"CHATPAPER_ADDR": ":9000", "CHATPAPER_DATA": "/d", "CHATPAPER_EMBED_DIM": "512", "CHATPAPER_SHUTDOWN_TIMEOUT": "3s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.DataDir != "/d" || c.EmbedDim != 512 || c.ShutdownTimeout != 3*time.Second {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad dim", map[string]string{"CHATPAPER_EMBED_DIM": "x"}, "CHATPAPER_EMBED_DIM"},
		{"dim out of range", map[string]string{"CHATPAPER_EMBED_DIM": "3"}, "CHATPAPER_EMBED_DIM"},
		{"bad duration", map[string]string{"CHATPAPER_SHUTDOWN_TIMEOUT": "soon"}, "CHATPAPER_SHUTDOWN_TIMEOUT"},
		{"bad level", map[string]string{"CHATPAPER_LOG_LEVEL": "loud"}, "CHATPAPER_LOG_LEVEL"},
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
