package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeAdminKey: with no admin key configured, serve generates one
// into the data folder (owner-only), says where it is, requires it on
// admin routes and reuses it on the next start.
func TestServeAdminKey(t *testing.T) {
	dir := t.TempDir()
	start := func() (base, note string, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := run(ctx, []string{"chatpaper", "serve", "--addr", "127.0.0.1:0", "--data", dir}, func(string) string { return "" }, pw, io.Discard)
			pw.CloseWithError(fmt.Errorf("run returned: %v", err))
			done <- err
		}()
		r := bufio.NewReader(pr)
		l1, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		l2, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, r)
		return strings.TrimSpace(strings.TrimPrefix(l1, "chatpaper: serving on ")), l2, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	base, note, stop := start()
	path := filepath.Join(dir, adminKeyFile)
	if !strings.Contains(note, "generated an admin key in "+path) {
		t.Errorf("first start said %q, want where the generated key is", note)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	key := strings.TrimSpace(string(b))
	if len(key) != 64 {
		t.Errorf("key %q is not 64 hex digits", key)
	}
	post := func(auth string) int {
		req, _ := http.NewRequest("POST", base+"/api/v1/papers", strings.NewReader(testPaper))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != http.StatusUnauthorized {
		t.Errorf("ingest without key from loopback = %d, want 401", got)
	}
	if got := post("Bearer " + key); got != http.StatusCreated {
		t.Errorf("ingest with the generated key = %d, want 201", got)
	}
	stop()

	base, note, stop = start()
	defer stop()
	if !strings.Contains(note, "admin key in "+path) || strings.Contains(note, "generated") {
		t.Errorf("second start said %q, want the same file reused", note)
	}
	if got := post("Bearer " + key); got != http.StatusCreated {
		t.Errorf("ingest with the key after a restart = %d, want 201", got)
	}
}

// TestServeAdminConfigErrors: settings that would open admin to others
// stop serve before it listens.
func TestServeAdminConfigErrors(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"proxies without keys":      {map[string]string{"CHATPAPER_TRUSTED_PROXIES": "127.0.0.1"}, nil, "CHATPAPER_TRUSTED_PROXIES needs CHATPAPER_ADMIN_KEYS"},
		"keyless on all interfaces": {map[string]string{"CHATPAPER_KEYLESS_ADMIN": "1"}, []string{"--addr", "0.0.0.0:0"}, "needs a loopback listen address"},
		"keyless flag, public addr": {nil, []string{"--keyless-admin", "--addr", ":0"}, "needs a loopback listen address"},
		"keyless with keys":         {map[string]string{"CHATPAPER_KEYLESS_ADMIN": "1", "CHATPAPER_ADMIN_KEYS": "k"}, nil, "exclude each other"},
		"world-readable key file":   {nil, nil, "may be read by others"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if name == "world-readable key file" {
				os.WriteFile(filepath.Join(dir, adminKeyFile), []byte(strings.Repeat("a", 64)), 0o644)
			}
			args := append([]string{"chatpaper", "serve", "--addr", "127.0.0.1:0", "--data", dir}, tt.args...)
			err := run(context.Background(), args, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
