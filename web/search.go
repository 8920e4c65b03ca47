package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
)

// handleSearch serves GET /api/v1/search?q=…&lang=…&limit=…: the stored
// papers whose title and abstract best match q, best first.
func handleSearch(s Searcher) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := c.QueryParam("lang")
		if lang != "" && !paper.ValidLang(lang) {
			return badRequest(CodeInvalidLang, fmt.Sprintf("lang %q must be en_US or zh_CN", lang))
		}
		limit := 0
		if v := c.QueryParam("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > library.MaxSearchLimit {
				return badRequest(CodeInvalidLimit, fmt.Sprintf("limit %q must be a whole number from 1 to %d", v, library.MaxSearchLimit))
			}
			limit = n
		}
		res, err := s.SearchPapers(c.Request().Context(), library.SearchRequest{Text: c.QueryParam("q"), Lang: lang, Limit: limit})
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusOK, res)
	}
}
