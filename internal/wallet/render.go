package wallet

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates under templates/, each parsed with
// layout.html and decide.html (the parts of the pages' form).
var pageNames = []string{"checkout", "home", "error", "session"}

// templates parses every page once, at first use.
var templates = sync.OnceValues(func() (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/decide.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
})

// fallbackPage is the 500 page when the templates themselves fail.
const fallbackPage = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>Error</title></head>` +
	`<body><h1>Something went wrong</h1><p>The wallet could not show this page. Try again in a moment.</p></body></html>`

// render executes the page template name with data and answers it with
// status. The page is rendered in full before anything is written, so a
// template error becomes a 500 page, not half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	ts, err := templates()
	if err == nil {
		err = ts[name].ExecuteTemplate(&buf, "layout", data)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		p.log().Error("wallet: render page", "page", name, "path", r.URL.Path, "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(fallbackPage))
		return
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is what the error template shows.
type errorView struct {
	Title   string
	Message string
}

func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	p.render(w, r, status, "error", errorView{Title: title, Message: message})
}

// linkNotValid is the one 404 page of checkout links: the same for an
// unknown payment, a payment without a link and a wrong token, so payment
// ids cannot be probed.
func (p *Pages) linkNotValid(w http.ResponseWriter, r *http.Request) {
	p.errorPage(w, r, http.StatusNotFound, "Link not valid", "This payment link is not valid or has expired.")
}

func (p *Pages) notFound(w http.ResponseWriter, r *http.Request) {
	p.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no wallet page at this address.")
}

// badRequest answers 400 with a page naming the field that is wrong.
func (p *Pages) badRequest(w http.ResponseWriter, r *http.Request, field, message string) {
	p.errorPage(w, r, http.StatusBadRequest, "Bad request: "+field, message)
}

// serverError answers 500 with a generic page; the caller logs the cause.
func (p *Pages) serverError(w http.ResponseWriter, r *http.Request) {
	p.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The wallet could not complete this request. Try again in a moment.")
}

// staticTypes are the content types of the embedded static files.
var staticTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// static serves an embedded file of static/.
func (p *Pages) static(w http.ResponseWriter, r *http.Request, name string) {
	ctype, ok := staticTypes[path.Ext(name)]
	if !ok || !fs.ValidPath(name) {
		p.notFound(w, r)
		return
	}
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		p.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
