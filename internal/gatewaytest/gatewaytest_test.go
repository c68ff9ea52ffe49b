package gatewaytest_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

func TestMain(m *testing.M) { os.Exit(gatewaytest.Main(m)) }

const (
	pathPay     = "/ams/api/v1/payments/pay"
	pathInquiry = "/ams/api/v1/payments/inquiryPayment"
)

func payBody(requestID string, value int64, notifyURL string) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"O_%s","orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"},"paymentNotifyUrl":%q}`, requestID, requestID, value, notifyURL)
}

func TestClock(t *testing.T) {
	start := time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	c := gatewaytest.NewClock(time.Time{})
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	if got := c.Advance(time.Hour); !got.Equal(start.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Errorf("Advance(1h) = %v, Now %v; want %v", got, c.Now(), start.Add(time.Hour))
	}
	if got := gatewaytest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 1e6+5, time.FixedZone("X", 3600))).Now(); !got.Equal(time.Date(2029, 12, 31, 23, 0, 0, 1e6, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("NewClock(2030-01-01T00:00:00.001000005+01:00).Now() = %v, want it in UTC, to the millisecond", got)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	if got := c.Now(); !got.Equal(at) {
		t.Errorf("after Set: %v, want %v", got, at)
	}

	w := gatewaytest.NewWallClock()
	if d := time.Since(w.Now()); d < -time.Second || d > time.Second {
		t.Errorf("a wall clock is %v from the real one", d)
	}
	w.Advance(time.Hour)
	if d := w.Now().Sub(time.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("a wall clock advanced by 1h is %v ahead of the real one", d)
	}
}

// TestDoAndSnapshot: Do sends signed requests and verifies the answers; a
// refused request leaves the snapshot as it was, an accepted one does not.
func TestDoAndSnapshot(t *testing.T) {
	g := gatewaytest.New(t)
	before := g.Snapshot(t)
	if !strings.Contains(string(before), "client "+gatewaytest.ClientID) || !strings.Contains(string(before), "gateway key v1 active") {
		t.Errorf("snapshot of a new gateway lacks its client or key:\n%s", before)
	}
	bad := "algorithm=RSA256,keyVersion=1,signature=AAAA"
	rep := g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("GT_REFUSED", 100, ""), Signature: &bad})
	if rep.Result.Status != wire.StatusFail || rep.Result.Code != wire.CodeInvalidSignature {
		t.Fatalf("pay with a bad signature: %v, want F INVALID_SIGNATURE", rep.Result)
	}
	if after := g.Snapshot(t); after != before {
		t.Errorf("a refused pay changed the store:\n%s", before.Diff(after))
	}

	rep = g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("GT_PAY", 100, "")})
	if rep.Result.Code != wire.CodeSuccess || rep.KeyVersion != 1 || rep.Replay() {
		t.Fatalf("pay: %v (keyVersion %d, replay %v), want S SUCCESS signed by v1, not a replay", rep.Result, rep.KeyVersion, rep.Replay())
	}
	pr := gatewaytest.Decode[antomgw.PayResponse](t, rep)
	after := g.Snapshot(t)
	diff := before.Diff(after)
	if !strings.Contains(diff, "+ payment "+pr.PaymentID) || !strings.Contains(diff, "- payments 0") {
		t.Errorf("diff after a pay = %s, want the payment %s added", diff, pr.PaymentID)
	}
	if p, err := g.Store().PaymentByRequestID(context.Background(), g.ClientID(), "GT_PAY"); err != nil || p.ID != pr.PaymentID || !p.CreatedAt.Equal(g.Now()) {
		t.Errorf("stored payment = %+v, %v; want %s created at the gateway's clock %v", p, err, pr.PaymentID, g.Now())
	}

	// Encrypted both ways.
	rep = g.Do(t, gatewaytest.Request{Path: pathInquiry, Body: `{"paymentRequestId":"GT_PAY"}`, Encrypt: true})
	if !rep.Encrypted || rep.Result.Code != wire.CodeSuccess {
		t.Errorf("encrypted inquiry: %v, encrypted answer %v; want S and an encrypted answer", rep.Result, rep.Encrypted)
	}
	if ip := gatewaytest.Decode[antomgw.InquiryPaymentResponse](t, rep); ip.PaymentID != pr.PaymentID {
		t.Errorf("encrypted inquiry found %q, want %q", ip.PaymentID, pr.PaymentID)
	}
}

// TestAdvance: a 9903 payment stays PROCESSING until the clock passes the
// wallet's delay; Advance then settles it and delivers its notification,
// and a failed delivery is tried again on the retry schedule.
func TestAdvance(t *testing.T) {
	g := gatewaytest.New(t, gatewaytest.WithSimDelay(time.Minute))
	var mu sync.Mutex
	var got []string
	answer := http.StatusInternalServerError
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := g.Client(t).ParseNotification(r)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("ParseNotification: %v", err)
		} else {
			got = append(got, n.Payment.PaymentID)
		}
		if answer != http.StatusOK {
			w.WriteHeader(answer)
			return
		}
		antomgw.WriteNotificationAck(w)
	}))
	defer merchant.Close()
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}

	c := g.Client(t)
	ctx := context.Background()
	req := &antomgw.PayRequest{
		ProductCode: antomgw.ProductInStore, PaymentRequestID: "GT_LATER",
		Order:            &antomgw.Order{ReferenceOrderID: "O_GT_LATER", OrderDescription: "coffee"},
		PaymentAmount:    antomgw.Amount{Currency: "USD", Value: fmt.Sprint(sim.AmountLater)},
		PaymentMethod:    antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor:    &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
		PaymentNotifyURL: merchant.URL + "/notify",
	}
	pay, err := c.Pay(ctx, req)
	if !antomgw.IsCode(err, wire.CodePaymentInProcess) {
		t.Fatalf("Pay 9903: %v, want U PAYMENT_IN_PROCESS", err)
	}
	status := func() string {
		t.Helper()
		ip, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: pay.PaymentID})
		if err != nil {
			t.Fatal(err)
		}
		return ip.PaymentStatus
	}
	if jobs, attempts := g.Advance(t, time.Minute-time.Millisecond); jobs != 0 || attempts != 0 || status() != antomgw.PaymentStatusProcessing {
		t.Fatalf("a millisecond before the delay: %d jobs, %d attempts, %s; want nothing done, PROCESSING", jobs, attempts, status())
	}
	if jobs, attempts := g.Advance(t, time.Millisecond); jobs != 1 || attempts != 1 || status() != antomgw.PaymentStatusSuccess {
		t.Fatalf("at the delay: %d jobs, %d attempts, %s; want 1 job, 1 attempt, SUCCESS", jobs, attempts, status())
	}
	if n := received(); n != 1 {
		t.Fatalf("the merchant received %d notifications, want 1", n)
	}
	// The merchant answered 500: the next attempt is 2 minutes later
	// (gateway.AntomSchedule), and none before.
	mu.Lock()
	answer = http.StatusOK
	mu.Unlock()
	if _, attempts := g.Advance(t, 2*time.Minute-time.Millisecond); attempts != 0 {
		t.Errorf("%d attempts before the retry was due, want 0", attempts)
	}
	if _, attempts := g.Advance(t, time.Millisecond); attempts != 1 || received() != 2 {
		t.Errorf("at the retry: %d attempts, %d received; want 1 and 2", attempts, received())
	}
	notes, err := g.Store().Notifications(ctx, gateway.NotificationFilter{PaymentID: pay.PaymentID})
	if err != nil || len(notes) != 1 || notes[0].Attempts != 2 || notes[0].DeliveredAt.IsZero() {
		t.Errorf("notifications = %+v, %v; want one, delivered on its second attempt", notes, err)
	}
	if _, attempts := g.Advance(t, 24*time.Hour); attempts != 0 {
		t.Errorf("%d attempts after the delivery, want 0", attempts)
	}
}

func TestClientOptions(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, func(c *antomgw.Config) { c.Family = antomgw.FamilyOmnichannel })
	resp, err := c.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentRequestID: "NOBODY"})
	if !antomgw.IsCode(err, wire.CodeOrderNotExist) {
		t.Fatalf("v2 inquiry of an unknown payment: %+v, %v; want ORDER_NOT_EXIST", resp, err)
	}
}

// TestServe runs the binary: a client registered with the CLI, a signed
// inquiry answered by the server, a clean stop.
func TestServe(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := gatewaytest.StartServe(t, data)
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") || p.DataDir != data {
		t.Errorf("URL %q, DataDir %q; want http://127.0.0.1:… and %q", p.URL, p.DataDir, data)
	}
	pubFile := filepath.Join(t.TempDir(), "merchant.pub")
	pem, err := wire.MarshalPublicKeyPEM(&gatewaytest.MerchantKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	gatewaytest.MustRunCLI(t, "clients", "add", "--data", data, "--client-id", "GT_SERVE", "--public-key", pubFile)
	exported := gatewaytest.MustRunCLI(t, "keys", "export", "--data", data, "--key-version", "1")
	gwKey, err := wire.ParsePublicKey([]byte(exported))
	if err != nil {
		t.Fatalf("keys export: %v\n%s", err, exported)
	}
	m := &gatewaytest.Merchant{URL: p.URL, ClientID: "GT_SERVE", Key: gatewaytest.MerchantKey(),
		GatewayKeys: map[int]*rsa.PublicKey{1: gwKey}, Client: p.Client}
	rep := m.Do(t, gatewaytest.Request{Path: pathInquiry, Body: `{"paymentRequestId":"NOBODY"}`})
	if rep.Result.Code != wire.CodeOrderNotExist {
		t.Errorf("inquiry: %v, want F ORDER_NOT_EXIST", rep.Result)
	}
	if r := gatewaytest.RunCLI(t, "clients", "add", "--data", data); r.ExitCode == 0 {
		t.Errorf("clients add without flags exited 0; stderr %s", r.Stderr)
	}
	resp, err := p.Client.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	st, err := p.Stop(os.Interrupt)
	if err != nil || !st.Success() {
		t.Errorf("stop: %v, %v; want exit 0\n%s", st, err, p.Tail())
	}
	if p.Running() || p.State() == nil {
		t.Errorf("after Stop: running %v, state %v", p.Running(), p.State())
	}

	// A server that cannot start: an error with its log, and a process
	// that counts as stopped.
	bad, err := gatewaytest.ServeConfig{Binary: gatewaytest.Binary(t), DataDir: data, Args: []string{"--no-such-flag"}}.Start(t)
	if err == nil || bad == nil || bad.Running() || !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("serve --no-such-flag: %v, process %+v; want an error quoting its log and an exited process", err, bad)
	}
}
