package web

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route the server answers. docs/API.md describes
// each one.
func routes(e *echo.Echo, d Deps) {
	e.GET("/healthz", handleHealth())

	api := e.Group("/api/v1")
	api.GET("/papers", handleListPapers(d.Papers))
	api.POST("/papers", handleIngest(d.Papers))
	// "/papers:batch": the colon is escaped so it is not a parameter.
	api.POST(`/papers\:batch`, handleBatch(d.Papers, d.Hashes, d.Log), middleware.BodyLimit(MaxBatchBytes))
	api.GET("/papers/:id", handleGetPaper(d.Papers))
	api.DELETE("/papers/:id", handleDeletePaper(d.Papers))
	api.GET("/papers/:id/summary", handleSummary(d.Summarizer))
	api.POST("/papers/:id/ask", handleAsk(d.Papers, d.Answerer, d.Log))
	api.GET("/papers/:id/ws", handleWS(d.Papers, d.Answerer, d.Log, d.WS))
	if d.Searcher != nil {
		api.GET("/search", handleSearch(d.Searcher))
	}

	e.GET("/", handlePage())
	e.GET("/papers/:id", handlePage())
	e.GET("/static/*", handleStatic())
}
