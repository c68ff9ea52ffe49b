package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IsLoopback reports whether a listener's address is a loopback address.
func IsLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// BrowsableURL returns scheme://host:port of a listener's address as a
// browser on this machine opens it: 127.0.0.1 (or [::1]) for an
// unspecified address such as 0.0.0.0.
func BrowsableURL(scheme string, a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	switch {
	case !ok || !tcp.IP.IsUnspecified():
		return scheme + "://" + a.String()
	case tcp.IP.To4() != nil:
		return scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return scheme + "://" + net.JoinHostPort("::1", strconv.Itoa(tcp.Port))
}

// ServePprof serves the net/http/pprof endpoints on their own listener at
// addr, never on the API's, until stop is called.
func ServePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// NewLogger returns a logger writing to w in format (text or json) at level
// (debug, info, warn or error).
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: durationText}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// durationText writes durations as Go duration strings ("1.5s") in every
// log format; JSON would write nanoseconds.
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

// PlainHandler writes log records as plain lines for a command line tool's
// stderr, like the tool's other messages: "message key=value ...", with
// the level in front only for warnings and errors.
type PlainHandler struct {
	W     io.Writer
	Level slog.Leveler
	attrs []slog.Attr
	mu    *sync.Mutex
}

// NewPlainLogger returns a logger writing plain lines to w from level up.
func NewPlainLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(&PlainHandler{W: w, Level: level, mu: new(sync.Mutex)})
}

func (h *PlainHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.Level.Level() }

func (h *PlainHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if r.Level >= slog.LevelWarn {
		b.WriteString(strings.ToLower(r.Level.String()) + ": ")
	}
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		a = durationText(nil, a)
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\"=") || v == "" {
			v = strconv.Quote(v)
		}
		b.WriteString(" " + a.Key + "=" + v)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.W, b.String())
	return err
}

func (h *PlainHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), as...)
	return &c
}

// WithGroup is not needed by the tools; groups are flattened.
func (h *PlainHandler) WithGroup(string) slog.Handler { return h }

// ParsePublicURL checks a public URL (scheme://host[:port], http or https,
// no path or query) and returns it without a trailing slash.
func ParsePublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("%q: want scheme://host[:port], such as https://gateway.example", s)
	}
	return strings.TrimSuffix(s, "/"), nil
}
