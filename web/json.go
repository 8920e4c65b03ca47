package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// jsonSerializer writes JSON without HTML escaping, so Chinese text,
// "&" and "<" reach API clients as themselves rather than \u escapes.
type jsonSerializer struct{}

var _ echo.JSONSerializer = jsonSerializer{}

func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}

func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	if err := json.NewDecoder(c.Request().Body).Decode(i); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("malformed JSON: %v", err)).SetInternal(err)
	}
	return nil
}
