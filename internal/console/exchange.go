package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/traffic"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

// exchangeView is one API exchange as the pages show it.
type exchangeView struct {
	ID                    uint64
	At                    stamp
	Latency               string
	Remote, Method, URI   string
	API, Family, Client   string
	Status, Code, Message string
	Replay                bool
	Signature             string // what the signature check found
	SignatureOK           bool
	PaymentID, RefundID   string
	PaymentRequestID      string
	RefundRequestID       string
	Request, Response     messageView
	// Refused: the signature, or the key to check it, was refused; the
	// exchange's page diagnoses it.
	Refused bool
	// RuleID is the scenario rule that shaped the exchange, Rule what it
	// did, RuleLink its row on the rules page; HTTPStatus the answer's
	// status line when it was not 200.
	RuleID, Rule, RuleLink string
	HTTPStatus             int
}

// messageView is a request or an answer: headers and body as on the
// wire, and the body before encryption when it was encrypted.
type messageView struct {
	// Title names the message ("Request as received"); PlainTitle its
	// body before encryption ("Decrypted body").
	Title, PlainTitle string
	Header            []headerLine
	// Body is the body to read: pretty-printed JSON, decrypted when the
	// message was encrypted.
	Body string
	// Encrypted: Wire is the ciphertext (WireLen bytes) and Body the
	// plaintext.
	Encrypted bool
	Wire      string
	WireLen   int
}

type headerLine struct{ Name, Value string }

// signatureRefusals are the result codes of a request whose signature (or
// the key to check it) was refused.
var signatureRefusals = map[string]bool{wire.CodeInvalidSignature: true, wire.CodeKeyNotFound: true}

func (c *Console) exchangeViewOf(x *traffic.Exchange, now time.Time) exchangeView {
	v := exchangeView{ID: x.ID, At: stampOf(x.At, now), Latency: latency(x.Latency), Remote: x.Remote, Method: x.Method, URI: x.URI,
		API: x.API, Family: x.Family, Client: x.ClientID, Status: string(x.Result.Status), Code: x.Result.Code,
		Message: x.Result.Message, Replay: x.Replay, PaymentID: x.PaymentID, RefundID: x.RefundID,
		PaymentRequestID: x.PaymentRequestID, RefundRequestID: x.RefundRequestID, Refused: signatureRefusals[x.Result.Code],
		RuleID: x.RuleID, Rule: x.Rule}
	if x.RuleID != "" {
		v.RuleLink = ruleURL(x.RuleID)
	}
	if x.HTTPStatus != 0 && x.HTTPStatus != http.StatusOK {
		v.HTTPStatus = x.HTTPStatus
	}
	switch {
	case x.Verified:
		v.Signature, v.SignatureOK = fmt.Sprintf("verified with key version %d", x.KeyVersion), true
	case v.Refused || x.Result.Code == wire.CodeInvalidClient:
		v.Signature = "refused (" + x.Result.Code + ")"
	default:
		v.Signature = "not checked (the request was refused before)"
	}
	v.Request = messageOf("Request as received", "Decrypted body", x.RequestHeader, x.RequestBody, x.RequestPlain)
	v.Response = messageOf("Answer as sent", "Body before encryption", x.ResponseHeader, x.ResponseBody, x.ResponsePlain)
	return v
}

func messageOf(title, plainTitle string, h http.Header, wireBody, plain []byte) messageView {
	m := messageView{Title: title, PlainTitle: plainTitle, Header: headerLines(h), WireLen: len(wireBody)}
	m.Wire, m.Body = printable(wireBody), pretty(wireBody)
	if plain != nil {
		m.Encrypted, m.Body = true, pretty(plain)
	}
	return m
}

func headerLines(h http.Header) []headerLine {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []headerLine
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, headerLine{k, v})
		}
	}
	return out
}

// pretty indents a JSON body; anything else is shown as it is.
func pretty(b []byte) string {
	var buf bytes.Buffer
	if json.Valid(b) && json.Indent(&buf, b, "", "  ") == nil {
		return buf.String()
	}
	return printable(b)
}

// printable is b as text; bytes that are not UTF-8 are shown as \xNN.
func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		} else {
			sb.WriteRune(r)
		}
		b = b[n:]
	}
	return sb.String()
}

func latency(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

// paymentExchanges returns the exchanges that name a payment, by its
// paymentId or by its client and paymentRequestId, oldest first.
func (c *Console) paymentExchanges(p *gateway.Payment) []*traffic.Exchange {
	if c.Traffic == nil {
		return nil
	}
	seen := map[uint64]bool{}
	var out []*traffic.Exchange
	for _, f := range []traffic.Filter{{PaymentID: p.ID, Limit: traffic.DefaultMaxCount},
		{ClientID: p.ClientID, PaymentRequestID: p.RequestID, Limit: traffic.DefaultMaxCount}} {
		for _, x := range c.Traffic.List(f) {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// event is one line of a payment's timeline.
type event struct {
	At     stamp
	What   string
	Detail string
	Link   string // an anchor on the page, or another page
	Status string // for a badge; empty for none
	Future bool
	t      time.Time
	order  int
}

// timeline orders what happened to a payment by time: its own times, its
// captures and refunds, its notifications and their attempts, and the API exchanges
// about it. Events at the same instant keep the order they are added in
// (the exchanges first: a pay arrives before its payment exists), so a
// test clock standing still still reads as a story.
func timeline(d *gateway.PaymentDetail, exchanges []*traffic.Exchange, now time.Time) []event {
	var evs []event
	add := func(t time.Time, what, detail, link, status string) {
		if t.IsZero() {
			return
		}
		evs = append(evs, event{At: stampOf(t, now), What: what, Detail: detail, Link: link, Status: status,
			Future: t.After(now), t: t, order: len(evs)})
	}
	p := d.Payment
	for _, x := range exchanges {
		what := x.API
		if what == "" {
			what = x.Method + " " + x.URI
		}
		detail := x.Result.String()
		if x.Replay {
			detail += " (replay)"
		}
		if x.RuleID != "" {
			detail += " (scenario rule " + x.RuleID + ": " + x.Rule + ")"
		}
		add(x.At, "API "+what, detail, fmt.Sprintf("#x%d", x.ID), string(x.Result.Status))
	}
	add(p.CreatedAt, "payment created", view.FormatMoney(p.Amount)+", "+product(p), "", "PROCESSING")
	add(p.PaidAt, "paid", "", "", "SUCCESS")
	switch p.Status {
	case gateway.PaymentFail:
		add(p.UpdatedAt, "failed", p.ResultCode+": "+p.ResultMessage, "", "FAIL")
	case gateway.PaymentCancelled:
		add(p.CancelledAt, "cancelled", p.ResultMessage, "", "CANCELLED")
	case gateway.PaymentProcessing:
		add(p.ExpiresAt, "closes unless paid (paymentExpiryTime)", "", "", "")
	}
	if p.Authorization && p.AuthState.Open() {
		add(p.AuthExpiresAt, "the authorisation's rest is released unless captured (authExpiryTime)", "", "#authorisation", "")
	}
	for _, c := range d.Captures {
		what := "capture " + c.ID
		if c.Automatic {
			what += " (automatic)"
		}
		detail := view.FormatMoney(c.Amount) + ", " + string(c.Status)
		if c.Status == gateway.CaptureFail {
			detail += " " + c.ResultCode
		}
		add(c.CreatedAt, what+" requested", detail, "#captures", string(c.Status))
		add(c.CapturedAt, what+" captured", view.FormatMoney(c.Amount), "#captures", "SUCCESS")
	}
	for _, r := range d.Refunds {
		add(r.CreatedAt, "refund "+r.ID+" requested", view.FormatMoney(r.Amount)+", "+string(r.Status), "#refunds", string(r.Status))
		add(r.RefundedAt, "refund "+r.ID+" refunded", view.FormatMoney(r.Amount), "#refunds", "SUCCESS")
	}
	for _, nd := range d.Notifications {
		n := nd.Notification
		add(n.CreatedAt, string(n.Kind)+" created", "to "+n.URL, "#n-"+n.ID, "")
		for _, a := range nd.Attempts {
			detail := string(a.Outcome)
			if a.HTTPStatus != 0 {
				detail += fmt.Sprintf(", HTTP %d", a.HTTPStatus)
			}
			if a.Error != "" {
				detail += ": " + a.Error
			}
			st := "FAIL"
			if a.Outcome == gateway.OutcomeDelivered {
				st = "SUCCESS"
			}
			add(a.At, fmt.Sprintf("%s attempt #%d", n.Kind, a.Number), detail, "#n-"+n.ID, st)
		}
		if n.Pending() {
			add(n.DueAt, fmt.Sprintf("%s attempt #%d due", n.Kind, n.Attempts+1), "", "#n-"+n.ID, "")
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].t.Equal(evs[j].t) {
			return evs[i].t.Before(evs[j].t)
		}
		return evs[i].order < evs[j].order
	})
	return evs
}
