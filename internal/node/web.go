package node

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/antomgw/antomgw/docs"
	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/wallet"
)

// web wires the pages of a node: the wallet user's pages, always, and the
// operator's console when cfg.Console is set.
func (n *Node) web(cfg Config) {
	n.Wallet = &wallet.Pages{Service: n.Service, PublicURL: cfg.PublicURL, Now: cfg.Now, Log: n.log}
	n.Service.SessionURL, n.Service.LogoURL = n.Wallet.SessionURL, n.Wallet.LogoURL
	if !cfg.Console {
		return
	}
	n.Console = &console.Console{Service: n.Service, Traffic: n.Traffic, Now: cfg.Now, Token: cfg.ConsoleToken, Log: n.log}
	if n.clock != nil {
		n.Console.Advance = n.Advance
	}
}

// Handler returns what a node serves over HTTP: the operator's console
// under /console/ (when it is on), the wallet user's pages under /wallet/,
// the OpenAPI document at /openapi.yaml (GET and HEAD), and the API (with
// /healthz, /readyz and /metrics) everywhere else. A browser's GET / is
// sent to the console.
func (n *Node) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/console" || p == "/wallet":
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
		case strings.HasPrefix(p, "/console/"):
			if n.Console == nil {
				http.Error(w, "The console is off on this listener: antomgw serves it on loopback addresses, "+
					"or on any address with --console-token (see docs/console.md).", http.StatusNotFound)
				return
			}
			n.Console.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/wallet/"):
			n.Wallet.ServeHTTP(w, r)
		case p == "/" && r.Method == http.MethodGet && n.Console != nil:
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
		case p == "/openapi.yaml" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			w.Header().Set("Content-Type", "application/yaml")
			http.ServeContent(w, r, "openapi.yaml", time.Time{}, bytes.NewReader(docs.OpenAPI()))
		default:
			n.API.ServeHTTP(w, r)
		}
	})
}
