package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type notFoundData struct {
	layoutData
	Heading string
	Message string
}

// notFoundPage answers 404 with a page in the dashboard's layout that tells
// what was not found and where to go instead. The error handler calls it
// for every HTML 404, and incidentPage for an unknown incident.
func (s *Server) notFoundPage(c echo.Context, msg string) error {
	st, err := s.pageFilter(c)
	if err != nil { // keep the links plain rather than fail the 404 page
		st = filterState{}
	}
	l := s.newLayout(c, "Not found", pageNotFound, st)
	l.Action = "/"
	l.HideRange = true
	return s.render(c, http.StatusNotFound, pageNotFound, notFoundData{layoutData: l, Heading: "Not found", Message: msg})
}
