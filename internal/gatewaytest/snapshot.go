package gatewaytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// Snapshot is a dump of what the gateway's store holds, one line per
// record, made by Gateway.Snapshot. Two snapshots of an unchanged store are
// equal (==); Diff says what changed between two.
type Snapshot string

// snapshotLimit bounds the payments and notifications a snapshot lists;
// Snapshot fails the test when a store holds more.
const snapshotLimit = 100_000

// Snapshot returns what the store holds, read with the store's own
// queries (no SQL, no reading its file): the registry version with every
// client, client key and gateway key (keys by fingerprint, never the
// private half); every payment, newest first, each followed by its
// refunds and, for an authorisation, its state and captures; every
// notification, newest first, each followed by its
// attempts. The scheduled delayed transitions and the wallet's 9910 marks
// are not in it: the store has no query that lists them (Advance and
// RunJobs say how many transitions ran). It fails the test when the store
// cannot be read.
func (g *Gateway) Snapshot(tb testing.TB) Snapshot {
	tb.Helper()
	s, err := g.snapshot(context.Background())
	if err != nil {
		tb.Fatalf("gatewaytest: snapshot: %v", err)
	}
	return s
}

func (g *Gateway) snapshot(ctx context.Context) (Snapshot, error) {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	reg, err := g.store.LoadRegistry(ctx)
	if err != nil {
		return "", err
	}
	line("registry version %d", reg.Version)
	for _, c := range reg.Clients {
		line("client %s notifyURL=%q encrypted=%v gatewayKeyVersion=%d created=%s",
			c.ID, c.NotifyURL, c.Encrypted, c.GatewayKeyVersion, stamp(c.CreatedAt))
		for _, k := range c.Keys {
			line("  client key %s v%d %s created=%s retired=%s", k.ClientID, k.Version, digest(k.PublicKey), stamp(k.CreatedAt), stamp(k.RetiredAt))
		}
	}
	for _, k := range reg.GatewayKeys {
		line("gateway key v%d %s %s created=%s activated=%s retired=%s",
			k.Version, k.State, digest(k.PrivateKey), stamp(k.CreatedAt), stamp(k.ActivatedAt), stamp(k.RetiredAt))
	}

	payments, err := g.store.Payments(ctx, gateway.PaymentFilter{Limit: snapshotLimit})
	if err != nil {
		return "", err
	}
	if len(payments) == snapshotLimit {
		return "", fmt.Errorf("the store holds %d payments or more; a snapshot lists at most %d", snapshotLimit, snapshotLimit)
	}
	line("payments %d", len(payments))
	for _, p := range payments {
		line("payment %s client=%s request=%q product=%s scenario=%s amount=%d %s method=%s/%q notifyURL=%q redirectURL=%q reference=%q fingerprint=%s action=%q "+
			"status=%s decided=%v result=%s %q created=%s updated=%s expires=%s paid=%s cancelled=%s refunded=%d",
			p.ID, p.ClientID, p.RequestID, p.ProductCode, p.Scenario, p.Amount.Value, p.Amount.Currency, p.MethodType, p.MethodID,
			p.NotifyURL, p.RedirectURL, p.ReferenceID, p.Fingerprint, p.ActionURL,
			p.Status, p.Decided, p.ResultCode, p.ResultMessage,
			stamp(p.CreatedAt), stamp(p.UpdatedAt), stamp(p.ExpiresAt), stamp(p.PaidAt), stamp(p.CancelledAt), p.Refunded)
		refunds, err := g.store.Refunds(ctx, p.ID)
		if err != nil {
			return "", err
		}
		for _, r := range refunds {
			line("  refund %s client=%s request=%q amount=%d %s reason=%q reference=%q notifyURL=%q async=%v fingerprint=%s "+
				"status=%s result=%s %q created=%s updated=%s refunded=%s",
				r.ID, r.ClientID, r.RequestID, r.Amount.Value, r.Amount.Currency, r.Reason, r.ReferenceID, r.NotifyURL, r.Async, r.Fingerprint,
				r.Status, r.ResultCode, r.ResultMessage, stamp(r.CreatedAt), stamp(r.UpdatedAt), stamp(r.RefundedAt))
		}
		if !p.Authorization {
			continue
		}
		line("  authorisation mode=%s state=%q expires=%s captured=%d capturing=%d",
			p.CaptureMode, p.AuthState, stamp(p.AuthExpiresAt), p.Captured, p.Capturing)
		captures, err := g.store.Captures(ctx, p.ID)
		if err != nil {
			return "", err
		}
		for _, c := range captures {
			line("  capture %s client=%s request=%q amount=%d %s last=%v automatic=%v fingerprint=%s status=%s result=%s %q created=%s updated=%s captured=%s",
				c.ID, c.ClientID, c.RequestID, c.Amount.Value, c.Amount.Currency, c.Last, c.Automatic, c.Fingerprint,
				c.Status, c.ResultCode, c.ResultMessage, stamp(c.CreatedAt), stamp(c.UpdatedAt), stamp(c.CapturedAt))
		}
	}

	notes, err := g.store.Notifications(ctx, gateway.NotificationFilter{Limit: snapshotLimit})
	if err != nil {
		return "", err
	}
	if len(notes) == snapshotLimit {
		return "", fmt.Errorf("the store holds %d notifications or more; a snapshot lists at most %d", snapshotLimit, snapshotLimit)
	}
	line("notifications %d", len(notes))
	for _, n := range notes {
		line("notification %s client=%s %s payment=%s refund=%s url=%q body=%s created=%s due=%s attempts=%d delivered=%s givenUp=%s lastError=%q",
			n.ID, n.ClientID, n.Kind, n.PaymentID, n.RefundID, n.URL, digest(n.Body), stamp(n.CreatedAt), stamp(n.DueAt),
			n.Attempts, stamp(n.DeliveredAt), stamp(n.GivenUpAt), n.LastError)
		attempts, err := g.store.NotificationAttempts(ctx, n.ID)
		if err != nil {
			return "", err
		}
		for _, a := range attempts {
			line("  attempt %d at=%s duration=%s %s http=%d error=%q", a.Number, stamp(a.At), a.Duration, a.Outcome, a.HTTPStatus, a.Error)
		}
	}
	return Snapshot(b.String()), nil
}

// Diff returns the lines of s missing from after ("- …") and the lines of
// after missing from s ("+ …"), or "" when the two are equal.
func (s Snapshot) Diff(after Snapshot) string {
	if s == after {
		return ""
	}
	count := func(x Snapshot) map[string]int {
		m := map[string]int{}
		for l := range strings.SplitSeq(strings.TrimSuffix(string(x), "\n"), "\n") {
			m[l]++
		}
		return m
	}
	was, now := count(s), count(after)
	var out []string
	for l, n := range was {
		for range n - now[l] {
			out = append(out, "- "+l)
		}
	}
	for l, n := range now {
		for range n - was[l] {
			out = append(out, "+ "+l)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "the same lines in another order"
	}
	return strings.Join(out, "\n")
}

// stamp formats a stored time; "-" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// digest names bytes by the start of their SHA-256.
func digest(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}
