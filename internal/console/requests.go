package console

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sigcheck"
	"github.com/antomgw/antomgw/internal/traffic"
	"github.com/antomgw/antomgw/wire"
)

type requestsData struct {
	Recording bool
	Client    string
	Failed    bool
	Clients   []string
	Rows      []exchangeView
	Older     string
	Live      string
	Newest    string
	Kept      int
}

// requests lists the recent API exchanges, newest first, a page at a
// time; with partial=rows it answers only the rows, for console.js.
func (c *Console) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := requestsData{Recording: c.Traffic != nil, Client: q.Get("client"), Failed: q.Get("failed") != "", Kept: traffic.DefaultMaxCount}
	var before uint64
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			c.fail(w, r, http.StatusBadRequest, fmt.Sprintf("before=%q is not an exchange number.", s))
			return
		}
		before = n
	}
	if c.Traffic != nil {
		list := c.Traffic.List(traffic.Filter{ClientID: d.Client, Failed: d.Failed, Before: before, Limit: pageSize + 1})
		keep := url.Values{}
		if d.Client != "" {
			keep.Set("client", d.Client)
		}
		if d.Failed {
			keep.Set("failed", "1")
		}
		if len(list) > pageSize {
			list = list[:pageSize]
			next := cloneValues(keep)
			next.Set("before", strconv.FormatUint(list[len(list)-1].ID, 10))
			d.Older = "/console/requests?" + next.Encode()
		}
		now := c.now()
		for _, x := range list {
			d.Rows = append(d.Rows, c.exchangeViewOf(x, now))
		}
		if before == 0 {
			live := cloneValues(keep)
			live.Set("partial", "rows")
			d.Live = "/console/requests?" + live.Encode()
		} else {
			d.Newest = "/console/requests?" + keep.Encode()
		}
	}
	if q.Get("partial") == "rows" {
		c.renderBlock(w, "requests", "request-rows", d.Rows)
		return
	}
	d.Clients = c.clientIDs(r)
	c.render(w, r, http.StatusOK, "requests", &page{Title: "Requests", Nav: "requests", Data: d})
}

type requestData struct {
	X exchangeView
	// Diagnose: the answer refused the signature or its key, so the page
	// explains why.
	Diagnose bool
	// Missing says what the diagnosis lacks (an unknown client, no
	// Signature header, no active key); empty when Diagnoses has it.
	Missing   string
	Diagnoses []diagnosisView
	// Note explains a refusal that was not about the signature.
	Note string
}

type diagnosisView struct {
	Version     int
	Fingerprint string
	Verified    bool
	Text        string
}

// request shows one exchange as it went over the wire and, for a refused
// signature, the diagnosis antomgw verify gives for each of the client's
// active keys.
func (c *Console) request(w http.ResponseWriter, r *http.Request) {
	if c.Traffic == nil {
		c.fail(w, r, http.StatusNotFound, "This gateway does not record its API exchanges.")
		return
	}
	s := r.PathValue("n")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		c.fail(w, r, http.StatusNotFound, fmt.Sprintf("%q is not an exchange number.", s))
		return
	}
	x, ok := c.Traffic.Get(n)
	if !ok {
		if n == 0 || n > c.Traffic.Last() {
			c.fail(w, r, http.StatusNotFound, fmt.Sprintf("Exchange #%d has not happened (yet).", n))
			return
		}
		c.fail(w, r, http.StatusNotFound, fmt.Sprintf("Exchange #%d is no longer kept (the console keeps the last %d exchanges of this process).", n, traffic.DefaultMaxCount))
		return
	}
	d := requestData{X: c.exchangeViewOf(x, c.now()), Diagnose: signatureRefusals[x.Result.Code] && !x.Verified}
	if x.Verified && x.Result.Code == wire.CodeKeyNotFound {
		d.Note = fmt.Sprintf("The signature verified with key version %d; the key not found is the gateway key version the Encrypt header names.", x.KeyVersion)
	}
	if d.Diagnose {
		d.Missing, d.Diagnoses = c.diagnose(r, x)
	}
	c.render(w, r, http.StatusOK, "request", &page{Title: fmt.Sprintf("Exchange #%d", x.ID), Nav: "requests", Data: d})
}

// diagnose runs sigcheck.Diagnose on a refused request with each active
// key of its client, as antomgw verify would with that key's file.
func (c *Console) diagnose(r *http.Request, x *traffic.Exchange) (missing string, out []diagnosisView) {
	sig := x.RequestHeader.Get("Signature")
	switch {
	case x.ClientID == "":
		return "The request has no Client-Id header, so there is no key to check its signature with.", nil
	case sig == "":
		return "The request has no Signature header: the merchant did not sign it.", nil
	}
	cl, err := c.Service.Client(r.Context(), x.ClientID)
	if gateway.KindOf(err) == gateway.KindNotFound {
		return fmt.Sprintf("Client %s is not registered (any more), so there is no key to check the signature with.", x.ClientID), nil
	}
	if err != nil {
		c.log().Error("console: diagnose", "client_id", x.ClientID, "err", err)
		return "The client's keys could not be read; the gateway log has the details.", nil
	}
	for _, k := range cl.Keys {
		if !k.Active() {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
		rk, ok := pub.(*rsa.PublicKey)
		if err != nil || !ok {
			out = append(out, diagnosisView{Version: k.Version, Text: "this key version does not parse as an RSA public key"})
			continue
		}
		dg := sigcheck.Diagnose(sigcheck.Input{Method: x.Method, URI: x.URI, ClientID: x.ClientID,
			Time: x.RequestHeader.Get("Request-Time"), Body: x.RequestBody, Signature: sig, Key: rk})
		var buf bytes.Buffer
		dg.WriteText(&buf)
		for _, warn := range dg.Warnings {
			fmt.Fprintf(&buf, "warning: %s\n", warn)
		}
		out = append(out, diagnosisView{Version: k.Version, Fingerprint: dg.KeyFingerprint, Verified: dg.Verified, Text: buf.String()})
	}
	if len(out) == 0 {
		return fmt.Sprintf("Client %s has no active key: every request it signs is refused until a key version is added.", x.ClientID), nil
	}
	return "", out
}
