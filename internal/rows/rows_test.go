package rows

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// fakeRow is a row of values as a driver returns them: Scan hands each to
// its destination's Scan method when it has one, else converts it to the
// destination's type, as database/sql does for the types the stores use.
type fakeRow []any

func (r fakeRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("%d destinations for %d columns", len(dest), len(r))
	}
	for i, d := range dest {
		if s, ok := d.(interface{ Scan(any) error }); ok {
			if err := s.Scan(r[i]); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
			continue
		}
		dv := reflect.ValueOf(d).Elem()
		v := reflect.ValueOf(r[i])
		if !v.Type().ConvertibleTo(dv.Type()) {
			return fmt.Errorf("column %d: cannot scan %T into %T", i, r[i], d)
		}
		dv.Set(v.Convert(dv.Type()))
	}
	return nil
}

// countRow counts the destinations it is given.
type countRow struct{ n *int }

func (r countRow) Scan(dest ...any) error {
	*r.n = len(dest)
	return nil
}

func columns(list string) int { return len(strings.Split(list, ",")) }

func asIs(b bool) any { return b }

func TestTime(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123).UTC()
	for _, tc := range []struct {
		v    any
		want time.Time
	}{
		{nil, time.Time{}},
		{at.UnixMilli(), at},
		{time.Time{}.UnixMilli(), time.Time{}},
	} {
		got := time.Unix(1, 0) // overwritten, also by NULL
		if err := (Time{&got}).Scan(tc.v); err != nil {
			t.Fatalf("Scan(%v): %v", tc.v, err)
		}
		if !got.Equal(tc.want) || got.Location() != time.UTC && !got.IsZero() {
			t.Errorf("Scan(%v) = %v, want %v in UTC", tc.v, got, tc.want)
		}
	}
	var got time.Time
	if err := (Time{&got}).Scan("2024-01-01"); err == nil {
		t.Error("Scan of a string: no error")
	}
}

func TestMillis(t *testing.T) {
	if v := Millis(time.Time{}); v != nil {
		t.Errorf("Millis(zero) = %v, want nil", v)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 10_000_000, time.FixedZone("X", 3600))
	v := Millis(at)
	if v != at.UnixMilli() {
		t.Errorf("Millis(%v) = %v, want %d", at, v, at.UnixMilli())
	}
	var back time.Time
	if err := (Time{&back}).Scan(v); err != nil || !back.Equal(at) {
		t.Errorf("Time.Scan(Millis(%v)) = %v, %v", at, back, err)
	}
}

func TestList(t *testing.T) {
	f := gateway.PaymentFilter{ClientID: "c", Status: gateway.PaymentStatus("SUCCESS"),
		From: time.UnixMilli(1000), To: time.UnixMilli(2000)}
	for _, tc := range []struct {
		numbered bool
		want     string
	}{
		{false, `SELECT x FROM t WHERE client_id = ? AND status = ? AND created_at >= ? AND created_at < ? AND (a, b) < (?, ?) ORDER BY a DESC LIMIT ?`},
		{true, `SELECT x FROM t WHERE client_id = $1 AND status = $2 AND created_at >= $3 AND created_at < $4 AND (a, b) < ($5, $6) ORDER BY a DESC LIMIT $7`},
	} {
		l := List{Numbered: tc.numbered}
		l.WherePayments(f)
		l.Where("(a, b) < (?, ?)", 7, "p")
		q, args := l.SQL("x FROM t", "a DESC", 0, 50)
		if q != tc.want {
			t.Errorf("Numbered %v: SQL = %s\nwant %s", tc.numbered, q, tc.want)
		}
		if want := []any{"c", "SUCCESS", int64(1000), int64(2000), 7, "p", 50}; !reflect.DeepEqual(args, want) {
			t.Errorf("Numbered %v: args = %#v, want %#v", tc.numbered, args, want)
		}
	}

	var l List
	q, args := l.SQL("x FROM t", "a", 3, 50)
	if want := `SELECT x FROM t ORDER BY a LIMIT ?`; q != want || !slices.Equal(args, []any{3}) {
		t.Errorf("no conditions: %s %v, want %s [3]", q, args, want)
	}

	n := List{Numbered: true}
	n.WhereNotifications(gateway.NotificationFilter{Undelivered: true, PaymentID: "p"})
	q, args = n.SQL("x FROM t", "a", 0, 100)
	if want := `SELECT x FROM t WHERE delivered_at IS NULL AND payment_id = $1 ORDER BY a LIMIT $2`; q != want || !slices.Equal(args, []any{"p", 100}) {
		t.Errorf("notifications: %s %v, want %s [p 100]", q, args, want)
	}
}

// TestRoundTrip writes rows with the Values functions and reads them back
// with the scan functions: the two agree on the order of the columns.
func TestRoundTrip(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	p := &gateway.Payment{ID: "p", ClientID: "c", RequestID: "r", ProductCode: "CASHIER_PAYMENT", Scenario: "s",
		Amount: gateway.Money{Value: 100, Currency: "USD"}, MethodType: "mt", MethodID: "mi", NotifyURL: "n", RedirectURL: "rd",
		ReferenceID: "ref", Fingerprint: "fp", ActionURL: "a", Status: gateway.PaymentStatus("SUCCESS"), Decided: true,
		ResultCode: "rc", ResultMessage: "rm", CreatedAt: ms(1), UpdatedAt: ms(2), ExpiresAt: ms(3), PaidAt: ms(4), Refunded: 5}
	got, err := ScanPayment(fakeRow(PaymentValues(p, asIs)))
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("payment round trip = %+v, %v\nwant %+v", got, err, p)
	}

	r := &gateway.Refund{ID: "f", ClientID: "c", RequestID: "r", PaymentID: "p", Amount: gateway.Money{Value: 7, Currency: "EUR"},
		Reason: "why", ReferenceID: "ref", NotifyURL: "n", Async: true, Fingerprint: "fp", Status: gateway.RefundStatus("SUCCESS"),
		ResultCode: "rc", ResultMessage: "rm", CreatedAt: ms(1), UpdatedAt: ms(2)}
	gotR, err := ScanRefund(fakeRow(RefundValues(r, asIs)))
	if err != nil || !reflect.DeepEqual(gotR, r) {
		t.Errorf("refund round trip = %+v, %v\nwant %+v", gotR, err, r)
	}

	at := &gateway.Attempt{NotificationID: "n", Number: 3, At: ms(9), Duration: 1500 * time.Millisecond,
		Outcome: gateway.OutcomeTimeout, HTTPStatus: 0, Error: "slow"}
	gotA, err := ScanAttempt(fakeRow(AttemptValues(at)))
	if err != nil || !reflect.DeepEqual(&gotA, at) {
		t.Errorf("attempt round trip = %+v, %v\nwant %+v", gotA, err, at)
	}

	// The boolean encoder is the store's: what it returns is what is bound.
	if v := PaymentValues(p, func(bool) any { return "yes" }); !slices.Contains(v, any("yes")) {
		t.Errorf("PaymentValues ignores its boolean encoder: %v", v)
	}
}

// TestColumns checks that every scan function takes one destination a
// column of its list.
func TestColumns(t *testing.T) {
	for _, tc := range []struct {
		name string
		cols string
		scan func(Scanner) error
	}{
		{"payments", PaymentColumns, func(r Scanner) error { _, err := ScanPayment(r); return err }},
		{"refunds", RefundColumns, func(r Scanner) error { _, err := ScanRefund(r); return err }},
		{"notifications", NotificationColumns, func(r Scanner) error { _, err := ScanNotification(r); return err }},
		{"notification_attempts", AttemptColumns, func(r Scanner) error { _, err := ScanAttempt(r); return err }},
		{"jobs", JobColumns, func(r Scanner) error { _, err := ScanJob(r); return err }},
		{"clients", ClientColumns, func(r Scanner) error { _, err := ScanClient(r); return err }},
		{"client_keys", ClientKeyColumns, func(r Scanner) error { _, err := ScanClientKey(r); return err }},
		{"gateway_keys", GatewayKeyColumns, func(r Scanner) error { _, err := ScanGatewayKey(r); return err }},
	} {
		var n int
		if err := tc.scan(countRow{&n}); err != nil {
			t.Fatal(err)
		}
		if want := columns(tc.cols); n != want {
			t.Errorf("%s: %d destinations for %d columns", tc.name, n, want)
		}
	}
	if n, want := len(PaymentValues(&gateway.Payment{}, asIs)), columns(PaymentColumns); n != want {
		t.Errorf("PaymentValues: %d values for %d columns", n, want)
	}
	if n, want := len(RefundValues(&gateway.Refund{}, asIs)), columns(RefundColumns); n != want {
		t.Errorf("RefundValues: %d values for %d columns", n, want)
	}
	if n, want := len(AttemptValues(&gateway.Attempt{})), columns(AttemptColumns); n != want {
		t.Errorf("AttemptValues: %d values for %d columns", n, want)
	}
}

func TestScanAttemptDuration(t *testing.T) {
	a, err := ScanAttempt(fakeRow{"n", 2, int64(1000), int64(1500), "delivered", 200, ""})
	if err != nil || a.Duration != 1500*time.Millisecond || a.Number != 2 || !a.At.Equal(time.UnixMilli(1000)) {
		t.Errorf("ScanAttempt = %+v, %v", a, err)
	}
}

func TestScanError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := ScanJob(errRow{boom}); !errors.Is(err, boom) {
		t.Errorf("ScanJob error = %v, want %v", err, boom)
	}
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func TestAddClientKeys(t *testing.T) {
	clients := []gateway.Client{{ID: "a"}, {ID: "b"}}
	AddClientKeys(clients, []gateway.ClientKey{{ClientID: "a", Version: 1}, {ClientID: "b", Version: 1}, {ClientID: "a", Version: 2}, {ClientID: "z", Version: 1}})
	if got := len(clients[0].Keys); got != 2 || clients[0].Keys[1].Version != 2 {
		t.Errorf("client a keys = %+v", clients[0].Keys)
	}
	if got := len(clients[1].Keys); got != 1 {
		t.Errorf("client b keys = %+v", clients[1].Keys)
	}
}
