package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

func handlePage() echo.HandlerFunc {
	return func(c echo.Context) error {
		page, err := staticFS.ReadFile("static/index.html")
		if err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, page)
	}
}

func handleStatic() echo.HandlerFunc {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(sub))))
}
