package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// OriginsSetting is the configuration that lists the origins allowed to
// embed the chat; the origin check names it so a developer knows what to
// change.
const OriginsSetting = "CHATPAPER_ALLOWED_ORIGINS"

// originCheck is the body of GET /api/v1/origin.
type originCheck struct {
	Origin  string `json:"origin"`
	Allowed bool   `json:"allowed"`
	Setting string `json:"setting"`
	Message string `json:"message"`
}

// handleOriginCheck tells a page whether its origin may use the API. It
// is readable from any origin (and needs no key), because a page whose
// origin is refused cannot read the API's own answers: without it the
// widget could only guess at a network failure. It reveals nothing but
// the verdict on the asking origin.
func handleOriginCheck(p originPolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		h := c.Response().Header()
		if h.Get(echo.HeaderAccessControlAllowOrigin) == "" {
			h.Set(echo.HeaderAccessControlAllowOrigin, "*")
		}
		h.Set(echo.HeaderCacheControl, "no-store")
		out := originCheck{Origin: r.Header.Get(echo.HeaderOrigin), Allowed: p.allow(r), Setting: OriginsSetting}
		switch {
		case out.Origin == "":
			out.Message = "the request sent no Origin header (not a browser page): the API is open to it"
		case out.Allowed:
			out.Message = "origin " + out.Origin + " may use this ChatPaper server"
		default:
			out.Message = "origin " + out.Origin + " is not allowed by this ChatPaper server: add it to " + OriginsSetting +
				" (comma-separated origins, e.g. https://journal.example.org) and restart the server"
		}
		return writeJSON(c, http.StatusOK, out)
	}
}
