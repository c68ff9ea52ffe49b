//go:build unix

package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// openStore opens the env's store (the server may be running: the store is
// safe for several processes). The caller closes it.
func openStore(t *testing.T, e *env) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), e.dbPath(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// allRows bounds the listings below; a test's store holds far fewer.
const allRows = 1_000_000

// allPayments returns every payment of the store in status ("" for
// every status).
func allPayments(t *testing.T, st *sqlite.Store, status gateway.PaymentStatus) []*gateway.Payment {
	t.Helper()
	ps, err := st.Payments(context.Background(), gateway.PaymentFilter{Status: status, Limit: allRows})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// paymentsByRequest returns the payments by paymentRequestId, and the
// request ids that have more than one (the check the store's unique
// constraint should make pointless).
func paymentsByRequest(ps []*gateway.Payment) (map[string]*gateway.Payment, []string) {
	out := map[string]*gateway.Payment{}
	count := map[string]int{}
	var dups []string
	for _, p := range ps {
		out[p.RequestID] = p
		if count[p.ClientID+"/"+p.RequestID]++; count[p.ClientID+"/"+p.RequestID] == 2 {
			dups = append(dups, p.ClientID+"/"+p.RequestID)
		}
	}
	slices.Sort(dups)
	return out, dups
}

// dump returns what the store holds that a request can change, read with
// its own queries: the registry, every payment with its refunds, every
// notification with its attempts, as JSON. Two dumps of an unchanged store
// are equal. Reading everything is also the test of the file's integrity
// the store allows: a damaged page fails the read. The delayed transitions
// are not in it (the store has no query that lists them): one that changes
// anything changes a payment or a refund.
func dump(st *sqlite.Store) (string, error) {
	ctx := context.Background()
	type payment struct {
		*gateway.Payment
		Refunds []*gateway.Refund
	}
	type notification struct {
		gateway.Notification
		Attempts []gateway.Attempt
	}
	var d struct {
		Registry      *gateway.Registry
		Payments      []payment
		Notifications []notification
	}
	reg, err1 := st.LoadRegistry(ctx)
	ps, err2 := st.Payments(ctx, gateway.PaymentFilter{Limit: allRows})
	ns, err3 := st.Notifications(ctx, gateway.NotificationFilter{Limit: allRows})
	errs := []error{err1, err2, err3}
	d.Registry = reg
	for _, p := range ps {
		rs, err := st.Refunds(ctx, p.ID)
		d.Payments, errs = append(d.Payments, payment{p, rs}), append(errs, err)
	}
	for _, n := range ns {
		as, err := st.NotificationAttempts(ctx, n.ID)
		d.Notifications, errs = append(d.Notifications, notification{n, as}), append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	return string(b), err
}

// mustDump is dump for a store that must be readable.
func mustDump(t *testing.T, st *sqlite.Store) string {
	t.Helper()
	s, err := dump(st)
	if err != nil {
		t.Fatalf("read the store: %v", err)
	}
	return s
}

// processing returns the request ids of the payments still PROCESSING.
func processing(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	var ids []string
	for _, p := range allPayments(t, st, gateway.PaymentProcessing) {
		ids = append(ids, p.RequestID)
	}
	return ids
}

// describeStuck returns, for request ids whose payment is not final, the
// payment as the store has it, for failure messages.
func describeStuck(t *testing.T, e *env, requestIDs []string) string {
	t.Helper()
	st := openStore(t, e)
	defer st.Close()
	var b strings.Builder
	for _, id := range first(requestIDs, 5) {
		p, err := st.PaymentByRequestID(context.Background(), e.clientID, id)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", id, err)
			continue
		}
		fmt.Fprintf(&b, "%s: payment %s %s decided=%v created %v updated %v expires %v\n", id, p.ID, p.Status, p.Decided, p.CreatedAt, p.UpdatedAt, p.ExpiresAt)
	}
	return b.String()
}

// pendingWork says what in the store is not final: payments PROCESSING,
// refunds PROCESSING, notifications not delivered; "" when nothing is.
func pendingWork(t *testing.T, st *sqlite.Store) string {
	t.Helper()
	ctx := context.Background()
	var pending []string
	for _, p := range allPayments(t, st, "") {
		if p.Status == gateway.PaymentProcessing {
			pending = append(pending, "payment "+p.ID)
		}
		rs, err := st.Refunds(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Status == gateway.RefundProcessing {
				pending = append(pending, "refund "+r.ID)
			}
		}
	}
	ns, err := st.Notifications(ctx, gateway.NotificationFilter{Undelivered: true, Limit: allRows})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		pending = append(pending, "notification "+n.ID)
	}
	return strings.Join(pending, ", ")
}
