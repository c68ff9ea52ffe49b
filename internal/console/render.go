package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// pageNames are the templates/<name>.html that are whole pages; each is
// parsed with the layout and the shared partials.
var pageNames = []string{"payments", "payment", "requests", "request", "notifications",
	"clients", "keys", "scenarios", "rules", "login", "error", "sessions"}

var funcs = template.FuncMap{
	"choice": func(name string, options []string, selected string) choice { return choice{name, options, selected} },
	"badge":  badgeClass,
	"path":   url.PathEscape,
	"join":   strings.Join,
}

var templates = func() map[string]*template.Template {
	m := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		m[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	return m
}()

// choice is a filter's select: its name, options and the selected one
// (the "select" template, with an "all" option first).
type choice struct {
	Name     string
	Options  []string
	Selected string
}

// badgeClass is the CSS class of a status badge.
func badgeClass(status string) string {
	switch status {
	case "SUCCESS", "S", "delivered", "active", "COMPLETED":
		return "badge ok"
	case "FAIL", "F", "given up", "retired":
		return "badge bad"
	case "PROCESSING", "U", "pending", "published", "ACTIVE":
		return "badge wait"
	case "AUTHORISED", "PARTIALLY_CAPTURED": // an authorisation with something left to capture
		return "badge wait"
	case "CAPTURED":
		return "badge ok"
	}
	return "badge off"
}

// page is what the layout renders around a page's own content.
type page struct {
	Title string
	Nav   string // the active section of the navigation
	Bare  bool   // no navigation or clock (the login page)
	Data  any    // the page's own data
	// Err is a refused action, shown above the content.
	Err *formError
	// Back is the GET address of this page, where the clock form returns.
	Back string

	// Set by render.
	Now       stamp
	TestClock bool
	Quick     []string // the clock form's one-click steps
	Flash     string
	FlashErr  bool
	Logout    bool
}

// stamp is a time as pages show it: UTC, with a hint relative to the
// gateway's clock.
type stamp struct {
	Abs, Rel, ISO string
}

// Zero reports whether there is no time.
func (s stamp) Zero() bool { return s.Abs == "" }

func stampOf(t, now time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	t = t.UTC()
	return stamp{Abs: t.Format("2006-01-02 15:04:05.000"), Rel: relative(t, now), ISO: t.Format(time.RFC3339Nano)}
}

// relative says how far t is from now, for people: "just now", "2 min
// ago", "in 3 h".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d/time.Hour))
	default:
		s = fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// render executes a page into a buffer and writes it with status, so a
// template error never leaves half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	now := c.now()
	p.Now = stampOf(now, now)
	p.TestClock = c.Advance != nil
	p.Quick = quickAdvances
	p.Logout = c.Token != ""
	if p.Back == "" {
		p.Back = prefix
		if r.Method == http.MethodGet {
			p.Back = localNext(r.URL.RequestURI())
		}
	}
	if r.Method == http.MethodGet {
		p.Flash, p.FlashErr = takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := templates[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log().Error("console: render", "page", name, "err", err)
		http.Error(w, "the console could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderBlock writes one named block of a page's template alone, for the
// live updates of console.js.
func (c *Console) renderBlock(w http.ResponseWriter, name, block string, data any) {
	var buf bytes.Buffer
	if err := templates[name].ExecuteTemplate(&buf, block, data); err != nil {
		c.log().Error("console: render", "page", name, "block", block, "err", err)
		http.Error(w, "the console could not render this part", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// fail answers with an error page (JSON for the API).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	c.render(w, r, status, "error", &page{Title: http.StatusText(status), Data: errorData{Status: status, Text: http.StatusText(status), Message: msg}})
}

type errorData struct {
	Status  int
	Text    string
	Message string
}

// formError is a refused action: which one, the form field it concerns
// and the gateway's message.
type formError struct {
	Action  string
	Field   string
	Message string
}

// fieldLabels name the core's fields as the console's forms call them.
var fieldLabels = map[string]string{
	"refundAmount.value": "amount", "refundAmount.currency": "amount", "paymentAmount.value": "amount",
	"publicKey": "public key", "notifyUrl": "notify URL", "clientId": "client id",
	"keyVersion": "key version", "gatewayKeyVersion": "gateway key", "paymentId": "payment",
}

// refused turns an error of a use case into the status and message of a
// re-rendered page: 400 for an invalid field, 404 for a missing record,
// 409 for a state that does not allow the action. field names the form
// field when the gateway names none.
func (c *Console) refused(err error, action, field string) (int, *formError) {
	fe := &formError{Action: action, Field: field}
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		c.log().Error("console: "+action, "err", err)
		fe.Message = "the gateway failed; its log has the details"
		return http.StatusInternalServerError, fe
	}
	if ge.Field != "" {
		fe.Field = ge.Field
		if l, ok := fieldLabels[ge.Field]; ok {
			fe.Field = l
		}
	}
	fe.Message = ge.Message
	status := http.StatusConflict
	switch ge.Kind {
	case gateway.KindInvalid, gateway.KindCurrency:
		status = http.StatusBadRequest
	case gateway.KindNotFound:
		status = http.StatusNotFound
	case gateway.KindUnavailable:
		status = http.StatusServiceUnavailable
	case gateway.KindInternal:
		c.log().Error("console: "+action, "err", err)
		fe.Message = "the gateway failed; its log has the details"
		status = http.StatusInternalServerError
	}
	if fe.Message == "" {
		fe.Message = ge.Error()
	}
	return status, fe
}

// invalid is a refusal the console makes itself, before calling the
// gateway.
func invalid(action, field, format string, args ...any) *formError {
	return &formError{Action: action, Field: field, Message: fmt.Sprintf(format, args...)}
}

// parseForm reads a form of at most 1 MiB; it answers 400 and reports
// false when the form does not parse.
func (c *Console) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, http.StatusBadRequest, "The form could not be read: it is too large or malformed.")
		return false
	}
	return true
}

const flashCookie = "antomgw_console_flash"

// redirect answers 303 to a console page, with a flash message the page
// shows once.
func redirect(w http.ResponseWriter, r *http.Request, to, flash string, isErr bool) {
	if flash != "" {
		kind := "ok."
		if isErr {
			kind = "err."
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: kind + base64.RawURLEncoding.EncodeToString([]byte(flash)),
			Path: prefix, MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	}
	http.Redirect(w, r, localNext(to), http.StatusSeeOther)
}

// takeFlash reads the flash message and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) (string, bool) {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return "", false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	kind, enc, _ := strings.Cut(ck.Value, ".")
	msg, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(msg) > 500 {
		return "", false
	}
	return string(msg), kind == "err"
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// static serves the embedded stylesheet and script.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil || strings.Contains(name, "/") {
		c.fail(w, r, http.StatusNotFound, "There is no console file "+name+".")
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}
