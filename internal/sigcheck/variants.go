package sigcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/antomgw/antomgw/wire"
)

// alt is one alternative value for an input, with the words that describe
// the change ("without the body's trailing \n").
type alt[T any] struct {
	desc string
	v    T
}

// maxVariantBody is the body size above which only single changes, and only
// those at the ends of the body, are tried (each try copies and hashes the
// whole body).
const maxVariantBody = 1 << 20

// findVariant looks for small changes of the inputs (the usual ways a body,
// path or header gets altered between signer and verifier) whose signing
// content has the given SHA-256. It returns the descriptions of the changes
// of the smallest match, or nil.
func findVariant(in Input, digest []byte) []string {
	bodies := append([]alt[[]byte]{{"", in.Body}}, bodyAlternatives(in.Body, len(in.Body) <= maxVariantBody)...)
	uris := append([]alt[string]{{"", in.URI}}, uriAlternatives(in.URI)...)
	methods := []alt[string]{{"", in.Method}}
	if in.Method != "POST" {
		methods = append(methods, alt[string]{"with method POST", "POST"})
	}
	clients := []alt[string]{{"", in.ClientID}}
	if t := strings.TrimSpace(in.ClientID); t != in.ClientID {
		clients = append(clients, alt[string]{"with the Client-Id trimmed", t})
	}
	times := []alt[string]{{"", in.Time}}
	if t := strings.TrimSpace(in.Time); t != in.Time {
		times = append(times, alt[string]{"with the time trimmed", t})
	}
	maxChanges := 2
	if len(in.Body) > maxVariantBody {
		maxChanges = 1
	}
	for n := 1; n <= maxChanges; n++ {
		for _, b := range bodies {
			for _, u := range uris {
				for _, m := range methods {
					for _, c := range clients {
						for _, t := range times {
							descs := nonEmpty(b.desc, u.desc, m.desc, c.desc, t.desc)
							if len(descs) != n {
								continue
							}
							sum := sha256.Sum256(wire.Message{Method: m.v, URI: u.v, ClientID: c.v, Time: t.v, Body: b.v}.Content())
							if bytes.Equal(sum[:], digest) {
								return descs
							}
						}
					}
				}
			}
		}
	}
	return nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var bom = []byte{0xef, 0xbb, 0xbf}

// bodyAlternatives returns the bodies a signer may have signed instead of b:
// without all the copies when all is false.
func bodyAlternatives(b []byte, all bool) []alt[[]byte] {
	var out []alt[[]byte]
	seen := map[string]bool{string(b): true}
	add := func(desc string, nb []byte) {
		if !seen[string(nb)] {
			seen[string(nb)] = true
			out = append(out, alt[[]byte]{desc, nb})
		}
	}
	if bytes.HasSuffix(b, []byte("\r\n")) {
		add(`without the body's trailing \r\n`, b[:len(b)-2])
	}
	if bytes.HasSuffix(b, []byte("\n")) {
		add(`without the body's trailing \n`, b[:len(b)-1])
	}
	add("without the body's trailing whitespace", bytes.TrimRight(b, " \t\r\n"))
	add(`with \n appended to the body`, append(bytes.Clone(b), '\n'))
	if !all {
		return out
	}
	add(`with the body's \r\n line endings turned into \n`, bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
	if !bytes.Contains(b, []byte("\r\n")) {
		add(`with the body's \n line endings turned into \r\n`, bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	}
	if bytes.HasPrefix(b, bom) {
		add("without the body's UTF-8 byte-order mark", b[len(bom):])
	}
	if json.Valid(b) {
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			add("with the JSON body compacted (no whitespace between tokens)", compact.Bytes())
		}
		for _, ind := range []struct{ desc, indent string }{
			{"with the JSON body pretty-printed (2-space indent)", "  "},
			{"with the JSON body pretty-printed (4-space indent)", "    "},
			{"with the JSON body pretty-printed (tab indent)", "\t"},
		} {
			var buf bytes.Buffer
			if json.Indent(&buf, b, "", ind.indent) == nil {
				add(ind.desc, buf.Bytes())
			}
		}
		if r, ok := reserialise(b, false); ok {
			add("with the JSON body re-serialised (keys sorted)", r)
		}
		if r, ok := reserialise(b, true); ok {
			add("with the JSON body re-serialised by Go's encoding/json (keys sorted, <>& escaped)", r)
		}
	}
	if len(b) > 0 {
		add("with an empty body", nil)
	}
	return out
}

// reserialise decodes the JSON b and encodes it again compactly, the way a
// framework that re-encodes a request would: object keys sorted, strings
// re-escaped, numbers kept as written.
func reserialise(b []byte, escapeHTML bool) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// uriAlternatives returns the URIs a signer may have signed instead of u.
func uriAlternatives(u string) []alt[string] {
	var out []alt[string]
	seen := map[string]bool{u: true}
	add := func(desc, nu string) {
		if !seen[nu] {
			seen[nu] = true
			out = append(out, alt[string]{desc, nu})
		}
	}
	path, query, hasQuery := strings.Cut(u, "?")
	if strings.Contains(u, "://") {
		if pu, err := url.Parse(u); err == nil && pu.Path != "" {
			p := pu.EscapedPath()
			if pu.RawQuery != "" {
				add("with only the path and query of the URL (no scheme or host)", p+"?"+pu.RawQuery)
			}
			add("with only the path of the URL (no scheme, host or query)", p)
		}
	} else if !strings.HasPrefix(u, "/") {
		add("with a leading / on the path", "/"+u)
		if i := strings.IndexByte(path, '/'); i > 0 && strings.Contains(path[:i], ".") {
			add("without the host before the path", u[i:])
		}
	}
	if hasQuery {
		add("with the path without its ?query", path)
	}
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		add("without the path's trailing /", rejoin(strings.TrimSuffix(path, "/"), query, hasQuery))
	} else if len(path) > 1 {
		add("with a trailing / on the path", rejoin(path+"/", query, hasQuery))
	}
	if strings.Contains(u, "/ams/api/") {
		add("with /ams/sandbox/api/ in the path (the official SDKs rewrite /ams/api/ for SANDBOX_ client ids)",
			strings.Replace(u, "/ams/api/", "/ams/sandbox/api/", 1))
	}
	if strings.Contains(u, "/ams/sandbox/api/") {
		add("with /ams/api/ instead of /ams/sandbox/api/ in the path", strings.Replace(u, "/ams/sandbox/api/", "/ams/api/", 1))
	}
	return out
}

func rejoin(path, query string, hasQuery bool) string {
	if hasQuery {
		return path + "?" + query
	}
	return path
}
