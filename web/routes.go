package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// getHead is what both Echo and its groups offer to register a route for
// several methods.
type getHead interface {
	Match(methods []string, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) []*echo.Route
}

// getAndHead registers a GET route and the HEAD route that mirrors it: the
// same handler, whose body net/http discards for HEAD.
func getAndHead(r getHead, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
}

// routes lists every route the server answers. docs/API.md describes
// each one and docs/openapi.yaml the REST ones (a test keeps them in
// step). Every GET route answers HEAD too. Admin routes need an admin key
// (or a loopback client when none is configured); reader routes need a
// site key when any is configured.
func routes(e *echo.Echo, d Deps, origins originPolicy, g guards) {
	getAndHead(e, "/healthz", handleHealth())
	getAndHead(e, "/readyz", handleReady(d.Ready, d.Log))
	getAndHead(e, "/metrics", echo.WrapHandler(d.Metrics.Handler()))

	rest := countedAnswerer{next: d.Answerer, m: d.Metrics, transport: "rest"}
	ws := countedAnswerer{next: d.Answerer, m: d.Metrics, transport: "ws"}
	rec := questionRecorder{log: d.Questions, l: d.Log, now: d.Now}

	api := e.Group("/api/v1")
	getAndHead(api, "/papers", handleListPapers(d.Papers), g.reader)
	api.POST("/papers", handleIngest(d.Papers), g.admin)
	// "/papers:batch": the colon is escaped so it is not a parameter. The
	// key is checked before the (large) body is read.
	api.POST(`/papers\:batch`, handleBatch(d.Papers, d.Hashes, d.Log), g.admin, middleware.BodyLimit(MaxBatchBytes))
	getAndHead(api, "/papers/:id", handleGetPaper(d.Papers), g.reader)
	api.DELETE("/papers/:id", handleDeletePaper(d.Papers), g.admin)
	getAndHead(api, "/papers/:id/summary", handleSummary(d.Summarizer), g.reader)
	if d.Suggester != nil {
		getAndHead(api, "/papers/:id/questions", handleSuggestions(d.Suggester), g.reader)
	}
	api.POST("/papers/:id/ask", handleAsk(d.Papers, rest, rec, d.SSEHeartbeat, d.Log), g.reader, g.ask)
	api.POST("/papers/:id/feedback", handleFeedback(d.Questions), g.reader, middleware.BodyLimit("16K"))
	getAndHead(api, "/papers/:id/ws", handleWS(d.Papers, ws, rec, d.Log, d.WS), g.reader)
	if d.Searcher != nil {
		getAndHead(api, "/search", handleSearch(d.Searcher), g.reader)
	}
	getAndHead(api, "/reports/questions", handleQuestionsReport(d.Questions, d.Papers, d.Now), g.admin)
	getAndHead(api, "/origin", handleOriginCheck(origins))

	getAndHead(e, "/", handlePage(), g.page)
	getAndHead(e, "/papers/:id", handlePage(), g.page)
	getAndHead(e, "/admin/questions", handleFile("admin.html"), g.page)
	getAndHead(e, "/static/*", handleStatic(), g.page)
	getAndHead(e, "/widget.js", handleWidget())
}
