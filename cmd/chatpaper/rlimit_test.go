//go:build unix

package main

import (
	"log/slog"
	"syscall"
	"testing"

	"github.com/chatpaper/chatpaper/config"
)

// TestConnLimitsFitOpenFiles: serve raises the open-file limit to the
// hard limit and keeps the connection cap under it, with room for the
// store and the over-cap answers.
func TestConnLimitsFitOpenFiles(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"CHATPAPER_MAX_CONNS": "100000000"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	l := connLimits(cfg, slog.New(slog.DiscardHandler))
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	if rl.Cur != rl.Max {
		t.Errorf("soft open-file limit %d, want raised to the hard limit %d", rl.Cur, rl.Max)
	}
	if uint64(l.MaxConns) > rl.Cur || l.MaxConns < 16 {
		t.Errorf("MaxConns = %d with an open-file limit of %d", l.MaxConns, rl.Cur)
	}
	t.Logf("open-file limit %d, connection cap %d", rl.Cur, l.MaxConns)
}
