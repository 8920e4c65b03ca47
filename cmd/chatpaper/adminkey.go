package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// adminKeyFile is the name, in the data folder, of the admin key serve
// generates when none is configured.
const adminKeyFile = "admin.key"

// loadAdminKey returns the admin key stored in dir/admin.key, creating
// the folder and a new random key (readable by its owner only) when there
// is none; created reports which. A key file that others may read is
// refused rather than used, as ssh refuses such private keys.
func loadAdminKey(dir string) (key, path string, created bool, err error) {
	path = filepath.Join(dir, adminKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		fi, err := os.Stat(path)
		if err != nil {
			return "", path, false, fmt.Errorf("admin key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", path, false, fmt.Errorf("admin key %s may be read by others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
		}
		key = strings.TrimSpace(string(b))
		if len(key) < 32 {
			return "", path, false, fmt.Errorf("admin key %s is shorter than 32 characters", path)
		}
		return key, path, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", path, false, fmt.Errorf("admin key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", path, false, fmt.Errorf("admin key: create data folder: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", path, false, fmt.Errorf("admin key: %w", err)
	}
	key = hex.EncodeToString(raw)
	// O_EXCL: of two servers starting on one folder, one key wins and
	// the other start reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadAdminKey(dir)
	}
	if err != nil {
		return "", path, false, fmt.Errorf("admin key: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", path, false, fmt.Errorf("admin key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", path, false, fmt.Errorf("admin key: %w", err)
	}
	return key, path, true, nil
}
