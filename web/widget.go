package web

import (
	"bytes"
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// widgetJS builds the body of GET /widget.js: the same chatpaper.js the
// standalone page runs, then the loader, which mounts it in a shadow root
// styled by chat.css (inlined here so the widget is one request).
func widgetJS() ([]byte, error) {
	js, err := staticFS.ReadFile("static/chatpaper.js")
	if err != nil {
		return nil, err
	}
	css, err := staticFS.ReadFile("static/chat.css")
	if err != nil {
		return nil, err
	}
	loader, err := staticFS.ReadFile("static/widget-loader.js")
	if err != nil {
		return nil, err
	}
	cssJSON, err := json.Marshal(string(css))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("/* ChatPaper widget: chatpaper.js + widget-loader.js + chat.css. */\n")
	b.Write(js)
	b.WriteString("\n;(function () {\nvar CHATPAPER_CSS = ")
	b.Write(cssJSON)
	b.WriteString(";\n")
	b.Write(loader)
	b.WriteString("\n})();\n")
	return b.Bytes(), nil
}

// handleWidget serves the embeddable widget to any origin: a journal page
// loads it with a plain script tag.
func handleWidget() echo.HandlerFunc {
	body, err := widgetJS()
	if err != nil {
		panic(err) // the files are embedded at build time
	}
	a := newAsset(body, "text/javascript; charset=utf-8", cacheAsset)
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		h.Set(echo.HeaderAccessControlAllowOrigin, "*")
		return a.serve(c)
	}
}
