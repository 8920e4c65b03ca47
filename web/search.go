package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

// handleSearch serves GET /api/v1/search?q=…&lang=…&limit=…: the stored
// papers whose title and abstract best match q, best first.
func handleSearch(s rag.PaperSearcher) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := c.QueryParam("lang")
		if lang != "" && !paper.ValidLang(lang) {
			return badRequest("invalid_lang", fmt.Sprintf("lang %q must be en_US or zh_CN", lang))
		}
		limit := 0
		if v := c.QueryParam("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > rag.MaxSearchLimit {
				return badRequest("invalid_limit", fmt.Sprintf("limit %q must be a whole number from 1 to %d", v, rag.MaxSearchLimit))
			}
			limit = n
		}
		res, err := s.SearchPapers(c.Request().Context(), rag.SearchRequest{Text: c.QueryParam("q"), Lang: lang, Limit: limit})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, res)
	}
}
