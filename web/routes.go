package web

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route the server answers. docs/API.md describes
// each one and docs/openapi.yaml the REST ones (a test keeps them in
// step). Admin routes need an admin key (or a loopback client when none
// is configured); reader routes need a site key when any is configured.
func routes(e *echo.Echo, d Deps, g guards) {
	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(d.Ready, d.Log))
	e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))

	rest := countedAnswerer{next: d.Answerer, m: d.Metrics, transport: "rest"}
	ws := countedAnswerer{next: d.Answerer, m: d.Metrics, transport: "ws"}

	api := e.Group("/api/v1")
	api.GET("/papers", handleListPapers(d.Papers), g.reader)
	api.POST("/papers", handleIngest(d.Papers), g.admin)
	// "/papers:batch": the colon is escaped so it is not a parameter. The
	// key is checked before the (large) body is read.
	api.POST(`/papers\:batch`, handleBatch(d.Papers, d.Hashes, d.Log), g.admin, middleware.BodyLimit(MaxBatchBytes))
	api.GET("/papers/:id", handleGetPaper(d.Papers), g.reader)
	api.DELETE("/papers/:id", handleDeletePaper(d.Papers), g.admin)
	api.GET("/papers/:id/summary", handleSummary(d.Summarizer), g.reader)
	api.POST("/papers/:id/ask", handleAsk(d.Papers, rest, d.SSEHeartbeat, d.Log), g.reader, g.ask)
	api.GET("/papers/:id/ws", handleWS(d.Papers, ws, d.Log, d.WS), g.reader)
	if d.Searcher != nil {
		api.GET("/search", handleSearch(d.Searcher), g.reader)
	}

	e.GET("/", handlePage(), g.page)
	e.GET("/papers/:id", handlePage(), g.page)
	e.GET("/static/*", handleStatic(), g.page)
	e.GET("/widget.js", handleWidget())
}
