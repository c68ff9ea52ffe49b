package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// realClockRefusal is the answer to moving the clock of a gateway on the
// real clock.
const realClockRefusal = "the gateway runs on the real clock; start it with antomgw serve --test-clock"

// quickAdvances are the clock form's one-click steps.
var quickAdvances = []string{"5s", "1m", "15m", "1h", "24h"}

// parseAdvance reads the by value of a clock advance: a positive Go
// duration.
func parseAdvance(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("say how far to move the clock: by=15m (a Go duration such as 5s, 1m, 1h30m)")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("by=%q is not a Go duration such as 5s, 1m, 1h30m", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("by=%s: the clock only moves forward; give a positive duration", s)
	}
	return d, nil
}

// shortDuration writes d without trailing zero units: 15m, 1h, 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// advanceText says what moving the clock did: "moved 15m: 2 transitions,
// 1 notification attempt".
func advanceText(d time.Duration, a gateway.Advanced) string {
	return fmt.Sprintf("moved %s: %s, %s", shortDuration(d), plural(a.Jobs, "transition", "transitions"),
		plural(a.Attempts, "notification attempt", "notification attempts"))
}

// advanceForm moves the test clock from the header's form and goes back
// to the page the form was on.
func (c *Console) advanceForm(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	back := localNext(r.PostFormValue("back"))
	if c.Advance == nil {
		c.fail(w, r, http.StatusConflict, "The clock cannot be moved: "+realClockRefusal+".")
		return
	}
	d, err := parseAdvance(r.PostFormValue("by"))
	if err != nil {
		redirect(w, r, back, err.Error(), true)
		return
	}
	a, err := c.Advance(r.Context(), d)
	if err != nil {
		c.log().Error("console: advance the clock", "by", d, "err", err)
		redirect(w, r, back, fmt.Sprintf("moving the clock %s failed part way: %v", shortDuration(d), err), true)
		return
	}
	redirect(w, r, back, advanceText(d, a), false)
}

// clockJSON is GET /console/api/clock.
type clockJSON struct {
	Now       string `json:"now"`
	TestClock bool   `json:"testClock"`
}

// advancedJSON is what POST /console/api/clock/advance answers.
type advancedJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Jobs     int    `json:"jobs"`
	Attempts int    `json:"attempts"`
}

func (c *Console) apiClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, clockJSON{Now: c.now().Format(time.RFC3339Nano), TestClock: c.Advance != nil})
}

// apiAdvance moves the test clock for antomgw clock advance: by is a form
// value or a query parameter.
func (c *Console) apiAdvance(w http.ResponseWriter, r *http.Request) {
	if c.Advance == nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": realClockRefusal})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the form could not be read"})
		return
	}
	d, err := parseAdvance(r.FormValue("by"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	a, err := c.Advance(r.Context(), d)
	if err != nil {
		status, fe := c.refused(err, "advance", "by")
		writeJSON(w, status, map[string]string{"error": fe.Message})
		return
	}
	writeJSON(w, http.StatusOK, advancedJSON{From: a.From.UTC().Format(time.RFC3339Nano), To: a.To.UTC().Format(time.RFC3339Nano),
		Jobs: a.Jobs, Attempts: a.Attempts})
}
