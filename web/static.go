package web

import (
	"embed"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// staticAssets holds every embedded file by its path under static/,
// compressed and tagged once.
var staticAssets = func() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		cache := cacheAsset
		if strings.HasSuffix(p, ".html") {
			cache = cachePage
		}
		out[strings.TrimPrefix(p, "static/")] = newAsset(body, ctype, cache)
		return nil
	})
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return out
}()

// handleFile serves one embedded file (the chat page, the admin page).
func handleFile(name string) echo.HandlerFunc {
	a := staticAssets[name]
	if a == nil {
		panic("web: no embedded file " + name)
	}
	return a.serve
}

func handlePage() echo.HandlerFunc { return handleFile("index.html") }

// handleStatic serves /static/{path} from the embedded folder.
func handleStatic() echo.HandlerFunc {
	return func(c echo.Context) error {
		name := c.Param("*")
		if name == "" {
			name = "index.html" // the folder's index, as a file server serves it
		}
		a := staticAssets[name]
		if a == nil {
			return echo.ErrNotFound
		}
		return a.serve(c)
	}
}
